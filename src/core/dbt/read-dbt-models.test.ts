import { describe, expect, it } from "vitest";
import { DEFAULT_REPO_CONFIG, parseRepoConfig } from "../config/repo-config.ts";
import type { TableSchema } from "../model/schema.ts";
import { parseDbtProject, projectConfigFor } from "./dbt-project.ts";
import { discoverDbtProjects } from "./discover-dbt-projects.ts";
import { readDbtModels } from "./read-dbt-models.ts";

const lines = (...text: string[]) => text.join("\n");

/** A small jaffle-shop-like project. */
const SHOP: Record<string, string> = {
  "analytics/dbt_project.yml": lines(
    "name: jaffle_shop",
    "version: '1.0.0'",
    "profile: jaffle_shop",
    "model-paths: ['models']",
    "vars:",
    "  start_date: '2020-01-01'",
    "models:",
    "  jaffle_shop:",
    "    +materialized: view",
    "    marts:",
    "      +materialized: table",
    "    legacy:",
    "      +enabled: false",
  ),
  "analytics/models/staging/stg_orders.sql": lines(
    "with source as (",
    "    select * from {{ source('shop', 'orders') }}",
    "),",
    "renamed as (",
    "    select",
    "        id as order_id,",
    "        user_id as customer_id,",
    "        order_date,",
    "        status",
    "    from source",
    ")",
    "select * from renamed",
  ),
  "analytics/models/staging/stg_payments.sql": lines(
    "select",
    "    id as payment_id,",
    "    order_id,",
    "    amount / 100.0 as amount",
    "from {{ source('shop', 'payments') }}",
    "where created_at >= '{{ var(\"start_date\") }}'",
  ),
  "analytics/models/staging/schema.yml": lines(
    "version: 2",
    "models:",
    "  - name: stg_orders",
    "    columns:",
    "      - name: order_id",
    "        data_tests: [unique, not_null]",
    "      - name: status",
    "        data_tests:",
    "          - accepted_values:",
    "              arguments:",
    "                values: ['placed', 'shipped', 'completed', 'returned']",
  ),
  "analytics/models/marts/orders.sql": lines(
    "{{ config(contract={'enforced': true}) }}",
    "",
    "with orders as (select * from {{ ref('stg_orders') }}),",
    "payments as (select order_id, sum(amount) as amount from {{ ref('stg_payments') }} group by 1)",
    "select",
    "    orders.order_id,",
    "    orders.customer_id,",
    "    orders.order_date,",
    "    orders.status,",
    "    coalesce(payments.amount, 0) as amount,",
    "    orders.email",
    "from orders left join payments using (order_id)",
  ),
  "analytics/models/marts/schema.yml": lines(
    "version: 2",
    "models:",
    "  - name: orders",
    "    description: One row per order.",
    "    config:",
    "      contract: {enforced: true}",
    "    constraints:",
    "      - type: primary_key",
    "        columns: [order_id]",
    "    columns:",
    "      - name: order_id",
    "        data_type: bigint",
    "        constraints: [{type: not_null}]",
    "      - name: customer_id",
    "        data_type: bigint",
    "        constraints:",
    "          - type: foreign_key",
    "            to: ref('customers')",
    "            to_columns: [customer_id]",
    "      - name: order_date",
    "        data_type: date",
    "      - name: status",
    "        data_type: varchar(20)",
    "        data_tests:",
    "          - accepted_values: {values: [placed, shipped, completed, returned]}",
    "      - name: amount",
    "        data_type: numeric(12,2)",
    "      - name: email",
    "        data_type: text",
    "        meta: {pii: true}",
    "",
    "  - name: customers",
    "    latest_version: 2",
    "    config: {materialized: table}",
    "    columns:",
    "      - name: customer_id",
    "        data_type: bigint",
    "        data_tests: [unique, not_null]",
    "      - name: full_name",
    "        data_type: text",
    "        tags: [pii]",
    "      - name: country_name",
    "        data_type: text",
    "    versions:",
    "      - v: 2",
    "        columns:",
    "          - include: all",
    "            exclude: [country_name]",
    "          - name: country_code",
    "            data_type: char(2)",
    "      - v: 1",
    "        deprecation_date: 2025-06-30",
  ),
  "analytics/models/marts/customers_v1.sql":
    "select customer_id, full_name, country_name from {{ ref('stg_customers') }}",
  "analytics/models/marts/customers_v2.sql":
    "select customer_id, full_name, country_code from {{ ref('stg_customers') }}",
  "analytics/models/marts/order_items.sql": "select * from {{ ref('stg_order_items') }}",
  "analytics/models/legacy/old_revenue.sql":
    "select order_date, sum(amount) as revenue from {{ ref('orders') }} group by 1",
};

