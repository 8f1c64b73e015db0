import type { Command } from "commander";

/**
 * Examples at the end of every command's --help, kept in one place so that each reads like the
 * others and a test can run them. They are real: in a repository laid out like examples/shop
 * (golang-migrate migrations in db/migrations, dbt in analytics, contracts in contracts/), each
 * works as pasted, except where a comment says what to put in.
 */
export const HELP_EXAMPLES: Record<string, string[]> = {
  covenant: [
    "covenant init                                  # set this repository up",
    "covenant check                                 # judge this branch as its pull request would be",
    "covenant serve --port 3000                     # REST API and GitHub webhooks",
  ],
  init: ["covenant init", "covenant init --dataset public.customers --owner @acme/crm --force"],
  check: [
    "covenant check                                 # HEAD against the branch it would merge into",
    "covenant check main...drop-currency            # a branch as a pull request into main",
    "covenant check --base main --format json > covenant.json",
    "covenant check --base main --format github     # annotations in a GitHub Actions log",
    "covenant check --base main --format gitlab > gl-code-quality-report.json   # GitLab Code Quality",
  ],
  schema: [
    "covenant schema db/migrations --format text",
    "covenant schema db/migrations analytics        # migrations and dbt models",
    "covenant schema --dialect postgres db/migrations/0001_create_customers.up.sql   # files replay in the order given",
  ],
  infer: [
    "covenant infer --dataset public.orders db/migrations > contracts/orders-draft.yaml",
    "covenant infer --dataset orders analytics      # a dbt model",
    "covenant infer --source data/orders.csv --owner @acme/data-platform",
    "covenant infer --from-json sample.json --dataset events",
  ],
  validate: [
    "covenant validate contracts/*.yaml",
    "covenant validate --contract contracts/orders.yaml --source data/shop.db --table orders",
    "covenant validate --contract contracts/orders.yaml --source data/orders.csv --format json",
  ],
  serve: [
    "covenant serve                                 # port $PORT, else 3000",
    "covenant serve --port 8080",
    "JOB_WORKERS=0 covenant serve                   # web only: webhooks, API, console; workers run the jobs",
  ],
  worker: [
    "covenant worker                                # the job queue only, on the server's DATABASE_URL",
    "covenant worker --health-port 9000             # with /healthz and /readyz for an orchestrator",
  ],
  db: ["covenant db migrate"],
  "db migrate": [
    "covenant db migrate",
    "DATABASE_URL=postgresql://covenant@127.0.0.1:5432/covenant covenant db migrate",
  ],
  keys: ["covenant keys create --scope admin --name bootstrap", "covenant keys list"],
  "keys create": [
    "covenant keys create --scope admin --name bootstrap",
    "covenant keys create --scope read --installation my-org   # a key that sees my-org's pull requests",
  ],
  "keys list": ["covenant keys list"],
  "keys revoke": [
    "covenant keys revoke ID                        # ID: the first column of covenant keys list",
  ],
  sources: ["covenant sources where", "covenant sources list"],
  "sources add": [
    "covenant sources add shop --location shop.db   # a file in the directory covenant sources where prints",
    "covenant sources add warehouse --location-env COVENANT_SOURCE_ID__WAREHOUSE   # ID: as sources where prints it",
  ],
  "sources where": ["covenant sources where", "covenant sources where --installation my-org"],
  "sources list": ["covenant sources list"],
  "sources remove": ["covenant sources remove shop --force             # --force: with its scans"],
  impact: [
    "covenant impact public.customers.email         # what reads it, down to dashboards, with owners",
    "covenant impact dim_customers --direction upstream",
    "covenant impact public.orders --format mermaid > lineage.md",
  ],
  import: ["covenant import orders.odcs.yaml > contracts/orders.yaml"],
  export: [
    "covenant export contracts/orders.yaml > orders.odcs.yaml",
    "covenant export --format covenant orders.odcs.yaml",
  ],
};

/** The name of a command as the table above keys it: "covenant", "check", "keys create". */
export const commandPath = (command: Command): string => {
  const names: string[] = [];
  for (let current: Command | null = command; current?.parent; current = current.parent)
    names.unshift(current.name());
  return names.length === 0 ? "covenant" : names.join(" ");
};

/** Adds each command's examples to its --help; a command without any is a mistake a test catches. */
export const addHelpExamples = (program: Command): void => {
  const visit = (command: Command) => {
    const examples = HELP_EXAMPLES[commandPath(command)];
    if (examples)
      command.addHelpText("after", `\nExamples:\n${examples.map((line) => `  ${line}`).join("\n")}`);
    for (const sub of command.commands) visit(sub);
  };
  visit(program);
};
