import { execFile } from "node:child_process";
import { cpSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createGitRepo, type GitRepo, type RepoFiles } from "./helpers/git-repo.ts";

/**
 * Pull requests as an engineer would open them: a real git repository with a base commit and a
 * PR commit, judged by the real `covenant check --format json`. Each scenario states the exact
 * set of violations (rule, column, file, line), the conclusion and the exit code.
 */

const BIN = resolve(import.meta.dirname, "../bin/covenant.js");
const SHOP = resolve(import.meta.dirname, "../examples/shop");

/** A file's content, or null to delete it in the PR. */
type Files = RepoFiles;

type Scenario = {
  name: string;
  /** A directory copied into the base commit before `base` is applied. */
  from?: string;
  base: Files;
  head: Files;
  conclusion: "success" | "neutral" | "failure";
  /** [rule, column, file, line], in any order. */
  violations: Array<[string, string | undefined, string | undefined, number | undefined]>;
  /** [kind, dataset, column] that must appear among the changes. */
  changes?: Array<[string, string, string | undefined]>;
  /** [rule, file, line] of the findings, in any order (all of them when given). */
  findings?: Array<[string, string, number]>;
  /** Anything else worth asserting on the parsed JSON. */
  also?: (json: CheckJson) => void;
};

type CheckJson = {
  conclusion: string;
  violations: Array<{
    rule: string;
    severity: string;
    enforcement: string;
    column?: string;
    file?: string;
    line?: number;
    message: string;
    expected?: string;
    actual?: string;
  }>;
  changes: Array<{ kind: string; dataset: string; column?: string; file?: string; line?: number }>;
  findings: Array<{ rule: string; file: string; line: number; message: string }>;
};

const roots: GitRepo[] = [];
afterAll(() => {
  for (const root of roots) root.remove();
});

/** Builds the repository, runs the CLI once and returns its exit code and parsed JSON. */
const runScenario = (scenario: Pick<Scenario, "from" | "base" | "head">, format = "json") => {
  const repository = createGitRepo("covenant-scenario-");
  const repo = repository.dir;
  roots.push(repository);
  if (scenario.from) cpSync(scenario.from, repo, { recursive: true });
  repository.commit(scenario.base, "base");
  repository.commit(scenario.head, "pr");
  return new Promise<{ code: number | null; stdout: string; stderr: string; repo: string }>((done) => {
    const child = execFile(
      process.execPath,
      [BIN, "check", "--repo", repo, "--base", "HEAD~1", "--head", "HEAD", "--format", format],
      { encoding: "utf8", timeout: 60_000 },
      (_error, stdout, stderr) => done({ code: child.exitCode, stdout, stderr, repo }),
    );
  });
};

const M = "db/migrations";

const ORDERS_TABLE = `CREATE TABLE orders (
    id          bigint PRIMARY KEY,
    customer_id bigint NOT NULL,
    email       varchar(255),
    status      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE audit_log (
    id      bigserial PRIMARY KEY,
    message text
);
`;

const ordersContract = (over: { version?: string; enforcement?: string; columns?: string } = {}) =>
  `name: orders
version: ${over.version ?? "1.0.0"}
status: active
owner: "@acme/data-platform"
enforcement: ${over.enforcement ?? "BLOCK"}
dataset: { type: table, name: public.orders }
schema:
  primary_key: [id]
  columns:
${
  over.columns ??
  `    - { name: id, type: bigint, required: true }
    - { name: customer_id, type: bigint, required: true }
    - { name: email, type: string, required: false }
    - { name: status, type: string, required: true }
`
}`;

/** A small Postgres repository: orders (contracted, BLOCK) and audit_log (no contract). */
const PLAIN: Files = {
  [`${M}/0001_init.sql`]: ORDERS_TABLE,
  "contracts/orders.yaml": ordersContract(),
};

