// `covenant init` on real repositories: a commented .github/covenant.yml with what was found,
// one draft contract replayed from the repository's own migrations, nothing overwritten without
// --force, and files that `validate` and `check` then accept as they are.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseRepoConfig } from "../src/core/config/repo-config.ts";
import { createGitRepo, type GitRepo } from "./helpers/git-repo.ts";
import { runCli } from "./helpers/run-cli.ts";

const repositories: GitRepo[] = [];
afterAll(() => {
  for (const repository of repositories) repository.remove();
});

const repo = (files: Record<string, string>): GitRepo => {
  const repository = createGitRepo("covenant-init-");
  repositories.push(repository);
  repository.commit(files, "base");
  return repository;
};

/** The CLI in process, in `cwd`, printing errors as the entry point does. */
const cli = (cwd: string, ...args: string[]) => runCli({}, args, { cwd });

const SHOP = {
  "db/migrations/0001_create_customers.up.sql":
    "CREATE TABLE customers (id bigserial PRIMARY KEY, email text NOT NULL);\n",
  "db/migrations/0001_create_customers.down.sql": "DROP TABLE customers;\n",
  "db/migrations/0002_create_orders.up.sql":
    "CREATE TABLE orders (\n  id bigint PRIMARY KEY,\n  customer_id bigint NOT NULL REFERENCES customers (id),\n  status text NOT NULL,\n  note text\n);\n",
  "analytics/dbt_project.yml": "name: analytics\nversion: '1.0'\nprofile: analytics\n",
  "analytics/models/order_totals.sql": "select id, status from {{ source('shop', 'orders') }}\n",
};

describe("covenant init", { timeout: 120_000 }, () => {
  it("writes a commented configuration and a draft contract that validate and check accept", async () => {
    const repository = repo(SHOP);
    const { code, stdout, stderr } = await cli(join(repository.dir, "db"), "init");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toContain(
      "wrote .github/covenant.yml: db/migrations (golang-migrate, postgres); dbt project analytics",
    );
    expect(stdout).toContain("wrote contracts/orders.yaml: draft contract for public.orders, 4 column(s)");
    expect(stdout).toContain("covenant validate contracts/orders.yaml");
    expect(stdout).toContain(
      "covenant infer --dataset public.customers db/migrations > contracts/customers.yaml",
    );

    const config = readFileSync(join(repository.dir, ".github/covenant.yml"), "utf8");
    expect(config).toMatch(/^# /);
    expect(config).toContain('- path: "db/migrations" # golang-migrate, 2 file(s)');
    expect(config).toContain(
      "dialect: postgres # guessed from SERIAL in db/migrations/0001_create_customers.up.sql",
    );
    expect(config).toContain('- path: "analytics"');
    expect(config).toContain("# enforcement:");
    expect(parseRepoConfig(config)).toMatchObject({
      migrations: [{ path: "db/migrations", dialect: "postgres" }],
      dbt: [{ path: "analytics" }],
    });

    const contract = readFileSync(join(repository.dir, "contracts/orders.yaml"), "utf8");
    expect(contract).toMatch(
      /^# A draft contract for public\.orders, written by `covenant init` from the migrations in db\/migrations/,
    );
    expect(contract).toContain("status: draft");
    expect(contract).toContain("primary_key: [ id ]");
    expect(contract).toMatch(/- name: note\n\s+type: text\n\s+required: false/);
    const validated = await cli(repository.dir, "validate", "contracts/orders.yaml");
    expect(validated.stdout).toContain("contracts/orders.yaml: ok (orders 0.1.0");
    expect(validated.code).toBe(0);

    // Activated as the comments say, committed to main, the contract holds a branch to account.
    writeFileSync(
      join(repository.dir, "contracts/orders.yaml"),
      contract
        .replace("status: draft", "status: active")
        .replace("enforcement: RECORD", "enforcement: BLOCK"),
    );
    repository.commit({}, "covenant init");
    repository.git("switch", "-q", "-c", "drop-status");
    repository.commit(
      { "db/migrations/0003_drop_status.up.sql": "ALTER TABLE orders DROP COLUMN status;\n" },
      "drop",
    );
    const checked = await cli(repository.dir, "check", "--format", "json");
    expect(
      JSON.parse(checked.stdout).violations.map(
        (v: { rule: string; column: string }) => `${v.rule}:${v.column}`,
      ),
    ).toEqual(["column-removed:status"]);
    expect(checked.code).toBe(1);
  });

  it("refuses to overwrite what exists, writes nothing, and overwrites with --force", async () => {
    const repository = repo({ ...SHOP, ".github/covenant.yml": "contracts: [schemas/*.yaml]\n" });
    const refused = await cli(repository.dir, "init");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(".github/covenant.yml already exists");
    expect(refused.stderr).toContain("--force");
    expect(refused.stdout).toBe("");
    expect(existsSync(join(repository.dir, "contracts/orders.yaml"))).toBe(false);
    expect(readFileSync(join(repository.dir, ".github/covenant.yml"), "utf8")).toBe(
      "contracts: [schemas/*.yaml]\n",
    );

    const forced = await cli(
      repository.dir,
      "init",
      "--force",
      "--dataset",
      "customers",
      "--owner",
      "@acme/crm",
    );
    expect(forced.code).toBe(0);
    expect(readFileSync(join(repository.dir, ".github/covenant.yml"), "utf8")).toContain("db/migrations");
    const customers = readFileSync(join(repository.dir, "contracts/customers.yaml"), "utf8");
    expect(customers).toContain('owner: "@acme/crm"');
    expect(customers).toContain("name: public.customers");

    const unknown = await cli(repository.dir, "init", "--force", "--dataset", "invoices");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--dataset invoices: no such table or dbt model");
    expect(unknown.stderr).toContain("public.orders");
  });

  it("fills in the dialect a history is written in, and says where it comes from", async () => {
    const repository = repo({
      "sql/V1__init.sql":
        "CREATE TABLE `orders` (\n  `id` int unsigned NOT NULL AUTO_INCREMENT,\n  `total` decimal(10,2),\n  `placed_at` datetime NOT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB;\n",
      "prisma/migrations/migration_lock.toml": 'provider = "sqlite"\n',
      "prisma/migrations/20240101000000_init/migration.sql":
        'CREATE TABLE "User" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "name" TEXT);\n',
    });
    const { code, stdout } = await cli(repository.dir, "init");
    expect(code).toBe(0);
    const config = readFileSync(join(repository.dir, ".github/covenant.yml"), "utf8");
    expect(config).toContain("dialect: mysql # guessed from AUTO_INCREMENT in sql/V1__init.sql");
    expect(config).toContain("# dialect: sqlite (read from migration_lock.toml)");
    expect(parseRepoConfig(config).migrations).toEqual([
      { path: "prisma/migrations" },
      { path: "sql", dialect: "mysql" },
    ]);
    expect(stdout).toContain("wrote contracts/orders.yaml");
  });

  it("in a repository without migrations writes the configuration to fill in, and no contract", async () => {
    const repository = repo({ "README.md": "# nothing here yet\n" });
    const { code, stdout } = await cli(repository.dir, "init");
    expect(code).toBe(0);
    expect(stdout).toContain("no migration history or dbt project found");
    expect(stdout).toContain("covenant infer --dataset TABLE");
    expect(existsSync(join(repository.dir, "contracts"))).toBe(false);
    const config = readFileSync(join(repository.dir, ".github/covenant.yml"), "utf8");
    expect(config).toContain("migrations: []");
    expect(parseRepoConfig(config).migrations).toEqual([]);
  });
});
