import { describe, expect, it } from "vitest";
import { type AnalyzeInput, analyze, planAnalysis } from "./analyze.ts";

const contract = (dataset: string, extra = "") => `name: orders
version: 1.0.0
status: active
owner: "@acme/data"
enforcement: BLOCK
dataset: { type: table, name: ${dataset} }
schema:
  primary_key: [id]
  columns:
    - { name: id, type: integer, required: true }
    - { name: email, type: string, required: false }
    - { name: status, type: string, required: true }
${extra}`;

type Repo = Record<string, string>;

const run = async (base: Repo, head: Repo, extra: Partial<AnalyzeInput> = {}) => {
  const changedPaths = [...new Set([...Object.keys(base), ...Object.keys(head)])].filter(
    (p) => base[p] !== head[p],
  );
  const input = {
    basePaths: Object.keys(base),
    headPaths: Object.keys(head),
    changedPaths,
  };
  const plan = planAnalysis(input);
  const pick = (repo: Repo, paths: string[]) =>
    new Map(paths.filter((p) => repo[p] !== undefined).map((p) => [p, repo[p]!] as [string, string]));
  return analyze({ ...input, base: pick(base, plan.base), head: pick(head, plan.head), ...extra });
};

const INIT: Record<string, string> = {
  postgres:
    "CREATE TABLE orders (\n  id integer PRIMARY KEY,\n  email varchar(100),\n  status text NOT NULL\n);\n",
  mysql:
    "CREATE TABLE orders (\n  id int NOT NULL PRIMARY KEY,\n  email varchar(100),\n  status varchar(20) NOT NULL\n);\n",
  sqlite:
    "CREATE TABLE orders (\n  id integer PRIMARY KEY NOT NULL,\n  email varchar(100),\n  status text NOT NULL\n);\n",
};

const config = (dialect: string) => `migrations:\n  - { path: db/migrations, dialect: ${dialect} }\n`;

describe("analyze across dialects", () => {
  const cases = [
    {
      dialect: "postgres",
      sql: "-- drop it\nALTER TABLE orders DROP COLUMN email;\n",
      rule: "column-removed",
      line: 2,
      conclusion: "failure",
    },
    {
      dialect: "mysql",
      sql: "ALTER TABLE orders DROP COLUMN email;\n",
      rule: "column-removed",
      line: 1,
      conclusion: "failure",
    },
    {
      dialect: "sqlite",
      sql: "\nALTER TABLE orders DROP COLUMN email;\n",
      rule: "column-removed",
      line: 2,
      conclusion: "failure",
    },
    {
      dialect: "postgres",
      sql: "ALTER TABLE orders RENAME COLUMN email TO email_address;\n",
      rule: "column-renamed",
      line: 1,
      conclusion: "failure",
    },
    {
      dialect: "mysql",
      sql: "ALTER TABLE orders CHANGE email email_address varchar(100);\n",
      rule: "column-renamed",
      line: 1,
      conclusion: "failure",
    },
    {
      dialect: "postgres",
      sql: "ALTER TABLE orders ALTER COLUMN status DROP NOT NULL;\n",
      rule: "contract-nullability-mismatch",
      line: 1,
      conclusion: "failure",
    },
    {
      dialect: "postgres",
      sql: "ALTER TABLE orders ALTER COLUMN email TYPE varchar(200);\n",
      rule: undefined,
      line: 0,
      conclusion: "success",
    },
    {
      dialect: "postgres",
      sql: "ALTER TABLE orders ADD COLUMN note text;\n",
      rule: undefined,
      line: 0,
      conclusion: "success",
    },
  ];
  it.each(cases)("$dialect: $sql -> $rule", async ({ dialect, sql, rule, line, conclusion }) => {
    const base = {
      ".github/covenant.yml": config(dialect),
      "db/migrations/0001_init.sql": INIT[dialect]!,
      "contracts/orders.yaml": contract("orders"),
    };
    const head = { ...base, "db/migrations/0002_change.sql": sql };
    const { verdict } = await run(base, head);
    expect(verdict.conclusion).toBe(conclusion);
    expect(verdict.violations.map((v) => [v.rule, v.file, v.line])).toEqual(
      rule ? [[rule, "db/migrations/0002_change.sql", line]] : [],
    );
  });

  it("judges with the base contract and the base policy, reuses a base snapshot", async () => {
    const base = {
      ".github/covenant.yml": `${config("postgres")}enforcement: { max: NOTIFY }\n`,
      "db/migrations/0001_init.sql": INIT.postgres!,
      "contracts/orders.yaml": contract("orders"),
    };
    const head = {
      ...base,
      ".github/covenant.yml": config("postgres"),
      "contracts/orders.yaml": contract("orders").replace("enforcement: BLOCK", "enforcement: RECORD"),
      "db/migrations/0002_change.sql": "ALTER TABLE orders DROP COLUMN email;\n",
    };
    const first = await run(base, head);
    expect(first.verdict.conclusion).toBe("neutral");
    expect(first.verdict.violations.map((v) => [v.rule, v.enforcement])).toEqual([
      ["column-removed", "NOTIFY"],
    ]);
    const snapshot = JSON.parse(JSON.stringify(first.baseSnapshot));
    const again = await run(base, head, { baseSnapshot: snapshot });
    expect(again.verdict).toEqual(first.verdict);
  });

  it("an edited old migration replays the whole history", async () => {
    const base = {
      "db/migrations/0001_init.sql": INIT.postgres!,
      "contracts/orders.yaml": contract("orders"),
    };
    const head = {
      ...base,
      "db/migrations/0001_init.sql": INIT.postgres!.replace("  email varchar(100),\n", ""),
    };
    const { verdict } = await run(base, head);
    // The replay shows what a new database gets; deployed ones never re-run 0001: both are said.
    expect(verdict.violations.map((v) => [v.rule, v.column])).toEqual([
      ["column-removed", "email"],
      ["migration-history-rewritten", undefined],
    ]);
  });

  it("an invalid contract edited by the PR fails with line:column", async () => {
    const base = {
      "db/migrations/0001_init.sql": INIT.postgres!,
      "contracts/orders.yaml": contract("orders"),
    };
    const head = {
      ...base,
      "contracts/orders.yaml": contract("orders").replace("enforcement: BLOCK", "enforcement: LOUD"),
    };
    const { verdict } = await run(base, head);
    expect(verdict.conclusion).toBe("failure");
    expect(verdict.violations[0]?.rule).toBe("contract-invalid");
    expect(verdict.violations[0]?.message).toMatch(/^contracts\/orders\.yaml:5:\d+ /);
  });

  it("a parse error is a finding of the PR's file", async () => {
    const base = { "db/migrations/0001_init.sql": INIT.postgres! };
    const head = {
      ...base,
      "db/migrations/0002_x.sql": "ALTER TABLE orders ADD COLUMN x int;\nTHIS IS NOT SQL;\n",
    };
    const { verdict } = await run(base, head);
    expect(verdict.findings.map((f) => [f.rule, f.file, f.line])).toEqual([
      ["sql-parse-error", "db/migrations/0002_x.sql", 2],
    ]);
    expect(verdict.changes.map((c) => [c.kind, c.dataset, c.column])).toEqual([
      ["column-added", "public.orders", "x"],
    ]);
  });
});