const PRISMA_INIT = `-- CreateTable
CREATE TABLE "orders" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "customer_id" INTEGER NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'new',
    "note" TEXT,
    "shipped_at" DATETIME,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE INDEX "orders_customer_id_idx" ON "orders"("customer_id");
`;

const PRISMA_REBUILD = `/*
  Warnings:

  - You are about to drop the column \`shipped_at\` on the \`orders\` table. All the data in the column will be lost.
  - Made the column \`note\` on table \`orders\` required. This step will fail if there are existing NULL values in that column.

*/
-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_orders" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "customer_id" INTEGER NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'new',
    "note" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO "new_orders" ("created_at", "customer_id", "id", "note", "status") SELECT "created_at", "customer_id", "id", "note", "status" FROM "orders";
DROP TABLE "orders";
ALTER TABLE "new_orders" RENAME TO "orders";
CREATE INDEX "orders_customer_id_idx" ON "orders"("customer_id");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
`;

const PRISMA_CONTRACT = `name: orders
version: 1.0.0
status: active
owner: "@acme/shop"
enforcement: BLOCK
dataset: { type: table, name: orders }
schema:
  primary_key: [id]
  columns:
    - { name: id, type: integer, required: true }
    - { name: customer_id, type: integer, required: true }
    - { name: status, type: string, required: true }
    - { name: note, type: string, required: false }
    - { name: shipped_at, type: timestamp, required: false }
`;

const FLYWAY: Files = {
  ".github/covenant.yml": "migrations:\n  - { path: db/migration, dialect: mysql }\n",
  "db/migration/V1__init.sql": `CREATE TABLE orders (
  id BIGINT NOT NULL AUTO_INCREMENT,
  customer_id BIGINT NOT NULL,
  amount DECIMAL(10,2) NOT NULL,
  status ENUM('new','paid','shipped') NOT NULL DEFAULT 'new',
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
`,
  "db/migration/V1_1__orders_customer_index.sql":
    "CREATE INDEX idx_orders_customer ON orders (customer_id);\n",
  "db/migration/V2__orders_note.sql": "ALTER TABLE orders ADD COLUMN note VARCHAR(255) NULL AFTER status;\n",
  "db/migration/V10__customers.sql":
    "CREATE TABLE customers (\n  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,\n  name VARCHAR(100) NOT NULL\n);\n",
  "contracts/orders.yaml": `name: orders
version: 1.0.0
status: active
owner: "@acme/billing"
enforcement: BLOCK
dataset: { type: table, name: orders }
schema:
  primary_key: [id]
  columns:
    - { name: id, type: bigint, required: true }
    - { name: amount, type: number, required: true }
    - { name: status, type: string, required: true, accepted_values: [new, paid, shipped] }
`,
};

const DBT_CONTRACT = `name: orders_mart
version: 1.0.0
status: active
owner: "@acme/analytics"
enforcement: BLOCK
dataset: { type: dbt_model, name: orders }
schema:
  primary_key: [order_id]
  columns:
    - { name: order_id, type: bigint, required: true }
    - { name: customer_id, type: integer, required: true }
    - { name: status, type: string, required: false, accepted_values: [pending, paid, shipped] }
    - { name: amount, type: number, required: false }
    - { name: currency, type: string, required: false }
    - { name: ordered_at, type: timestamp, required: false }
`;

const MART_SCHEMA = "analytics/models/marts/schema.yml";
const MART_SQL = "analytics/models/marts/orders.sql";
const martSchema = (edit: (yaml: string) => string): string =>
  edit(readFileSync(join(SHOP, MART_SCHEMA), "utf8"));
const martSql = (edit: (sql: string) => string): string => edit(readFileSync(join(SHOP, MART_SQL), "utf8"));
/** The base's customer_id type, so a head that keeps it changes nothing else. */
const asBase = (yaml: string): string =>
  yaml.replace("customer_id\n        data_type: bigint", "customer_id\n        data_type: int");