const read = (files: Record<string, string>) => {
  const [project] = discoverDbtProjects(Object.keys(files), DEFAULT_REPO_CONFIG);
  if (!project) throw new Error("no dbt project found");
  return readDbtModels({ project, files: new Map(project.files.map((path) => [path, files[path] ?? ""])) });
};

const byName = (datasets: TableSchema[], name: string): TableSchema => {
  const dataset = datasets.find((d) => d.name === name);
  if (!dataset) throw new Error(`no dataset ${name} in ${datasets.map((d) => d.name).join(", ")}`);
  return dataset;
};

describe("readDbtModels on a jaffle-shop-like project", () => {
  const { datasets, findings } = read(SHOP);

  it("returns one dataset per model and per version, and the latest version under the model's name", () => {
    expect(datasets.map((d) => d.name)).toEqual([
      "customers",
      "customers_v1",
      "customers_v2",
      "old_revenue",
      "order_items",
      "orders",
      "stg_orders",
      "stg_payments",
    ]);
    expect(findings).toEqual([]);
    expect(byName(datasets, "customers").columns).toEqual(byName(datasets, "customers_v2").columns);
  });

  it("orders: contract enforced, YAML types and constraints win, locations in the YAML", () => {
    const orders = byName(datasets, "orders");
    expect(orders.kind).toBe("dbt_model");
    expect(orders.dbt).toEqual({
      contractEnforced: true,
      materialized: "table",
      enabled: true,
      project: "analytics",
      columnsAt: { file: "analytics/models/marts/schema.yml", line: 10 },
    });
    expect(orders.columnsKnown).toBe(true);
    expect(orders.columns.map((c) => [c.name, c.type.base, c.nullable, c.location?.line])).toEqual([
      ["order_id", "bigint", false, 11],
      ["customer_id", "bigint", true, 14],
      ["order_date", "date", true, 20],
      ["status", "varchar", true, 22],
      ["amount", "numeric", true, 26],
      ["email", "text", true, 28],
    ]);
    expect(orders.columns[0]?.location?.file).toBe("analytics/models/marts/schema.yml");
    expect(orders.columns.find((c) => c.name === "status")?.acceptedValues).toEqual([
      "placed",
      "shipped",
      "completed",
      "returned",
    ]);
    // A removed value is reported where the list is written, not at the column's name.
    expect(orders.columns.find((c) => c.name === "status")?.acceptedValuesLocation).toEqual({
      file: "analytics/models/marts/schema.yml",
      line: 25,
    });
    expect(orders.columns.find((c) => c.name === "email")?.classification).toBe("pii");
    expect(orders.primaryKey).toMatchObject({ columns: ["order_id"], location: { line: 8 } });
    expect(orders.foreignKeys).toMatchObject([
      { columns: ["customer_id"], references: { dataset: "customers", columns: ["customer_id"] } },
    ]);
    expect(orders.location).toEqual({ file: "analytics/models/marts/orders.sql", line: 1 });
  });

  it("stg_orders: select * in the final query leaves the list open; YAML columns still count", () => {
    const staging = byName(datasets, "stg_orders");
    expect(staging.columnsKnown).toBe(false);
    expect(staging.columns.map((c) => [c.name, c.nullable, c.type.family])).toEqual([
      ["order_id", false, "other"],
      ["status", true, "other"],
    ]);
    expect(staging.uniques).toMatchObject([{ columns: ["order_id"] }]);
    expect(staging.dbt?.materialized).toBe("view");
  });

  it("stg_payments: columns from the SQL alone, located in the SQL", () => {
    const payments = byName(datasets, "stg_payments");
    expect(payments.columnsKnown).toBe(true);
    expect(payments.columns.map((c) => [c.name, c.type.family, c.location?.line])).toEqual([
      ["payment_id", "other", 2],
      ["order_id", "other", 3],
      ["amount", "other", 4],
    ]);
    expect(payments.dbt?.contractEnforced).toBe(false);
    expect(payments.columns.every((c) => c.undeclared)).toBe(true);
  });

  it("customers: each version is <name>_v<v> with include/exclude applied", () => {
    const v1 = byName(datasets, "customers_v1");
    const v2 = byName(datasets, "customers_v2");
    expect(v1.columns.map((c) => c.name)).toEqual(["customer_id", "full_name", "country_name"]);
    expect(v2.columns.map((c) => c.name)).toEqual(["customer_id", "full_name", "country_code"]);
    expect(v2.columns.find((c) => c.name === "country_code")?.type).toMatchObject({
      base: "char",
      length: 2,
    });
    expect(v1.dbt).toEqual({
      contractEnforced: false,
      materialized: "table",
      version: "1",
      deprecationDate: "2025-06-30",
      enabled: true,
      project: "analytics",
      columnsAt: { file: "analytics/models/marts/schema.yml", line: 35 },
    });
    expect(v2.dbt?.columnsAt).toEqual({ file: "analytics/models/marts/schema.yml", line: 46 });
    expect(v2.dbt?.version).toBe("2");
    expect(v2.columns.find((c) => c.name === "full_name")?.classification).toBe("pii");
    expect(v1.location?.file).toBe("analytics/models/marts/customers_v1.sql");
  });

  it("order_items: select * gives no columns and never a complete list", () => {
    expect(byName(datasets, "order_items")).toMatchObject({ columns: [], columnsKnown: false });
  });

  it("old_revenue: disabled through dbt_project.yml, still returned", () => {
    expect(byName(datasets, "old_revenue").dbt).toMatchObject({
      enabled: false,
      materialized: "view",
      disabledAt: { file: "analytics/dbt_project.yml", line: 13 },
    });
  });
  it("stg_orders: the accepted values sit under dbt 1.10's arguments", () => {
    expect(byName(datasets, "stg_orders").columns[1]?.acceptedValuesLocation).toEqual({
      file: "analytics/models/staging/schema.yml",
      line: 11,
    });
  });
});

