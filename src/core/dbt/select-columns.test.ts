import { describe, expect, it } from "vitest";
import { parseConfigCall, renderJinja } from "./render-jinja.ts";
import { selectColumns } from "./select-columns.ts";

const columnsOf = (model: string) => {
  const result = selectColumns(renderJinja(model).sql);
  return { names: result.columns.map((column) => column.name), known: result.known };
};

describe("selectColumns after renderJinja", () => {
  it.each<[string, string, string[], boolean]>([
    ["aliases and casts", "select a, b as c, cast(d as int) as d from {{ ref('x') }}", ["a", "c", "d"], true],
    [
      "CTEs: the final SELECT counts",
      [
        "with orders as (select * from {{ ref('stg_orders') }}),",
        "payments as (select order_id, sum(amount) as amount from {{ ref('stg_payments') }} group by 1)",
        "select o.order_id, o.customer_id, coalesce(p.amount, 0) as amount",
        "from orders o left join payments p using (order_id)",
      ].join("\n"),
      ["order_id", "customer_id", "amount"],
      true,
    ],
    [
      "implicit alias, :: cast, case … end alias",
      "select o.id order_id, status::text, case when x then 1 end is_big from o",
      ["order_id", "status", "is_big"],
      true,
    ],
    ["select * is not a known list", "select * from {{ source('shop', 'orders') }}", [], false],
    [
      "x.* keeps the named columns but is unknown",
      "select o.*, c.name as customer_name from o join c on true",
      ["customer_name"],
      false,
    ],
    ["BigQuery * except", "select * except (email) from t", [], false],
    ["a macro expanding to columns", "select {{ dbt_utils.star(ref('x')) }} from y", [], false],
    [
      "an aliased macro is one column",
      "select {{ cents_to_dollars('amount') }} as amount from y",
      ["amount"],
      true,
    ],
    [
      "a Jinja block in the list",
      "select id,\n{% if var('full') %} extra, {% endif %}\nname from t",
      ["id", "extra", "name"],
      false,
    ],
    [
      "Jinja after FROM does not matter",
      "select id from t {% if is_incremental() %} where id > (select max(id) from {{ this }}) {% endif %}",
      ["id"],
      true,
    ],
    ["unnamed expression", "select count(*) from t", [], false],
    [
      "distinct on, union takes the first branch",
      "select distinct on (a) a, b from t union all select 1, 2",
      ["a", "b"],
      true,
    ],
    ["quoted identifiers keep their case", 'select "Order Id", `Total` from t', ["Order Id", "Total"], true],
    ["unquoted identifiers fold", "SELECT ID, Customer_Name AS Name FROM t", ["id", "name"], true],
    ["comments and strings", "select 'a,b' as x, -- c, d\n /* e, */ y from t", ["x", "y"], true],
    [
      "config and comments vanish",
      "{{ config(materialized='table') }}\n{# a note #}\nselect 1 as one",
      ["one"],
      true,
    ],
  ])("%s", (_name, model, names, known) => {
    expect(columnsOf(model)).toEqual({ names, known });
  });

  it("keeps line numbers across multi-line Jinja", () => {
    const model =
      "{{\n  config(\n    materialized='table'\n  )\n}}\n\nselect\n  id,\n  name as customer_name\nfrom {{ ref('stg_customers') }}";
    expect(selectColumns(renderJinja(model).sql).columns).toEqual([
      { name: "id", line: 8 },
      { name: "customer_name", line: 9 },
    ]);
  });

  it.each([
    ["no select", "{{ dbt_utils.union_relations(relations=[ref('a'), ref('b')]) }}", 1],
    ["unterminated string", "select 'abc from t", 1],
    ["unbalanced parenthesis", "select a from t)\n", 1],
  ])("reports %s", (_name, model, line) => {
    expect(selectColumns(renderJinja(model).sql).error?.line).toBe(line);
  });
});

describe("renderJinja", () => {
  it("collects refs, sources, configs and unterminated tags", () => {
    const rendered = renderJinja(
      "{{ config(materialized='incremental', contract={'enforced': true}) }}\nselect * from {{ ref('pkg', 'orders', v=2) }} join {{ source('shop', 'customers') }}\n{% if x %",
    );
    expect(rendered.refs).toEqual(["orders"]);
    expect(rendered.sources).toEqual(["shop.customers"]);
    expect(rendered.unterminatedAt).toBe(3);
    expect(parseConfigCall(rendered.configs[0]!)).toEqual({
      materialized: "incremental",
      contractEnforced: true,
    });
  });

  it.each([
    ['materialized="table", enabled=False', { materialized: "table", enabled: false }],
    ['contract={"enforced": false}', { contractEnforced: false }],
    ["tags=['x']", {}],
  ])("parseConfigCall(%s)", (args, expected) => {
    expect(parseConfigCall(args)).toEqual(expected);
  });
});
