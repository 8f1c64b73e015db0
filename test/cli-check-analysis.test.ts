// False passes of the analysis, each met as a user would: a real git repository, a branch that
// changes something a contract covers, and the real `covenant check` judging it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGitRepo, type GitRepo, type RepoFiles } from "./helpers/git-repo.ts";
import { ordersContract } from "./helpers/orders-contract.ts";
import { runCli } from "./helpers/run-cli.ts";

const ORDERS_CONTRACT = ordersContract();

const DIM_CUSTOMERS_CONTRACT = `name: dim-customers
version: 1.0.0
status: active
owner: "@acme/analytics"
enforcement: BLOCK
dataset: { type: dbt_model, name: dim_customers }
schema:
  columns:
    - { name: customer_id, type: bigint, required: true }
    - { name: email, type: string }
`;

const DBT_PROJECT = `name: shop
version: "1.0.0"
config-version: 2
profile: shop
model-paths: ["models"]
models:
  shop:
    marts:
      +materialized: table
    legacy:
      +enabled: false
`;

const DIM_CUSTOMERS_SQL =
  "select\n    id as customer_id,\n    email\nfrom {{ source('shop', 'customers') }}\n";

const MARTS_SCHEMA = `version: 2
models:
  - name: dim_customers
    config:
      contract: { enforced: true }
    columns:
      - name: customer_id
        data_type: bigint
        constraints: [{ type: not_null }]
      - name: email
        data_type: text
`;

const BASE: RepoFiles = {
  "db/migrations/0001_create_orders.sql":
    "CREATE TABLE orders (\n  id bigint PRIMARY KEY,\n  email varchar(255),\n  status text NOT NULL\n);\n",
  "db/migrations/0002_create_customers.sql":
    "CREATE TABLE customers (\n  id bigint PRIMARY KEY,\n  email text\n);\n",
  "contracts/orders.yaml": ORDERS_CONTRACT,
  "contracts/dim-customers.yaml": DIM_CUSTOMERS_CONTRACT,
  "analytics/dbt_project.yml": DBT_PROJECT,
  "analytics/models/marts/dim_customers.sql": DIM_CUSTOMERS_SQL,
  "analytics/models/marts/schema.yml": MARTS_SCHEMA,
};

const DROP_EMAIL: RepoFiles = {
  "db/migrations/0003_drop_email.sql": "ALTER TABLE orders DROP COLUMN email;\n",
};

let repository: GitRepo;

/** A branch from a fresh copy of the base with `files` on top, judged by `covenant check`. */
const check = async (files: RepoFiles, { base = BASE }: { base?: RepoFiles } = {}) => {
  const { git, commit } = repository;
  git("checkout", "-q", "--orphan", `base-${Math.random().toString(36).slice(2)}`);
  git("rm", "-rq", "--cached", "--ignore-unmatch", ".");
  git("clean", "-fdqx");
  const baseSha = commit(base, "base");
  const headSha = commit(files, "change");
  const result = await runCli({}, [
    "check",
    "--repo",
    repository.dir,
    "--base",
    baseSha,
    "--head",
    headSha,
    "--format",
    "json",
  ]);
  const text = await runCli({}, ["check", "--repo", repository.dir, "--base", baseSha, "--head", headSha]);
  expect(text.code, `text and JSON runs disagree:\n${text.stdout}${text.stderr}`).toBe(result.code);
  if (result.code === 2)
    return {
      code: result.code,
      json: undefined,
      text: text.stdout,
      stderr: `${result.stdout}${result.stderr}${text.stderr}`,
    };
  return {
    code: result.code,
    json: JSON.parse(result.stdout) as Verdict,
    text: text.stdout,
    stderr: result.stderr,
  };
};

type Verdict = {
  conclusion: string;
  violations: Array<{
    rule: string;
    contract: string;
    dataset: string;
    column?: string;
    file?: string;
    line?: number;
    message: string;
  }>;
  changes: Array<{ kind: string; dataset: string; column?: string }>;
  findings: Array<{ rule: string; severity: string; file: string; line: number; message: string }>;
};

const rules = (json: Verdict | undefined) => (json?.violations ?? []).map((v) => `${v.rule} ${v.contract}`);

beforeAll(() => {
  repository = createGitRepo("covenant-analysis-");
});

afterAll(() => repository.remove());