describe("readDbtModels: where a model is disabled", () => {
  const project = "dbt_project.yml";
  it.each<[string, Record<string, string>, { file: string; line: number } | undefined]>([
    ["not disabled", { "models/a.sql": "select 1 as x" }, undefined],
    [
      "config() in the SQL",
      { "models/a.sql": "-- a\n{{ config(\n  materialized='table',\n  enabled=false) }}\nselect 1 as x" },
      { file: "models/a.sql", line: 4 },
    ],
    [
      "model config in YAML",
      {
        "models/a.sql": "select 1 as x",
        "models/a.yml": "models:\n  - name: a\n    config:\n      materialized: view\n      enabled: false\n",
      },
      { file: "models/a.yml", line: 5 },
    ],
    [
      "enabled beside config (before dbt 1.5)",
      { "models/a.sql": "select 1 as x", "models/a.yml": "models:\n  - name: a\n    enabled: false\n" },
      { file: "models/a.yml", line: 3 },
    ],
    [
      "a version's config",
      {
        "models/a_v1.sql": "select 1 as x",
        "models/a.yml":
          "models:\n  - name: a\n    versions:\n      - v: 1\n        config: {enabled: false}\n",
      },
      { file: "models/a.yml", line: 5 },
    ],
    [
      "dbt_project.yml",
      { [project]: "name: p\nmodels:\n  p:\n    a:\n      +enabled: false\n", "models/a.sql": "select 1" },
      { file: project, line: 5 },
    ],
  ])("%s", (_name, files, expected) => {
    const { datasets } = read({ [project]: "name: p\n", ...files });
    expect(datasets[0]?.dbt?.enabled).toBe(expected === undefined);
    expect(datasets[0]?.dbt?.disabledAt).toEqual(expected);
  });
});

describe("readDbtModels: problems are findings", () => {
  it.each<[string, Record<string, string>, { file: string; line: number; message: RegExp }]>([
    [
      "broken YAML",
      {
        "dbt_project.yml": "name: p\n",
        "models/a.sql": "select 1 as x",
        "models/schema.yml": "models:\n  - name: a\n   columns: [\n",
      },
      { file: "models/schema.yml", line: 3, message: /YAML does not parse/ },
    ],
    [
      "unreadable SQL",
      { "dbt_project.yml": "name: p\n", "models/a.sql": "\n\nselect 'oops from t" },
      {
        file: "models/a.sql",
        line: 3,
        message: /could not read the columns of model a: unterminated string/,
      },
    ],
    [
      "YAML for a model that does not exist",
      { "dbt_project.yml": "name: p\n", "models/schema.yml": "models:\n  - name: ghost\n" },
      { file: "models/schema.yml", line: 2, message: /no ghost\.sql exists/ },
    ],
    [
      "enforced contract without data_type",
      {
        "dbt_project.yml": "name: p\n",
        "models/a.sql": "select 1 as x",
        "models/a.yml":
          "models:\n  - name: a\n    config: {contract: {enforced: true}}\n    columns:\n      - name: x\n",
      },
      { file: "models/a.yml", line: 5, message: /no data_type/ },
    ],
  ])("%s", (_name, files, expected) => {
    const { findings } = read(files);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: "warning", file: expected.file, line: expected.line });
    expect(findings[0]?.message).toMatch(expected.message);
  });

  it("a broken schema file still leaves the SQL's columns", () => {
    const { datasets } = read({
      "dbt_project.yml": "name: p\n",
      "models/a.sql": "select 1 as x",
      "models/schema.yml": "models: [",
    });
    expect(datasets).toMatchObject([{ name: "a", columns: [{ name: "x" }], columnsKnown: true }]);
  });

  it("config() in the SQL wins over YAML and the project", () => {
    const { datasets } = read({
      "dbt_project.yml": "name: p\nmodels:\n  p:\n    +materialized: table\n",
      "models/a.sql": "{{ config(materialized='incremental', enabled=true) }}\nselect 1 as x",
      "models/a.yml": "models:\n  - name: a\n    config: {materialized: view, enabled: false}\n",
    });
    expect(datasets[0]?.dbt).toMatchObject({ materialized: "incremental", enabled: true });
  });

  it("custom model-paths are honoured", () => {
    const { datasets } = read({
      "dbt_project.yml": "name: p\nmodel-paths: [transform]\n",
      "transform/a.sql": "select 1 as x",
      "models/b.sql": "select 1 as y",
    });
    expect(datasets.map((d) => d.name)).toEqual(["a"]);
  });
});