describe("analyze with dbt models", () => {
  const project = {
    "analytics/dbt_project.yml": "name: shop\nversion: '1.0.0'\nmodel-paths: ['models']\n",
    "analytics/models/customers.sql":
      "select\n  id as customer_id,\n  email,\n  created_at\nfrom {{ source('app', 'users') }}\n",
    "analytics/models/schema.yml":
      "version: 2\nmodels:\n  - name: customers\n    columns:\n      - name: customer_id\n        data_type: integer\n        data_tests: [not_null]\n",
    "contracts/customers.yaml": `name: customers
version: 1.0.0
status: active
owner: "@acme/analytics"
enforcement: BLOCK
dataset: { type: dbt_model, name: customers }
schema:
  columns:
    - { name: customer_id, type: integer, required: true }
    - { name: email, type: string }
`,
  };

  it("a column leaving a dbt model's select list is column-removed", async () => {
    const head = {
      ...project,
      "analytics/models/customers.sql":
        "select\n  id as customer_id,\n  created_at\nfrom {{ source('app', 'users') }}\n",
    };
    const { verdict } = await run(project, head);
    expect(verdict.violations.map((v) => [v.rule, v.dataset, v.column])).toEqual([
      ["column-removed", "customers", "email"],
    ]);
    expect(verdict.conclusion).toBe("failure");
  });

  it("an untouched dbt project yields no change", async () => {
    const { verdict } = await run(project, { ...project, "README.md": "x" });
    expect(verdict.changes).toEqual([]);
  });
});

describe("what cannot be verified on a contract switched off", () => {
  it("stays a warning finding when the only contract it may touch is INACTIVE", async () => {
    const base = {
      "db/migrations/0001_init.sql": INIT.postgres!,
      "contracts/orders.yaml": contract("public.orders").replace(
        "enforcement: BLOCK",
        "enforcement: INACTIVE",
      ),
    };
    const head = { ...base, "db/migrations/0002_typo.sql": "ALTER TABLE orders DROP COLUM email;\n" };
    const { verdict } = await run(base, head);
    expect(verdict.conclusion).toBe("success");
    expect(verdict.violations).toEqual([]);
    expect(verdict.findings).toContainEqual(
      expect.objectContaining({
        rule: "sql-parse-error",
        severity: "warning",
        file: "db/migrations/0002_typo.sql",
      }),
    );
  });
});
