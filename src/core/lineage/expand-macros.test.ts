import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_REPO_CONFIG } from "../config/repo-config.ts";
import { discoverDbtProjects } from "../dbt/discover-dbt-projects.ts";
import { expandDbtModel } from "../dbt/expand-dbt-model.ts";
import { emptySchemaState } from "../model/schema.ts";
import { loadPostgresParser } from "../sql/postgres.ts";
import { buildLineage } from "./build-lineage.ts";
import { readRepositoryDbtGraph } from "./repository-lineage.ts";
import { indexLineage, traceDownstream } from "./trace-lineage.ts";

beforeAll(loadPostgresParser);

type Repo = Record<string, string>;

/**
 * A dbt project shaped like jaffle_shop and the warehouse projects of the corpus: staging models
 * with explicit columns, marts whose SQL is written by the project's macros and dbt_utils.
 */
const PROJECT: Repo = {
  "dbt_project.yml": [
    "name: shop",
    "profile: shop",
    "vars:",
    "  shop:",
    "    payment_methods: ['credit_card', 'coupon']",
    "  start_date: '2020-01-01'",
    "",
  ].join("\n"),
  "profiles.yml": "shop:\n  target: dev\n  outputs:\n    dev: { type: snowflake }\n",
  "models/staging/_sources.yml":
    "version: 2\nsources:\n  - name: raw\n    tables:\n      - name: orders\n      - name: payments\n      - name: web_orders\n",
  "models/staging/stg_orders.sql":
    "select id as order_id, user_id as customer_id, status, order_date, updated_at from {{ source('raw', 'orders') }}\n",
  "models/staging/stg_web_orders.sql":
    "select id as order_id, user_id as customer_id, channel from {{ source('raw', 'web_orders') }}\n",
  "models/staging/stg_payments.sql":
    "select id as payment_id, order_id, payment_method, amount_cents from {{ source('raw', 'payments') }}\n",
  "macros/cents_to_dollars.sql": [
    "{% macro cents_to_dollars(column_name, scale=2) -%}",
    "    ({{ column_name }} / 100)::numeric(16, {{ scale }})",
    "{%- endmacro %}",
    "",
  ].join("\n"),
  "macros/payment_columns.sql": [
    "{# a macro writing a whole select list, as the corpus' projects do #}",
    "{% macro payment_columns(methods) %}",
    "  {%- for method in methods %}",
    "  sum(case when payment_method = '{{ method }}' then {{ cents_to_dollars('amount_cents') }} else 0 end) as {{ method }}_amount",
    "  {%- if not loop.last %},{% endif %}",
    "  {%- endfor %}",
    "{% endmacro %}",
    "{% macro warehouse_columns(relation) %}",
    "  {% set columns = adapter.get_columns_in_relation(relation) %}",
    "  {{ return(columns | join(', ')) }}",
    "{% endmacro %}",
    "",
  ].join("\n"),
  // A for loop over a literal list, in the model itself (jaffle_shop's orders).
  "models/marts/order_payments.sql": [
    "{% set payment_methods = var('payment_methods', ['bank_transfer']) %}",
    "select",
    "    order_id,",
    "    {{ payment_columns(payment_methods) }},",
    "    sum({{ cents_to_dollars('amount_cents') }}) as total_amount",
    "from {{ ref('stg_payments') }}",
    "group by order_id",
    "",
  ].join("\n"),
  "models/marts/all_orders.sql": [
    "{{ config(materialized='table') }}",
    "{{ dbt_utils.union_relations(relations=[ref('stg_orders'), ref('stg_web_orders')], exclude=['updated_at']) }}",
    "",
  ].join("\n"),
  "models/marts/order_keys.sql": [
    "select",
    "    {{ dbt_utils.generate_surrogate_key(['order_id', 'customer_id']) }} as order_key,",
    "    {{ dbt_utils.star(from=ref('stg_orders'), except=['updated_at', 'status']) }},",
    "    {{ dbt.datediff('order_date', dbt.current_timestamp(), 'day') }} as age_days,",
    "    {{ dbt.safe_cast('status', dbt.type_string()) }}::{{ dbt.type_string() }} as status_text",
    "from {{ ref('stg_orders') }}",
    "",
  ].join("\n"),
  "models/marts/incremental_orders.sql": [
    "{{ config(materialized='incremental') }}",
    "select order_id, status",
    "from {{ ref('stg_orders') }}",
    "{% if is_incremental() %}",
    "where updated_at > (select max(updated_at) from {{ this }})",
    "{% endif %}",
    "",
  ].join("\n"),
  "models/marts/date_spine.sql": [
    "{{ dbt_utils.date_spine(datepart='day', start_date=\"cast('\" ~ var('start_date') ~ \"' as date)\", end_date='current_date') }}",
    "",
  ].join("\n"),
  // Snowflake syntax the parsers read once rewritten (VARIANT paths, WITHIN GROUP, a trailing comma).
  "models/marts/order_events.sql": [
    "select",
    "    order_id,",
    "    {{ dbt_utils.surrogate_key('order_id', 'status') }} as event_key,",
    "    parse_json(status):code::string as status_code,",
    "    listagg(distinct status, ', ') within group (order by order_date) over (partition by customer_id) as statuses,",
    "from {{ ref('stg_orders') }}",
    "",
  ].join("\n"),
  // Expansion impossible: the columns come from the warehouse.
  "models/marts/warehouse_orders.sql": [
    "select {{ warehouse_columns(ref('stg_orders')) }} from {{ ref('stg_orders') }}",
    "",
  ].join("\n"),
  // Expansion impossible: a package macro that queries the warehouse.
  "models/marts/pivoted.sql": [
    "select order_id,",
    "{{ dbt_utils.pivot('payment_method', dbt_utils.get_column_values(ref('stg_payments'), 'payment_method')) }}",
    "from {{ ref('stg_payments') }} group by 1",
    "",
  ].join("\n"),
  // Expansion impossible: the target decides.
  "models/marts/by_target.sql": [
    "{% if target.name == 'prod' %} select order_id from {{ ref('stg_orders') }} {% else %} select 1 as order_id {% endif %}",
    "",
  ].join("\n"),
};

