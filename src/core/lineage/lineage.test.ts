import { beforeAll, describe, expect, it } from "vitest";
import { type AnalyzeInput, analyze, planAnalysis } from "../analyze.ts";
import { DEFAULT_REPO_CONFIG } from "../config/repo-config.ts";
import { discoverDbtProjects } from "../dbt/discover-dbt-projects.ts";
import { emptySchemaState } from "../model/schema.ts";
import { renderJson } from "../report/render-json.ts";
import { renderPrComment } from "../report/render-pr-comment.ts";
import { loadPostgresParser } from "../sql/postgres.ts";
import { buildLineage } from "./build-lineage.ts";
import { readRepositoryDbtGraph } from "./repository-lineage.ts";
import { formatPath, indexLineage, traceDownstream, traceUpstream } from "./trace-lineage.ts";

beforeAll(loadPostgresParser);

type Repo = Record<string, string>;

/** A jaffle-shop-shaped repository: migrations build the raw tables, dbt stages and marts them. */
const SHOP: Repo = {
  ".github/covenant.yml": "migrations:\n  - { path: db/migrations, dialect: postgres }\n",
  "db/migrations/001_init.sql": [
    "CREATE TABLE customers (id bigint PRIMARY KEY, name text, email text, created_at timestamptz NOT NULL);",
    "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, status text NOT NULL,",
    "  amount_cents bigint NOT NULL, email text, ordered_at timestamptz NOT NULL);",
    "",
  ].join("\n"),
  "analytics/dbt_project.yml": "name: shop\nprofile: shop\nmodel-paths: [models]\n",
  "analytics/models/staging/_sources.yml": [
    "version: 2",
    "sources:",
    "  - name: raw",
    "    schema: public",
    "    tables:",
    "      - name: orders",
    "      - name: people",
    "        identifier: customers",
    "",
  ].join("\n"),
  "analytics/models/staging/stg_orders.sql": [
    "with source as (",
    "    select * from {{ source('raw', 'orders') }}",
    "),",
    "renamed as (",
    "    select",
    "        id as order_id,",
    "        customer_id,",
    "        status,",
    "        {{ cents_to_dollars('amount_cents') }} as amount,",
    "        email as customer_email,",
    "        ordered_at::date as order_date",
    "    from source",
    "    where status <> 'cancelled'",
    ")",
    "select * from renamed",
    "",
  ].join("\n"),
  "analytics/models/staging/stg_customers.sql":
    "select id as customer_id, name as customer_name, created_at from {{ source('raw', 'people') }}\n",
  "analytics/models/marts/dim_customers.sql": [
    "with orders as (select * from {{ ref('stg_orders') }}),",
    "customer_orders as (",
    "    select customer_id, max(customer_email) as email, count(*) as order_count,",
    "           sum(amount) over (partition by customer_id) as lifetime_value",
    "    from orders group by customer_id, amount",
    ")",
    "select c.customer_id, c.customer_name, co.email, co.order_count, co.lifetime_value",
    "from {{ ref('stg_customers') }} c",
    "left join customer_orders co using (customer_id)",
    "",
  ].join("\n"),
  "analytics/models/marts/all_contacts.sql": [
    "select customer_email as contact from {{ ref('stg_orders') }}",
    "union all",
    "select cast(customer_name as text) from {{ ref('stg_customers') }}",
    "",
  ].join("\n"),
  "analytics/models/marts/broken.sql": "select from where {{ ref('stg_orders') }} ((\n",
  "analytics/models/marts/schema.yml": [
    "version: 2",
    "groups:",
    "  - name: growth",
    "    owner: { name: Growth Team, email: growth@example.com }",
    "models:",
    "  - name: dim_customers",
    "    config:",
    "      group: growth",
    "      meta: { owner: '@acme/marts' }",
    "exposures:",
    "  - name: weekly_kpis",
    "    type: dashboard",
    "    url: https://bi.example.com/kpis",
    "    owner: { name: Finance, email: finance@example.com }",
    "    depends_on:",
    "      - ref('dim_customers')",
    "",
  ].join("\n"),
  "contracts/dim_customers.yaml": [
    "name: dim_customers",
    "version: 1.0.0",
    "status: active",
    'owner: "@acme/marts"',
    "enforcement: BLOCK",
    "dataset: { type: dbt_model, name: dim_customers }",
    "schema:",
    "  columns:",
    "    - { name: customer_id, type: bigint, required: true }",
    "    - { name: email, type: string }",
    "    - { name: lifetime_value, type: number }",
    "",
  ].join("\n"),
};