describe("discoverDbtProjects", () => {
  it("finds every project, skips packages and non-model folders, nests correctly", () => {
    const projects = discoverDbtProjects(
      [
        "analytics/dbt_project.yml",
        "analytics/packages.yml",
        "analytics/models/a.sql",
        "analytics/models/schema.yml",
        "analytics/macros/m.sql",
        "analytics/seeds/s.csv",
        "analytics/tests/t.sql",
        "analytics/dbt_packages/dbt_utils/dbt_project.yml",
        "analytics/dbt_packages/dbt_utils/models/x.sql",
        "analytics/target/compiled/a.sql",
        "analytics/sub/dbt_project.yml",
        "analytics/sub/models/b.sql",
        "README.md",
      ],
      DEFAULT_REPO_CONFIG,
      new Map([
        ["analytics/dbt_project.yml", "name: analytics\n"],
        ["analytics/sub/dbt_project.yml", "name: sub\n"],
      ]),
    );
    expect(projects).toEqual([
      {
        root: "analytics",
        projectFile: "analytics/dbt_project.yml",
        // Macros are read for lineage (models calling them are expanded), and seeds' CSV (for
        // their header only); tests are not.
        files: [
          "analytics/dbt_project.yml",
          "analytics/macros/m.sql",
          "analytics/models/a.sql",
          "analytics/models/schema.yml",
          "analytics/seeds/s.csv",
        ],
      },
      {
        root: "analytics/sub",
        projectFile: "analytics/sub/dbt_project.yml",
        files: ["analytics/sub/dbt_project.yml", "analytics/sub/models/b.sql"],
      },
    ]);
  });

  it("adds configured projects and honours ignore", () => {
    const config = parseRepoConfig("dbt: [{ path: warehouse }]\nignore: ['examples/**']\n");
    const projects = discoverDbtProjects(
      ["warehouse/models/a.sql", "examples/dbt_project.yml", "examples/models/x.sql"],
      config,
    );
    expect(projects).toEqual([{ root: "warehouse", files: ["warehouse/models/a.sql"] }]);
  });
});

describe("parseDbtProject", () => {
  it("reads name, model-paths, vars and the config tree", () => {
    const project = parseDbtProject(SHOP["analytics/dbt_project.yml"]!, "analytics/dbt_project.yml");
    expect(project).toMatchObject({
      name: "jaffle_shop",
      folders: { model: ["analytics/models"] },
      vars: { start_date: "2020-01-01" },
    });
    expect(projectConfigFor(project, ["marts"], "orders")).toEqual({ materialized: "table" });
    expect(projectConfigFor(project, ["legacy"], "old")).toEqual({ materialized: "view", enabled: false });
    expect(projectConfigFor(project, [], "top")).toEqual({ materialized: "view" });
  });

  // 10,000 nested brackets took the YAML library (and the analysis worker) down: out of memory.
  it("says a nesting bomb in dbt_project.yml or schema.yml does not parse, before parsing it", () => {
    const bomb = `name: ${"[".repeat(10_000)}\n`;
    const project = parseDbtProject(bomb, "dbt_project.yml");
    expect(project.findings).toMatchObject([
      {
        rule: "dbt-parse-error",
        file: "dbt_project.yml",
        message: expect.stringMatching(/nested more than 64/),
      },
    ]);
    const result = read({ ...SHOP, "analytics/models/marts/schema.yml": `models: ${"[".repeat(10_000)}\n` });
    expect(result.findings).toContainEqual(
      expect.objectContaining({
        file: "analytics/models/marts/schema.yml",
        message: expect.stringMatching(/nested/),
      }),
    );
  });

  it("falls back to dbt's defaults on broken YAML", () => {
    const project = parseDbtProject("name: [\n", "dbt_project.yml");
    expect(project.folders.model).toEqual(["models"]);
    expect(project.findings).toMatchObject([{ rule: "dbt-parse-error", file: "dbt_project.yml" }]);
  });
});