const lineageOf = (repo: Repo) => {
  const projects = discoverDbtProjects(Object.keys(repo), DEFAULT_REPO_CONFIG);
  const graph = readRepositoryDbtGraph(projects, new Map(Object.entries(repo)), DEFAULT_REPO_CONFIG);
  return buildLineage({ state: emptySchemaState(), dialectOf: () => "postgres", dbt: graph.nodes });
};

const sourcesOf = (lineage: ReturnType<typeof lineageOf>, model: string) =>
  Object.fromEntries(
    lineage.nodes
      .get(model)!
      .columnLineage!.map((c) => [c.name, c.sources.map((s) => `${s.node}.${s.column}`).sort()]),
  );

describe("dbt macros expanded for lineage", () => {
  const lineage = lineageOf(PROJECT);

  it("expands the project's macros, a for loop over a var's list and macro arguments", () => {
    expect(lineage.nodes.get("order_payments")!.lineage).toBe("known");
    expect(sourcesOf(lineage, "order_payments")).toEqual({
      order_id: ["stg_payments.order_id"],
      credit_card_amount: ["stg_payments.amount_cents", "stg_payments.payment_method"],
      coupon_amount: ["stg_payments.amount_cents", "stg_payments.payment_method"],
      total_amount: ["stg_payments.amount_cents"],
    });
  });

  it("writes union_relations from the upstream columns, with _dbt_source_relation", () => {
    expect(lineage.nodes.get("all_orders")!.lineage).toBe("known");
    expect(sourcesOf(lineage, "all_orders")).toEqual({
      _dbt_source_relation: [],
      order_id: ["stg_orders.order_id", "stg_web_orders.order_id"],
      customer_id: ["stg_orders.customer_id", "stg_web_orders.customer_id"],
      status: ["stg_orders.status"],
      order_date: ["stg_orders.order_date"],
      channel: ["stg_web_orders.channel"],
    });
  });

  it("writes surrogate keys, star with except and cross-database macros over their arguments", () => {
    expect(lineage.nodes.get("order_keys")!.lineage).toBe("known");
    expect(sourcesOf(lineage, "order_keys")).toEqual({
      order_key: ["stg_orders.customer_id", "stg_orders.order_id"],
      order_id: ["stg_orders.order_id"],
      customer_id: ["stg_orders.customer_id"],
      order_date: ["stg_orders.order_date"],
      age_days: ["stg_orders.order_date"],
      status_text: ["stg_orders.status"],
    });
  });

  it("reads both renders of an incremental model: its filter column stays a dependency", () => {
    const node = lineage.nodes.get("incremental_orders")!;
    expect(node.lineage).toBe("known");
    expect(node.columns).toEqual(["order_id", "status"]);
    expect(node.dependencies).toContainEqual({ node: "stg_orders", column: "updated_at" });
    const reached = traceDownstream(indexLineage(lineage), { node: "stg_orders", column: "updated_at" });
    expect(reached.map((r) => r.node)).toContain("incremental_orders");
  });

  it("reads Snowflake syntax rewritten with the same column references", () => {
    expect(lineage.nodes.get("order_events")!.lineage).toBe("known");
    expect(sourcesOf(lineage, "order_events")).toEqual({
      order_id: ["stg_orders.order_id"],
      event_key: ["stg_orders.order_id", "stg_orders.status"],
      status_code: ["stg_orders.status"],
      statuses: ["stg_orders.status"],
    });
    expect(lineage.nodes.get("order_events")!.dependencies).toEqual(
      expect.arrayContaining([
        { node: "stg_orders", column: "customer_id" },
        { node: "stg_orders", column: "order_date" },
      ]),
    );
  });

  it("date_spine is a date column named after its datepart", () => {
    expect(lineage.nodes.get("date_spine")!.lineage).toBe("known");
    expect(lineage.nodes.get("date_spine")!.columns).toEqual(["date_day"]);
  });

  it("stays unknown, with the reason, where the warehouse or the target decides", () => {
    for (const [model, reason] of [
      ["warehouse_orders", "adapter.get_columns_in_relation() is not known"],
      ["pivoted", "dbt_utils.get_column_values() is not known"],
      ["by_target", "target.name is not known"],
    ]) {
      const node = lineage.nodes.get(model!)!;
      expect(node.lineage, model).toBe("unknown");
      expect(node.reason, model).toContain(reason);
      expect(lineage.findings.some((f) => f.rule === "lineage-unknown" && f.message.includes(model!))).toBe(
        true,
      );
    }
    // Unknown is never "no dependency": a change upstream reaches the whole model.
    const reached = traceDownstream(indexLineage(lineage), { node: "stg_orders", column: "status" });
    expect(reached.map((r) => r.node)).toEqual(expect.arrayContaining(["warehouse_orders", "by_target"]));
  });

  it("union_relations over a relation whose columns are unknown stays unknown", () => {
    const repo = {
      ...PROJECT,
      "models/staging/stg_web_orders.sql": "select * from {{ source('raw', 'web_orders') }}\n",
    };
    const node = lineageOf(repo).nodes.get("all_orders")!;
    expect(node.lineage).toBe("unknown");
    expect(node.reason).toContain("the columns of stg_web_orders are not known");
  });

  it("a var without a value and without a default stays unknown", () => {
    const repo = {
      ...PROJECT,
      "models/marts/date_spine.sql": "select {{ var('no_such_var') }}::date as d\n",
    };
    const node = lineageOf(repo).nodes.get("date_spine")!;
    // The stub render reads `var()` as null: the model parses without evaluating anything.
    expect(node.lineage).toBe("known");
    const expanded = expandDbtModel({ sql: "{{ var('no_such_var') }}", incremental: false });
    expect(expanded).toEqual({
      ok: false,
      error: "var('no_such_var') has no value in dbt_project.yml and no default",
    });
  });
});