describe("a PR that only deletes or moves dbt files is seen", { timeout: 60_000 }, () => {
  it("fails when a contracted model is deleted", async () => {
    const { code, json } = await check({ "analytics/models/marts/dim_customers.sql": null });
    expect(rules(json)).toContain("dataset-removed dim-customers");
    expect(json?.conclusion).toBe("failure");
    expect(code).toBe(1);
  });

  it("fails when a contracted model moves out of the dbt project", async () => {
    const { code, json } = await check({
      "analytics/models/marts/dim_customers.sql": null,
      "archive/dim_customers.sql": DIM_CUSTOMERS_SQL,
    });
    expect(rules(json)).toContain("dataset-removed dim-customers");
    expect(code).toBe(1);
  });

  it("fails when a contracted model moves into a folder dbt_project.yml disables", async () => {
    const { code, json } = await check({
      "analytics/models/marts/dim_customers.sql": null,
      "analytics/models/legacy/dim_customers.sql": DIM_CUSTOMERS_SQL,
    });
    expect(rules(json)).toContain("dataset-removed dim-customers");
    expect(json?.violations[0]?.message).toContain("disabled");
    expect(code).toBe(1);
  });

  it("passes when a contracted model only moves to another folder with the same config", async () => {
    const { code, json } = await check({
      "analytics/models/marts/dim_customers.sql": null,
      "analytics/models/marts/customers/dim_customers.sql": DIM_CUSTOMERS_SQL,
    });
    expect(json?.violations).toEqual([]);
    expect(json?.changes).toEqual([]);
    expect(code).toBe(0);
  });

  it("sees the config a model picks up from its new folder", async () => {
    const { json } = await check({
      "analytics/models/marts/dim_customers.sql": null,
      "analytics/models/core/dim_customers.sql": DIM_CUSTOMERS_SQL,
    });
    expect(json?.changes.map((c) => c.kind)).toEqual(["dbt-materialization-changed"]);
  });

  it("fails when dbt_project.yml disables the model's folder with +enabled: false", async () => {
    const { code, json } = await check({
      "analytics/dbt_project.yml": DBT_PROJECT.replace("+materialized: table", "+enabled: false"),
    });
    expect(rules(json)).toContain("dataset-removed dim-customers");
    expect(code).toBe(1);
  });

  it("fails when the model disables itself with config(enabled=false)", async () => {
    const { code, json } = await check({
      "analytics/models/marts/dim_customers.sql": `{{ config(enabled=false) }}\n${DIM_CUSTOMERS_SQL}`,
    });
    expect(rules(json)).toContain("dataset-removed dim-customers");
    expect(code).toBe(1);
  });

  it("fails when dbt_project.yml is deleted: every model of the project goes", async () => {
    const { code, json } = await check({ "analytics/dbt_project.yml": null });
    expect(rules(json)).toContain("dataset-removed dim-customers");
    expect(code).toBe(1);
  });

  it("does not pass silently when the schema.yml declaring a contracted model's types is deleted", async () => {
    const { code, json } = await check({ "analytics/models/marts/schema.yml": null });
    expect(json?.conclusion).toBe("failure");
    expect(rules(json).some((r) => r.endsWith("dim-customers"))).toBe(true);
    expect(code).toBe(1);
  });

  it("passes when schema.yml moves or is split, its declarations unchanged", async () => {
    const moved = await check({
      "analytics/models/marts/schema.yml": null,
      "analytics/models/schema/marts.yml": MARTS_SCHEMA,
    });
    expect(moved.json?.violations).toEqual([]);
    expect(moved.code).toBe(0);
    const split = await check({
      "analytics/models/marts/schema.yml": "version: 2\n",
      "analytics/models/marts/_dim_customers.yml": MARTS_SCHEMA,
    });
    expect(split.json?.violations).toEqual([]);
    expect(split.code).toBe(0);
  });
});