const run = async (base: Repo, head: Repo, extra: Partial<AnalyzeInput> = {}) => {
  const changedPaths = [...new Set([...Object.keys(base), ...Object.keys(head)])].filter(
    (p) => base[p] !== head[p],
  );
  const input = { basePaths: Object.keys(base), headPaths: Object.keys(head), changedPaths };
  const plan = planAnalysis(input);
  const pick = (repo: Repo, paths: string[]) =>
    new Map(paths.filter((p) => repo[p] !== undefined).map((p) => [p, repo[p]!] as [string, string]));
  return analyze({ ...input, base: pick(base, plan.base), head: pick(head, plan.head), ...extra });
};

const migrate = (sql: string): Repo => ({
  ...SHOP,
  "db/migrations/002_change.sql": `-- the change\n${sql}\n`,
});

const lineageOf = (repo: Repo) => {
  const paths = Object.keys(repo);
  const projects = discoverDbtProjects(paths, DEFAULT_REPO_CONFIG);
  const graph = readRepositoryDbtGraph(projects, new Map(Object.entries(repo)), DEFAULT_REPO_CONFIG);
  const state = emptySchemaState();
  for (const [name, columns] of [
    ["public.orders", ["id", "customer_id", "status", "amount_cents", "email", "ordered_at"]],
    ["public.customers", ["id", "name", "email", "created_at"]],
  ] as const)
    state.datasets.set(name, {
      name,
      kind: "table",
      columns: columns.map((c) => ({
        name: c,
        type: { family: "string", base: "text", raw: "text" },
        nullable: true,
      })),
      columnsKnown: true,
      uniques: [],
      foreignKeys: [],
    });
  return buildLineage({ state, dialectOf: () => "postgres", dbt: graph.nodes });
};