/** The shop's mart with customer_id typed `int`, so a PR can widen it. */
const MART_BASE: Files = {
  "contracts/orders_mart.yaml": DBT_CONTRACT,
  [MART_SCHEMA]: martSchema((y) =>
    y.replace("customer_id\n        data_type: bigint", "customer_id\n        data_type: int"),
  ),
};

const SCENARIOS: Scenario[] = [
  {
    name: "shop: rename, char -> varchar, new PII column, drop, widen a NOTIFY table's column",
    from: SHOP,
    base: {
      [`${M}/0006_customers_phone_length.up.sql`]:
        "ALTER TABLE customers ALTER COLUMN phone TYPE varchar(20);\n",
      [`${M}/0006_customers_phone_length.down.sql`]: "ALTER TABLE customers ALTER COLUMN phone TYPE text;\n",
    },
    head: {
      [`${M}/0007_orders_v2.up.sql`]: `-- Orders v2: clearer names, ISO codes as varchar, denormalised email.
ALTER TABLE orders RENAME COLUMN amount_cents TO total_cents;
ALTER TABLE orders ALTER COLUMN currency TYPE varchar(3);
ALTER TABLE orders ADD COLUMN customer_email text;
ALTER TABLE orders DROP COLUMN updated_at;
ALTER TABLE customers ALTER COLUMN phone TYPE varchar(40);
`,
    },
    conclusion: "failure",
    violations: [
      ["column-renamed", "amount_cents", `${M}/0007_orders_v2.up.sql`, 2],
      ["column-type-changed", "currency", `${M}/0007_orders_v2.up.sql`, 3],
      ["pii-column-added", "customer_email", `${M}/0007_orders_v2.up.sql`, 4],
      ["column-removed", "updated_at", `${M}/0007_orders_v2.up.sql`, 5],
    ],
    changes: [
      ["column-type-widened", "public.customers", "phone"],
      ["column-type-widened", "public.orders", "currency"],
      ["column-renamed", "public.orders", "amount_cents"],
    ],
    // stg_orders still selects amount_cents, which reaches the mart `orders`, whose dbt contract is
    // enforced but which no Covenant contract covers: findings, not violations.
    findings: [
      ["downstream-column-missing", `${M}/0007_orders_v2.up.sql`, 2],
      ["downstream-contract-broken", `${M}/0007_orders_v2.up.sql`, 2],
    ],
    also: (json) => {
      const currency = json.violations.find((v) => v.column === "currency");
      expect([currency?.expected, currency?.actual]).toEqual(["char(3)", "varchar(3)"]);
      expect(json.violations.every((v) => v.enforcement === "BLOCK")).toBe(true);
    },
  },
  {
    name: "prisma on sqlite: a table rebuild makes a column required and drops another",
    base: {
      "prisma/migrations/migration_lock.toml": 'provider = "sqlite"\n',
      "prisma/migrations/20240101000000_init/migration.sql": PRISMA_INIT,
      "contracts/orders.yaml": PRISMA_CONTRACT,
    },
    head: { "prisma/migrations/20240201000000_require_note/migration.sql": PRISMA_REBUILD },
    conclusion: "failure",
    violations: [
      ["column-became-required", "note", "prisma/migrations/20240201000000_require_note/migration.sql", 15],
      ["column-removed", "shipped_at", "prisma/migrations/20240201000000_require_note/migration.sql", 11],
    ],
    findings: [],
  },
  {
    name: "prisma on sqlite: a table rebuild whose copy fills a new column from an old one is a rename",
    base: {
      "prisma/migrations/migration_lock.toml": 'provider = "sqlite"\n',
      "prisma/migrations/20240101000000_init/migration.sql": PRISMA_INIT,
      "contracts/orders.yaml": PRISMA_CONTRACT,
    },
    head: {
      "prisma/migrations/20240301000000_rename_note/migration.sql": PRISMA_REBUILD.replace(
        '"note" TEXT NOT NULL,',
        '"shipped_at" DATETIME,\n    "remark" TEXT,',
      ).replace(
        '("created_at", "customer_id", "id", "note", "status") SELECT "created_at", "customer_id", "id", "note", "status"',
        '("created_at", "customer_id", "id", "remark", "shipped_at", "status") SELECT "created_at", "customer_id", "id", "note", "shipped_at", "status"',
      ),
    },
    conclusion: "failure",
    violations: [
      ["column-renamed", "note", "prisma/migrations/20240301000000_rename_note/migration.sql", 16],
    ],
    findings: [],
  },
  {
    name: "flyway on mysql: CHANGE renames and retypes, MODIFY drops an enum value",
    base: FLYWAY,
    head: {
      "db/migration/V11__orders_total.sql": `ALTER TABLE orders CHANGE amount total DECIMAL(12,2) NOT NULL;
ALTER TABLE orders MODIFY status ENUM('new','paid') NOT NULL DEFAULT 'new';
`,
    },
    conclusion: "failure",
    violations: [
      ["column-renamed", "amount", "db/migration/V11__orders_total.sql", 1],
      ["enum-value-removed", "status", "db/migration/V11__orders_total.sql", 2],
    ],
    findings: [],
  },
  {
    name: "dbt: the contracted model loses a column",
    from: SHOP,
    base: MART_BASE,
    head: {
      [MART_SCHEMA]: martSchema((y) =>
        y
          .replace("customer_id\n        data_type: bigint", "customer_id\n        data_type: int")
          .replace("      - name: currency\n        data_type: char(3)\n", ""),
      ),
      [MART_SQL]: readFileSync(join(SHOP, MART_SQL), "utf8").replace("    currency,\n", ""),
    },
    conclusion: "failure",
    // A deleted YAML entry has no line at the head (line 26 is ordered_at there): the model's `columns:`.
    violations: [["column-removed", "currency", MART_SCHEMA, 11]],
    findings: [],
  },
  {
    name: "dbt: a column leaves the YAML of the enforced model while the SQL still selects it",
    from: SHOP,
    base: MART_BASE,
    head: {
      [MART_SCHEMA]: martSchema((y) =>
        asBase(y).replace("      - name: currency\n        data_type: char(3)\n", ""),
      ),
    },
    conclusion: "failure",
    violations: [["column-removed", "currency", MART_SCHEMA, 11]],
    also: (json) => {
      const [violation] = json.violations;
      expect(violation?.actual).toBe("no longer declared");
      expect(violation?.message).toContain("no longer declared in the YAML");
    },
  },
  {
    name: "dbt: the contracted model moves to another file with the same columns: a rename",
    from: SHOP,
    base: MART_BASE,
    head: {
      [MART_SQL]: null,
      "analytics/models/marts/fct_orders.sql": martSql((sql) => sql),
      [MART_SCHEMA]: martSchema((y) => asBase(y).replace("  - name: orders\n", "  - name: fct_orders\n")),
    },
    conclusion: "failure",
    // dim_customers still refs orders: dbt cannot build it, and its contract is BLOCK.
    violations: [
      ["dataset-renamed", undefined, "analytics/models/marts/fct_orders.sql", 1],
      ["downstream-contract-broken", undefined, "analytics/models/marts/fct_orders.sql", 1],
    ],
    changes: [["dataset-renamed", "orders", undefined]],
    findings: [["downstream-column-missing", "analytics/models/marts/fct_orders.sql", 1]],
  },
  {
    name: "dbt: the contracted model is disabled in its SQL",
    from: SHOP,
    base: MART_BASE,
    head: {
      [MART_SQL]: martSql((sql) =>
        sql.replace(
          "{{ config(materialized='table') }}",
          "{{ config(materialized='table', enabled=false) }}",
        ),
      ),
    },
    conclusion: "failure",
    violations: [
      ["dataset-removed", undefined, MART_SQL, 1],
      ["downstream-contract-broken", undefined, MART_SQL, 1],
    ],
    findings: [["downstream-column-missing", MART_SQL, 1]],
    also: (json) => {
      const violation = json.violations.find((v) => v.rule === "dataset-removed");
      expect(violation?.actual).toBe("disabled");
      expect(violation?.message).toContain(`is disabled (${MART_SQL}:1)`);
    },
  },
  {
    name: "dbt: int -> bigint is a widening, a note only",
    from: SHOP,
    base: MART_BASE,
    head: { [MART_SCHEMA]: martSchema((y) => y) },
    conclusion: "success",
    violations: [],
    changes: [["column-type-widened", "orders", "customer_id"]],
    findings: [],
  },
  {
    name: "dbt: an accepted value leaves the list",
    from: SHOP,
    base: MART_BASE,
    head: {
      [MART_SCHEMA]: martSchema((y) =>
        y
          .replace("customer_id\n        data_type: bigint", "customer_id\n        data_type: int")
          .replace("values: [pending, paid, shipped]", "values: [pending, paid]"),
      ),
    },
    conclusion: "failure",
    violations: [["enum-value-removed", "status", MART_SCHEMA, 23]],
    findings: [],
  },
  {
    name: "contract edit: breaking without a major bump",
    base: PLAIN,
    head: {
      "contracts/orders.yaml": ordersContract({
        version: "1.1.0",
        columns: `    - { name: id, type: bigint, required: true }
    - { name: customer_id, type: bigint, required: true }
    - { name: status, type: string, required: true }
`,
      }),
    },
    conclusion: "failure",
    // The column is gone from the head: its `columns:` key.
    violations: [["contract-breaking-edit", "email", "contracts/orders.yaml", 9]],
    findings: [],
  },
  {
    name: "contract edit: the same with a major bump",
    base: PLAIN,
    head: {
      "contracts/orders.yaml": ordersContract({
        version: "2.0.0",
        columns: `    - { name: id, type: bigint, required: true }
    - { name: customer_id, type: bigint, required: true }
    - { name: status, type: string, required: true }
`,
      }),
    },
    conclusion: "success",
    violations: [],
    findings: [],
  },
  {
    name: "contract edit: an invalid NOTIFY contract still fails the check",
    base: {
      ...PLAIN,
      "contracts/audit.yaml": ordersContract({ enforcement: "NOTIFY" }).replace("orders", "audit"),
    },
    head: {
      "contracts/audit.yaml": ordersContract({ enforcement: "NOTIFY" })
        .replace("orders", "audit")
        .replace("type: string, required: false", "type: strng, required: false"),
    },
    conclusion: "failure",
    violations: [["contract-invalid", undefined, "contracts/audit.yaml", 12]],
    findings: [],
  },
  {
    name: "contract edit: BLOCK -> RECORD in the same PR as a breaking change still fails",
    base: PLAIN,
    head: {
      "contracts/orders.yaml": ordersContract({ enforcement: "RECORD" }),
      [`${M}/0002_drop_email.sql`]: "ALTER TABLE orders DROP COLUMN email;\n",
    },
    conclusion: "failure",
    violations: [["column-removed", "email", `${M}/0002_drop_email.sql`, 1]],
    findings: [],
  },
  {
    name: "repo policy: max NOTIFY on the base makes a breaking PR neutral",
    base: { ...PLAIN, ".github/covenant.yml": "enforcement: { max: NOTIFY }\n" },
    head: { [`${M}/0002_drop_email.sql`]: "ALTER TABLE orders DROP COLUMN email;\n" },
    conclusion: "neutral",
    violations: [["column-removed", "email", `${M}/0002_drop_email.sql`, 1]],
    findings: [],
  },
  {
    name: "repo policy: a cap added only by the PR is ignored",
    base: PLAIN,
    head: {
      ".github/covenant.yml": "enforcement: { max: NOTIFY }\n",
      [`${M}/0002_drop_email.sql`]: "ALTER TABLE orders DROP COLUMN email;\n",
    },
    conclusion: "failure",
    violations: [["column-removed", "email", `${M}/0002_drop_email.sql`, 1]],
    findings: [],
  },
  {
    name: "only a table without a contract changes",
    base: PLAIN,
    head: {
      [`${M}/0002_audit_log.sql`]: `ALTER TABLE audit_log DROP COLUMN message;
ALTER TABLE audit_log ADD COLUMN actor text NOT NULL;
`,
    },
    conclusion: "success",
    violations: [],
    changes: [
      ["column-removed", "public.audit_log", "message"],
      ["column-added", "public.audit_log", "actor"],
    ],
    findings: [],
  },
  {
    name: "one statement does not parse: it fails the contract it names (fail closed); the rest is still judged",
    base: PLAIN,
    head: {
      [`${M}/0002_mixed.sql`]: `ALTER TABLE audit_log ADD COLUMN actor text;

ALTER TABLE orders FROBNICATE COLUMN status;

ALTER TABLE orders DROP COLUMN email;
`,
    },
    conclusion: "failure",
    violations: [
      ["sql-parse-error", undefined, `${M}/0002_mixed.sql`, 3],
      ["column-removed", "email", `${M}/0002_mixed.sql`, 5],
    ],
    findings: [],
  },
  {
    name: "shop: ALTER TYPE renames an enum label: reported at the ALTER TYPE of this PR",
    from: SHOP,
    base: {},
    head: {
      [`${M}/0006_order_status_spelling.up.sql`]: `ALTER TYPE order_status RENAME VALUE 'cancelled' TO 'canceled';
ALTER TYPE order_status ADD VALUE 'refunded';
`,
    },
    conclusion: "failure",
    violations: [["enum-value-removed", "status", `${M}/0006_order_status_spelling.up.sql`, 1]],
    findings: [],
  },
  {
    name: "files of one directory named two ways are one history",
    base: PLAIN,
    head: { [`${M}/0002.sql`]: "ALTER TABLE orders ALTER COLUMN id TYPE integer;\n" },
    conclusion: "failure",
    violations: [["column-type-changed", "id", `${M}/0002.sql`, 1]],
    findings: [],
  },
  {
    name: "a column dropped and re-added with the same type is no change",
    base: PLAIN,
    head: {
      [`${M}/0002_recreate_email.sql`]: `ALTER TABLE orders DROP COLUMN email;
ALTER TABLE orders ADD COLUMN email varchar(255);
`,
    },
    conclusion: "success",
    violations: [],
    findings: [],
  },
];

describe("covenant check on realistic pull requests", { timeout: 60_000 }, () => {
  // One CLI run per scenario, several at a time: each spends most of its time starting up.
  it.concurrent.each(SCENARIOS)("$name", async (scenario) => {
    const { code, stdout, stderr } = await runScenario(scenario);
    expect(stderr).toBe("");
    const json = JSON.parse(stdout) as CheckJson;
    const actual = json.violations.map((v) => [v.rule, v.column, v.file, v.line]);
    const sortKey = (row: unknown[]) => JSON.stringify(row);
    expect(actual.map(sortKey).sort()).toEqual(scenario.violations.map(sortKey).sort());
    expect(json.conclusion).toBe(scenario.conclusion);
    expect(code).toBe(scenario.conclusion === "failure" ? 1 : 0);
    const changes = json.changes.map((c) => JSON.stringify([c.kind, c.dataset, c.column]));
    for (const change of scenario.changes ?? []) expect(changes).toContain(JSON.stringify(change));
    if (scenario.findings) {
      const findings = json.findings.map((f) => [f.rule, f.file, f.line]);
      expect(findings.map(sortKey).sort()).toEqual(scenario.findings.map(sortKey).sort());
    }
    scenario.also?.(json);
  });
});