describe("which contracts are enforced, and saying which are not", { timeout: 60_000 }, () => {
  it("enforces a repository contract that has no status (README's example)", async () => {
    const { code, json } = await check(DROP_EMAIL, {
      base: { ...BASE, "contracts/orders.yaml": ORDERS_CONTRACT.replace("status: active\n", "") },
    });
    expect(rules(json)).toEqual(["column-removed orders"]);
    expect(code).toBe(1);
  });

  it.each([
    ["status: draft", "draft"],
    ["status: deprecated", "deprecated"],
    ["status: archived", "archived"],
  ])("says in one line that a %s contract was not enforced", async (status, word) => {
    const { code, json, text } = await check(DROP_EMAIL, {
      base: { ...BASE, "contracts/orders.yaml": ORDERS_CONTRACT.replace("status: active", status) },
    });
    expect(json?.violations).toEqual([]);
    expect(code).toBe(0);
    const skipped = json?.findings.filter((f) => f.rule === "contract-skipped") ?? [];
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ severity: "info", file: "contracts/orders.yaml", line: 3 });
    expect(skipped[0]?.message).toContain(word);
    expect(text.split("\n").filter((line) => line.includes("contract-skipped"))).toHaveLength(1);
  });

  it("says in one line that an INACTIVE contract was not enforced", async () => {
    const { code, json } = await check(DROP_EMAIL, {
      base: {
        ...BASE,
        "contracts/orders.yaml": ORDERS_CONTRACT.replace("enforcement: BLOCK", "enforcement: INACTIVE"),
      },
    });
    expect(json?.violations).toEqual([]);
    expect(code).toBe(0);
    const skipped = json?.findings.filter((f) => f.rule === "contract-skipped") ?? [];
    expect(skipped.map((f) => [f.file, f.line])).toEqual([["contracts/orders.yaml", 5]]);
    expect(skipped[0]?.message).toContain("INACTIVE");
  });

  it("says nothing of a skipped contract whose dataset the PR leaves alone", async () => {
    const { json } = await check(
      { "db/migrations/0003_add_note.sql": "ALTER TABLE customers ADD COLUMN note text;\n" },
      {
        base: {
          ...BASE,
          "contracts/orders.yaml": ORDERS_CONTRACT.replace("status: active", "status: draft"),
        },
      },
    );
    expect(json?.findings.filter((f) => f.rule === "contract-skipped")).toEqual([]);
  });

  it("names the contracted dataset (the old name) in a dataset-renamed violation", async () => {
    const { code, json } = await check({
      "db/migrations/0003_rename.sql": "ALTER TABLE orders RENAME TO purchases;\n",
    });
    expect(json?.violations.map((v) => [v.rule, v.dataset])).toEqual([["dataset-renamed", "public.orders"]]);
    expect(code).toBe(1);
  });
});

const CONFIG = "migrations:\n  - { path: schema/changes, dialect: postgres, tool: numbered }\n";
const CONFIGURED_BASE: RepoFiles = {
  ".github/covenant.yml": CONFIG,
  "schema/changes/001_orders.sql":
    "CREATE TABLE orders (\n  id bigint PRIMARY KEY,\n  email varchar(255),\n  status text NOT NULL\n);\n",
  "contracts/orders.yaml": ORDERS_CONTRACT,
};
const CONFIGURED_DROP: RepoFiles = {
  "schema/changes/002_drop.sql": "ALTER TABLE orders DROP COLUMN email;\n",
};

describe("the configuration comes from the base", { timeout: 60_000 }, () => {
  it("a PR that deletes .github/covenant.yml cannot switch Covenant off", async () => {
    const { code, json } = await check(
      { ".github/covenant.yml": null, ...CONFIGURED_DROP },
      { base: CONFIGURED_BASE },
    );
    expect(rules(json)).toEqual(["column-removed orders"]);
    expect(code).toBe(1);
  });

  it("a PR that ignores the migrations in .github/covenant.yml cannot hide them", async () => {
    const { code, json } = await check(
      { ".github/covenant.yml": `${CONFIG}ignore: ["schema/**"]\n`, ...CONFIGURED_DROP },
      { base: CONFIGURED_BASE },
    );
    expect(rules(json)).toEqual(["column-removed orders"]);
    expect(code).toBe(1);
  });

  it("an invalid configuration on the base fails closed with where and what to do", async () => {
    const { code, stderr } = await check(CONFIGURED_DROP, {
      base: { ...CONFIGURED_BASE, ".github/covenant.yml": CONFIG.replace("migrations:", "migration:") },
    });
    expect(code).toBe(2);
    expect(stderr).toContain(".github/covenant.yml:1:1");
    expect(stderr).toContain('unknown key "migration"');
  });
});

describe("rewritten migration history is said", { timeout: 60_000 }, () => {
  it("an applied migration edited by the PR is a violation of the contracts it names", async () => {
    const { code, json } = await check({
      "db/migrations/0001_create_orders.sql":
        "CREATE TABLE orders (\n  id bigint PRIMARY KEY,\n  email varchar(255),\n  status text\n);\n",
    });
    const rewritten = json?.violations.filter((v) => v.rule === "migration-history-rewritten") ?? [];
    expect(rewritten.map((v) => [v.contract, v.dataset, v.file, v.line])).toEqual([
      ["orders", "public.orders", "db/migrations/0001_create_orders.sql", 1],
    ]);
    expect(rewritten[0]?.message).toContain("already");
    expect(code).toBe(1);
  });

  it("an applied migration renamed (re-ordered) by the PR is said, even when the replay ends the same", async () => {
    const { json } = await check({
      "db/migrations/0001_create_orders.sql": null,
      "db/migrations/0003_create_orders.sql": BASE["db/migrations/0001_create_orders.sql"] as string,
    });
    const rewritten = json?.violations.filter((v) => v.rule === "migration-history-rewritten") ?? [];
    expect(rewritten.map((v) => v.contract)).toEqual(["orders"]);
  });

  it("an applied migration that touches no contract is a warning finding", async () => {
    const { code, json } = await check({
      "db/migrations/0002_create_customers.sql":
        "CREATE TABLE customers (\n  id bigint PRIMARY KEY,\n  email text,\n  phone text\n);\n",
    });
    expect(json?.violations).toEqual([]);
    expect(json?.findings.map((f) => [f.rule, f.severity, f.file])).toContainEqual([
      "migration-history-rewritten",
      "warning",
      "db/migrations/0002_create_customers.sql",
    ]);
    expect(code).toBe(0);
  });
});