describe("column lineage", () => {
  it("follows sources to datasets, CTEs, star, renames, macros, using joins and every union branch", () => {
    const lineage = lineageOf(SHOP);
    const reached = traceDownstream(indexLineage(lineage), { node: "public.orders", column: "email" });
    const paths = reached.map((r) => `${r.reach} ${formatPath(lineage, r.path)}`);
    expect(paths).toContain(
      "projection public.orders.email → stg_orders.customer_email → dim_customers.email",
    );
    expect(paths).toContain(
      "projection public.orders.email → stg_orders.customer_email → all_contacts.contact",
    );
    expect(paths).toContain(
      "projection public.orders.email → stg_orders.customer_email → dim_customers.email → weekly_kpis",
    );
    expect(paths.some((p) => p.startsWith("unknown") && p.endsWith("broken"))).toBe(true);
    const stg = lineage.nodes.get("stg_orders")!;
    expect(stg.columns).toEqual([
      "order_id",
      "customer_id",
      "status",
      "amount",
      "customer_email",
      "order_date",
    ]);
    const amount = stg.columnLineage!.find((c) => c.name === "amount")!;
    expect(amount).toMatchObject({
      opaque: true,
      sources: [{ node: "public.orders", column: "amount_cents" }],
    });
    expect(stg.columnLineage!.find((c) => c.name === "order_date")!.sources[0]!.shape).toBe("cast");
    // `using (customer_id)` reads both sides.
    const dim = lineage.nodes.get("dim_customers")!;
    expect(dim.dependencies).toEqual(
      expect.arrayContaining([
        { node: "stg_orders", column: "customer_id" },
        { node: "stg_customers", column: "customer_id" },
        { node: "stg_orders", column: "amount" },
      ]),
    );
    expect(lineage.nodes.get("broken")).toMatchObject({ lineage: "unknown" });
    expect(lineage.findings.map((f) => f.rule)).toEqual(["lineage-unknown"]);
  });

  it("tells dependencies (WHERE, GROUP BY, windows) from projections", () => {
    const lineage = lineageOf(SHOP);
    const reached = traceDownstream(indexLineage(lineage), { node: "public.orders", column: "status" });
    const dim = reached.find((r) => r.node === "dim_customers" && r.column === "*");
    expect(dim?.reach).toBe("dependency");
    expect(reached.find((r) => r.node === "stg_orders" && r.column === "status")?.reach).toBe("projection");
    const up = traceUpstream(lineage, { node: "dim_customers", column: "lifetime_value" });
    expect(up.map((r) => `${r.reach} ${r.node}.${r.column}`)).toEqual(
      expect.arrayContaining(["projection public.orders.amount_cents", "dependency stg_orders.customer_id"]),
    );
  });

  it("reads `group by 1` and `order by 2` as dependencies on those select-list expressions (Postgres and warehouse)", () => {
    for (const type of ["postgres", "snowflake"]) {
      const repo: Repo = {
        "dbt_project.yml": "name: telemetry\nprofile: telemetry\n",
        "profiles.yml": `telemetry:\n  target: prod\n  outputs:\n    prod: { type: ${type} }\n`,
        "models/sources.yml":
          "sources:\n  - name: app\n    tables: [{ name: audit, columns: [{ name: user_id }, { name: installation }, { name: ts }, { name: size }] }]\n",
        // The shape of a real model: the installation is kept through a positional GROUP BY only.
        "models/audit_details.sql": [
          "select user_id as server_id, coalesce(installation, null) as installation_id, max(size) as size",
          "from {{ source('app', 'audit') }}",
          "group by 1, 2",
          "order by 3 desc",
          "limit 10",
          "",
        ].join("\n"),
      };
      const lineage = lineageOf(repo);
      expect(lineage.nodes.get("audit_details")!.lineage).toBe("known");
      const index = indexLineage(lineage);
      const reach = (column: string) =>
        traceDownstream(index, { node: "source:app.audit", column }).find(
          (r) => r.node === "audit_details" && r.column === "*",
        )?.reach;
      expect(reach("installation"), type).toBe("dependency");
      expect(reach("user_id"), type).toBe("dependency");
      expect(reach("size"), type).toBe("dependency");
      expect(reach("ts"), type).toBeUndefined();
    }
  });

  it("reads SELECT DISTINCT and UNION without ALL as rows depending on every output column", () => {
    for (const type of ["postgres", "snowflake"]) {
      const repo: Repo = {
        "dbt_project.yml": "name: graph\nprofile: graph\n",
        "profiles.yml": `graph:\n  target: prod\n  outputs:\n    prod: { type: ${type} }\n`,
        "models/sources.yml":
          "sources:\n  - name: app\n    tables:\n      - { name: edges, columns: [{ name: parent }, { name: child }, { name: is_primary }] }\n      - { name: extra, columns: [{ name: parent }, { name: child }] }\n",
        "models/base_edges.sql": "select parent, child, is_primary from {{ source('app', 'edges') }}\n",
        // The shape of a real model: a key computed in a CTE, then `select distinct *`.
        "models/relationships.sql": [
          "with base as (select * from {{ ref('base_edges') }}),",
          "final as (select parent || '-' || child as unique_id, * from base)",
          "select distinct * from final",
          "",
        ].join("\n"),
        "models/distinct_edges.sql": "select distinct * from {{ source('app', 'edges') }}\n",
        "models/all_parents.sql":
          "select parent from {{ source('app', 'edges') }} union select parent from {{ source('app', 'extra') }}\n",
        "models/every_parent.sql":
          "select parent from {{ source('app', 'edges') }} union all select parent from {{ source('app', 'extra') }}\n",
      };
      const lineage = lineageOf(repo);
      const index = indexLineage(lineage);
      const reach = (node: string, column: string, model: string) =>
        traceDownstream(index, { node, column }).find((r) => r.node === model && r.column === "*")?.reach;
      expect(reach("base_edges", "is_primary", "relationships"), type).toBe("dependency");
      // Over a source whose YAML columns may be partial, `select distinct *` carries them unlisted.
      expect(reach("source:app.edges", "is_primary", "distinct_edges"), type).toBe("dependency");
      expect(reach("source:app.extra", "parent", "all_parents"), type).toBe("dependency");
      expect(reach("source:app.extra", "parent", "every_parent"), type).toBeUndefined();
    }
  });

  it("reads warehouse SQL (QUALIFY, struct fields) with node-sql-parser", () => {
    const repo: Repo = {
      "dbt_project.yml": "name: wh\nprofile: wh\n",
      "profiles.yml": "wh:\n  target: prod\n  outputs:\n    prod: { type: snowflake }\n",
      "models/sources.yml": "sources:\n  - name: app\n    tables: [{ name: events }]\n",
      "models/latest.sql":
        "select e.user_id, e.payload as body from {{ source('app', 'events') }} e qualify row_number() over (partition by e.user_id order by e.ts desc) = 1\n",
    };
    const lineage = lineageOf(repo);
    const node = lineage.nodes.get("latest")!;
    expect(node.lineage).toBe("known");
    expect(node.columnLineage!.map((c) => [c.name, c.sources.map((s) => `${s.node}.${s.column}`)])).toEqual([
      ["user_id", ["source:app.events.user_id"]],
      ["body", ["source:app.events.payload"]],
    ]);
    expect(node.dependencies).toEqual(
      expect.arrayContaining([
        { node: "source:app.events", column: "user_id" },
        { node: "source:app.events", column: "ts" },
      ]),
    );
  });
  it("follows dbt_utils.star() as `*`, and select-list aliases used later in the same list (Snowflake)", () => {
    const repo: Repo = {
      "dbt_project.yml": "name: wh\nprofile: wh\n",
      "profiles.yml": "wh:\n  target: prod\n  outputs:\n    prod: { type: snowflake }\n",
      "models/sources.yml":
        "sources:\n  - name: app\n    tables:\n      - name: licenses\n        columns: [{ name: license_id }, { name: starts_at }, { name: seats }]\n",
      "models/stg_licenses.sql": "select license_id, starts_at, seats from {{ source('app', 'licenses') }}\n",
      // Shaped like real deduplication models: the kept value is computed from earlier aliases.
      "models/int_licenses_deduped.sql": [
        "select",
        "    license_id,",
        "    min(starts_at) as min_starts_at,",
        "    max(starts_at) as max_starts_at,",
        "    case when min_starts_at = max_starts_at then max_starts_at else null end as starts_at",
        "from {{ ref('stg_licenses') }}",
        "group by license_id",
        "",
      ].join("\n"),
      "models/int_licenses_daily.sql": [
        "with l as (",
        "    select {{ dbt_utils.star(ref('int_licenses_deduped'), except=['min_starts_at']) }}, current_date as day",
        "    from {{ ref('int_licenses_deduped') }}",
        ")",
        "select l.license_id, l.starts_at as license_start, day from l",
        "",
      ].join("\n"),
      "models/dim_licenses.sql":
        "select d.{{ dbt_utils.star(from=ref('int_licenses_daily'), relation_alias='d') }} from {{ ref('int_licenses_daily') }} d\n",
    };
    const lineage = lineageOf(repo);
    for (const id of ["int_licenses_deduped", "int_licenses_daily", "dim_licenses"])
      expect(lineage.nodes.get(id)?.lineage, id).toBe("known");
    const reached = traceDownstream(indexLineage(lineage), {
      node: "source:app.licenses",
      column: "starts_at",
    });
    expect(reached.filter((r) => r.reach === "projection").map((r) => formatPath(lineage, r.path))).toEqual(
      expect.arrayContaining([
        "app.licenses.starts_at → stg_licenses.starts_at → int_licenses_deduped.starts_at → int_licenses_daily.license_start",
        "app.licenses.starts_at → stg_licenses.starts_at → int_licenses_deduped.starts_at → int_licenses_daily.license_start → dim_licenses.license_start",
      ]),
    );
    // `d.*` through dbt_utils.star(relation_alias='d') carries every column of the relation.
    expect(lineage.nodes.get("dim_licenses")?.columns).toEqual(["license_id", "license_start", "day"]);
  });

  it("finds the warehouse in a profiles.yml kept in a folder of the project (DBT_PROFILES_DIR=profile)", () => {
    const repo: Repo = {
      "transform/analytics/dbt_project.yml": "name: wh\nprofile: 'snowflake'\n",
      "transform/analytics/profile/profiles.yml":
        "config:\n  use_colors: true\nsnowflake:\n  target: prod\n  outputs:\n    prod: { type: snowflake, account: \"{{ env_var('ACCOUNT') }}\" }\n",
      "transform/analytics/models/sources.yml": "sources:\n  - name: app\n    tables: [{ name: events }]\n",
      "transform/analytics/models/flags.sql":
        "select user_id, iff(is_admin, 'admin', 'member') as role from {{ source('app', 'events') }}\n",
    };
    const projects = discoverDbtProjects(Object.keys(repo), DEFAULT_REPO_CONFIG);
    expect(projects[0]?.files).toContain("transform/analytics/profile/profiles.yml");
    const graph = readRepositoryDbtGraph(projects, new Map(Object.entries(repo)), DEFAULT_REPO_CONFIG);
    expect(graph.nodes.find((n) => n.id === "flags")?.dialect).toBe("snowflake");
    // The profile is configuration, not a dbt YAML file of models or sources.
    expect(graph.nodes.map((n) => n.id).sort()).toEqual(["flags", "source:app.events"]);
  });
});