describe("the Jinja subset", () => {
  const render = (sql: string, macros?: string) => {
    const result = expandDbtModel({ sql, incremental: false, ...(macros ? { macros } : {}) });
    return result.ok ? result.sql : `error: ${result.error}`;
  };
  it.each([
    ["{% set xs = ['a', 'b'] %}{{ xs | join(', ') }}", "a, b"],
    [
      "{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }}{% if not loop.last %};{% endif %}{% endfor %}",
      "a=1;b=2",
    ],
    ["{{ 'A_b' | lower ~ '-' ~ 'x'.upper() }}", "a_b-X"],
    ["{% set parts = 'a.b.c'.split('.') %}{{ parts[-1] }}", "c"],
    ["{% if var('flag', false) %}yes{% elif 1 + 1 == 2 %}two{% else %}no{% endif %}", "two"],
    ["{{ none is none }} {{ 'x' if false else 'y' }} {{ [1, 2] | length }}", "True y 2"],
    [
      "{% set ns = namespace(n=0) %}{% for i in range(3) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}",
      "3",
    ],
    ["{% set l = [] %}{% do l.append('z') %}{{ l[0] }}", "z"],
    ["{% set x %} inner {% endset %}[{{ x | trim }}]", "[inner]"],
    ["{{- ' a ' -}}  {{ 'b' }}", " a b"],
    ["{{ undefined_name }}", "error: undefined_name is not known"],
    ["{{ run_query('select 1') }}", "error: the macro run_query() is not known"],
    ["{{ config.get('materialized', 'view') }}", "error: config.get('materialized') is not known"],
    ["{% call statement('x') %}select 1{% endcall %}", "error: the {% call %} tag"],
  ])("%s", (sql, expected) => {
    expect(render(sql)).toBe(expected);
  });

  it("macros take defaults, keyword arguments and return values", () => {
    const macros = [
      "{% macro cols(prefix, n=2) %}{% for i in range(n) %}{{ prefix }}{{ i }}{% if not loop.last %}, {% endif %}{% endfor %}{% endmacro %}",
      "{% macro names() %}{{ return(['x', 'y']) }}{% endmacro %}",
      "{% macro recurse(n) %}{{ recurse(n) }}{% endmacro %}",
    ].join("\n");
    expect(render("{{ cols('c') }}|{{ cols(n=1, prefix='d') }}|{{ names() | join('+') }}", macros)).toBe(
      "c0, c1|d0|x+y",
    );
    expect(render("{{ recurse(1) }}", macros)).toMatch(
      /^error: the template (runs too long|recurses too deeply)$/,
    );
  });

  it.each([
    // Each would take the process down (a list past V8's limit aborts it) or hold it for seconds.
    [
      "a list doubled",
      "{% set ns = namespace(l=[1]) %}{% for i in range(40) %}{% set ns.l = ns.l + ns.l %}{% endfor %}",
    ],
    [
      "a list extended by itself",
      "{% set l = [1] %}{% for i in range(40) %}{% do l.extend(l) %}{% endfor %}",
    ],
    [
      "a text doubled",
      "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = (ns.s ~ ns.s).upper() %}{% endfor %}",
    ],
    [
      "a text joined to itself",
      "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = [ns.s, ns.s] | join %}{% endfor %}",
    ],
    ["a text repeated", "{{ ('x' * 100000000).upper() }}"],
    ["a text replaced into itself", "{{ ('x' * 1000000).replace('', 'yyyyyyyyyy') }}"],
    [
      "a list nested in itself written out",
      "{% set ns = namespace(l=[1]) %}{% for i in range(40) %}{% set ns.l = [ns.l, ns.l] %}{% endfor %}{{ ns.l }}",
    ],
    [
      "two nested lists compared",
      "{% set ns = namespace(a=[1], b=[1]) %}{% for i in range(40) %}{% set ns.a = [ns.a, ns.a] %}{% set ns.b = [ns.b, ns.b] %}{% endfor %}{{ ns.a == ns.b }}",
    ],
  ])("%s stops the evaluation with a clear reason", (_, sql) => {
    expect(render(sql)).toMatch(
      /^error: the template builds (a text|a list) (longer than|larger than|too large)/,
    );
  });

  it("a text repeated a negative or fractional number of times is Python's", () => {
    expect(render("[{{ 'ab' * -1 }}][{{ 'ab' * 0 }}]")).toBe("[][]");
    expect(render("{{ 'ab' * 1.5 }}")).toMatch(/^error: /);
  });

  it("adapter.dispatch finds the project's implementation", () => {
    const macros = [
      "{% macro fmt(x) %}{{ return(adapter.dispatch('fmt')(x)) }}{% endmacro %}",
      "{% macro default__fmt(x) %}lower({{ x }}){% endmacro %}",
    ].join("\n");
    expect(render("{{ fmt('a') }}", macros)).toBe("lower(a)");
  });
});