describe("contracts moved or named loosely are still enforced", { timeout: 60_000 }, () => {
  it("a contract moved to another path still judges the PR, and is not a new contract", async () => {
    const { code, json } = await check({
      "contracts/orders.yaml": null,
      "contracts/sales/orders.yaml": ORDERS_CONTRACT,
      ...DROP_EMAIL,
    });
    expect(rules(json)).toEqual(["column-removed orders"]);
    expect(code).toBe(1);
  });

  it("deleting an active contract's file is a violation: nothing would guard its dataset after the merge", async () => {
    const { code, json, text } = await check({ "contracts/orders.yaml": null });
    expect(rules(json)).toEqual(["contract-removed orders"]);
    expect(json?.violations[0]).toMatchObject({ dataset: "public.orders", file: "contracts/orders.yaml" });
    expect(text).toMatch(/status: deprecated/);
    expect(code).toBe(1);
  });

  it("moving a contract where the contracts globs do not read it is a deletion", async () => {
    const { code, json } = await check({
      "contracts/orders.yaml": null,
      "docs/orders.yaml": ORDERS_CONTRACT,
    });
    expect(rules(json)).toEqual(["contract-removed orders"]);
    expect(code).toBe(1);
  });

  it("deleting a deprecated contract's file retires it quietly", async () => {
    const { code, json } = await check(
      { "contracts/orders.yaml": null },
      {
        base: {
          ...BASE,
          "contracts/orders.yaml": ORDERS_CONTRACT.replace("status: active", "status: deprecated"),
        },
      },
    );
    expect(rules(json)).toEqual([]);
    expect(code).toBe(0);
  });

  it.each([["PUBLIC.ORDERS"], ["Orders"], ['public."orders"'], ['"public"."orders"']])(
    "a contract on %s binds public.orders",
    async (name) => {
      const { code, json } = await check(DROP_EMAIL, {
        base: {
          ...BASE,
          "contracts/orders.yaml": ORDERS_CONTRACT.replace("name: public.orders", `name: '${name}'`),
        },
      });
      expect(rules(json)).toEqual(["column-removed orders"]);
      expect(code).toBe(1);
    },
  );

  it("a dbt contract whose model name differs only by case binds the model", async () => {
    const { code, json } = await check(
      { "analytics/models/marts/dim_customers.sql": null },
      {
        base: {
          ...BASE,
          "contracts/dim-customers.yaml": DIM_CUSTOMERS_CONTRACT.replace(
            "name: dim_customers",
            "name: Dim_Customers",
          ),
        },
      },
    );
    expect(rules(json)).toContain("dataset-removed dim-customers");
    expect(code).toBe(1);
  });

  it("a contract on a versioned model follows its latest version", async () => {
    const versioned = `version: 2
models:
  - name: dim_customers
    latest_version: 1
    config:
      contract: { enforced: true }
    columns:
      - name: customer_id
        data_type: bigint
        constraints: [{ type: not_null }]
      - name: email
        data_type: text
    versions:
      - v: 1
      - v: 2
        columns:
          - include: all
            exclude: [email]
`;
    const base = {
      ...BASE,
      "analytics/models/marts/schema.yml": versioned,
      "analytics/models/marts/dim_customers_v1.sql": DIM_CUSTOMERS_SQL,
      "analytics/models/marts/dim_customers_v2.sql":
        "select\n    id as customer_id\nfrom {{ source('shop', 'customers') }}\n",
      "analytics/models/marts/dim_customers.sql": null,
    };
    const { code, json } = await check(
      { "analytics/models/marts/schema.yml": versioned.replace("latest_version: 1", "latest_version: 2") },
      { base },
    );
    expect(rules(json)).toContain("column-removed dim-customers");
    expect(code).toBe(1);
  });
});