describe("judging through lineage", () => {
  it("a dropped column fails the downstream contract it reaches, with the path, at the migration's line", async () => {
    const result = await run(SHOP, migrate("ALTER TABLE orders DROP COLUMN email;"));
    const broken = result.verdict.violations.filter((v) => v.rule === "downstream-contract-broken");
    expect(broken).toHaveLength(1);
    expect(broken[0]).toMatchObject({
      severity: "error",
      contract: "dim_customers",
      enforcement: "BLOCK",
      column: "email",
      file: "db/migrations/002_change.sql",
      line: 2,
    });
    expect(broken[0]!.message).toContain(
      "public.orders.email → stg_orders.customer_email → dim_customers.email",
    );
    expect(result.verdict.conclusion).toBe("failure");
    const missing = result.verdict.findings.filter((f) => f.rule === "downstream-column-missing");
    expect(missing.map((f) => f.message)).toEqual([expect.stringContaining("dbt model stg_orders")]);
    const impact = result.verdict.impact?.[0];
    expect(impact?.exposures.map((e) => e.name)).toEqual(["weekly_kpis"]);
    expect(impact?.owners).toEqual(expect.arrayContaining(["@acme/marts", "Growth Team", "Finance"]));
    expect(impact?.downstream.map((d) => d.node)).toEqual([
      "all_contacts",
      "broken",
      "dim_customers",
      "stg_orders",
    ]);
    const json = JSON.parse(renderJson(result.verdict));
    expect(json.impact[0].downstream[2].columns[0]).toMatchObject({ name: "email", reach: "projection" });
    expect(renderPrComment(result.verdict)).toContain("Downstream impact");
  });

  it("a model that has a dropped column only through a `*` builds without it; one that names it fails to build", async () => {
    const withStar = (repo: Repo): Repo => ({
      ...repo,
      "analytics/models/staging/raw_orders.sql": "select * from {{ source('raw', 'orders') }}\n",
    });
    const result = await run(withStar(SHOP), withStar(migrate("ALTER TABLE orders DROP COLUMN email;")));
    const missing = result.verdict.findings.filter((f) => f.rule === "downstream-column-missing");
    const about = (model: string) =>
      missing.find((f) => f.message.startsWith(`dbt model ${model} `))?.message;
    expect(about("raw_orders")).toContain(
      "selects every column of public.orders (`*`), public.orders.email among them, which this change drops: the model will build without it",
    );
    // stg_orders reads the source through `select *` too, but then names email (as customer_email).
    expect(about("stg_orders")).toContain(
      "still reads public.orders.email, which this change drops: the model will fail to build",
    );
  });

  it("a filter dependency or a cast-absorbed retype is a warning; an unrelated column reaches nothing contracted", async () => {
    const filtered = await run(SHOP, migrate("ALTER TABLE orders DROP COLUMN status;"));
    const onStatus = filtered.verdict.violations.filter((v) => v.rule === "downstream-contract-broken");
    expect(onStatus.length).toBeGreaterThan(0);
    expect(onStatus.every((v) => v.severity === "warning")).toBe(true);
    const retyped = await run(SHOP, migrate("ALTER TABLE orders ALTER COLUMN email TYPE integer USING 0;"));
    expect(retyped.verdict.violations.find((v) => v.rule === "downstream-contract-broken")).toMatchObject({
      severity: "error",
      column: "email",
    });
    const unrelated = await run(SHOP, migrate("ALTER TABLE customers DROP COLUMN email;"));
    expect(unrelated.verdict.violations).toEqual([]);
    expect(unrelated.verdict.impact).toBeUndefined();
  });

  it("a contract the PR violates directly is not reported again through lineage", async () => {
    const head = {
      ...SHOP,
      "analytics/models/marts/dim_customers.sql": SHOP["analytics/models/marts/dim_customers.sql"]!.replace(
        ", co.email",
        "",
      ),
      "db/migrations/002_change.sql": "ALTER TABLE orders DROP COLUMN email;\n",
    };
    const result = await run(SHOP, head);
    const rules = result.verdict.violations.map((v) => `${v.rule} ${v.contract}.${v.column}`);
    expect(rules).toContain("column-removed dim_customers.email");
    expect(rules.filter((r) => r.startsWith("downstream-contract-broken"))).toEqual([]);
  });
});
