// The oracle of measure:lineage (PostgreSQL's own name resolution): a small dbt project built as
// views in a scratch database, each view's lineage read back from its stored query tree.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOracleProject, type OracleProject } from "../scripts/lineage-oracle/build-database.ts";
import { macroBlocks } from "../scripts/lineage-oracle/render-dbt.ts";
import { createPgDatabase, type TestPgDatabase } from "./helpers/pg-database.ts";

const src = (table: string, column: string) => `source:shop.${table}\u0000${column}`;
const model = (name: string, column: string) => `${name}\u0000${column}`;

describe("lineage oracle", () => {
  let db: TestPgDatabase;
  let client: pg.Client;
  let project: OracleProject;
  beforeAll(async () => {
    db = await createPgDatabase("covenant_oracle_test");
    client = new pg.Client({ connectionString: db.ownerUrl });
    await client.connect();
    project = await buildOracleProject(client, "p0", {
      sources: [
        {
          id: "source:shop.orders",
          source: "shop",
          table: "orders",
          columns: ["id", "customer_id", "amount_cents", "status"],
        },
        // No YAML columns: found by letting PostgreSQL report them missing.
        { id: "source:shop.customers", source: "shop", table: "customers", columns: [] },
      ],
      seeds: [{ id: "regions", header: ["code", "label"], rows: [["1", "north"]] }],
      macros: macroBlocks(`
{% macro cents(col) -%}{{ return(adapter.dispatch('cents')(col)) }}{%- endmacro %}
{% macro default__cents(col) -%}({{ col }} / 100.0){%- endmacro %}
{% test not_used(model) %}select 1{% endtest %}`),
      vars: { paid: "paid" },
      models: [
        {
          id: "stg_orders",
          sql: `with src as (select * from {{ source('shop', 'orders') }})
select id as order_id, customer_id, {{ cents('amount_cents') }} as amount, status from src
where status <> '{{ var("cancelled", "cancelled") }}'`,
        },
        {
          id: "stg_customers",
          sql: "select id as customer_id, first_name || ' ' || last_name as name from {{ source('shop', 'customers') }}",
        },
        {
          id: "customer_totals",
          sql: `{% set kinds = ['paid', 'open'] %}
select c.customer_id, c.name,
{% for k in kinds %}sum(case when o.status = '{{ k }}' then o.amount else 0 end) as {{ k }}_amount{% if not loop.last %},{% endif %}
{% endfor %}
from {{ ref('stg_customers') }} c join {{ ref('stg_orders') }} o using (customer_id)
group by 1, 2`,
        },
        {
          id: "all_ids",
          sql: `-- depends on: {{ ref('regions') }}
select order_id as id from {{ ref('stg_orders') }} union all select customer_id from {{ ref('stg_customers') }}`,
        },
        {
          id: "biggest",
          sql: "select {{ dbt_utils.star(ref('customer_totals'), except=['name']) }}, (select max(amount) from {{ ref('stg_orders') }}) as top from {{ ref('customer_totals') }}",
        },
        { id: "broken", sql: "select {{ dbt_utils.get_column_values('x') }} from {{ ref('stg_orders') }}" },
      ],
    });
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it("builds every model PostgreSQL accepts and says why the others fail", () => {
    expect([...project.nodes.keys()].sort()).toEqual([
      "all_ids",
      "biggest",
      "customer_totals",
      "regions",
      "source:shop.customers",
      "source:shop.orders",
      "stg_customers",
      "stg_orders",
    ]);
    expect([...project.failed.keys()]).toEqual(["broken"]);
    expect(project.nodes.get("source:shop.customers")!.columns.sort()).toEqual([
      "first_name",
      "id",
      "last_name",
    ]);
    expect(project.discovered).toBe(3);
  });

  it("reads projections through CTEs, macros, renames and expressions", () => {
    const stg = project.nodes.get("stg_orders")!;
    expect(stg.projection!.get("order_id")).toEqual([src("orders", "id")]);
    expect(stg.projection!.get("amount")).toEqual([src("orders", "amount_cents")]);
    expect(stg.dependencies).toEqual([src("orders", "status")]);
    expect(project.nodes.get("stg_customers")!.projection!.get("name")!.sort()).toEqual([
      src("customers", "first_name"),
      src("customers", "last_name"),
    ]);
  });

  it("reads USING joins, loops, GROUP BY, CASE conditions and set operations", () => {
    const totals = project.nodes.get("customer_totals")!;
    expect(totals.columns).toEqual(["customer_id", "name", "paid_amount", "open_amount"]);
    // The merged USING column is the left side's; the right side's is the join condition.
    expect(totals.projection!.get("customer_id")).toEqual([model("stg_customers", "customer_id")]);
    expect(totals.projection!.get("paid_amount")!.sort()).toEqual([
      model("stg_orders", "amount"),
      model("stg_orders", "status"),
    ]);
    expect(totals.dependencies!.sort()).toEqual([
      model("stg_customers", "customer_id"),
      model("stg_customers", "name"),
      model("stg_orders", "customer_id"),
    ]);
    const ids = project.nodes.get("all_ids")!;
    expect(ids.projection!.get("id")!.sort()).toEqual([
      model("stg_customers", "customer_id"),
      model("stg_orders", "order_id"),
    ]);
    expect(ids.dependencies).toEqual([]);
    expect(ids.reads!.sort()).toEqual(["regions", "stg_customers", "stg_orders"]);
  });

  it("expands star() from the columns PostgreSQL reports and follows scalar subqueries", () => {
    const biggest = project.nodes.get("biggest")!;
    expect(biggest.columns).toEqual(["customer_id", "paid_amount", "open_amount", "top"]);
    expect(biggest.projection!.get("top")).toEqual([model("stg_orders", "amount")]);
    expect(biggest.projection!.get("paid_amount")).toEqual([model("customer_totals", "paid_amount")]);
  });
});
