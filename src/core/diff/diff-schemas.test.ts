import { describe, expect, it } from "vitest";
import type { Change } from "../model/change.ts";
import { normalizeType } from "../model/normalize-type.ts";
import type { Column, SchemaState, TableSchema } from "../model/schema.ts";
import { diffSchemas, type SchemaEvent } from "./diff-schemas.ts";

const col = (name: string, type: string, extra: Partial<Column> = {}): Column => ({
  name,
  type: normalizeType(type, "postgres"),
  nullable: true,
  location: { file: "base.sql", line: 1 },
  ...extra,
});
const table = (name: string, columns: Column[], extra: Partial<TableSchema> = {}): TableSchema => ({
  name,
  kind: "table",
  columns,
  columnsKnown: true,
  uniques: [],
  foreignKeys: [],
  location: { file: "base.sql", line: 1 },
  ...extra,
});
const state = (...tables: TableSchema[]): SchemaState => ({
  datasets: new Map(tables.map((t) => [t.name, t])),
  enums: new Map(),
});
const withEnum = (schema: SchemaState, values: string[]): SchemaState => {
  schema.enums.set("public.mood", { name: "public.mood", values, location: { file: "base.sql", line: 1 } });
  return schema;
};
const at = (line: number) => ({ file: "pr.sql", line });

/** A dbt model as the reader returns it: declared columns located in the YAML, the SQL file as its location. */
const model = (
  name: string,
  columns: Column[],
  dbt: Partial<NonNullable<TableSchema["dbt"]>> = {},
  file = `models/${name}.sql`,
): TableSchema =>
  table(name, columns, {
    kind: "dbt_model",
    location: { file, line: 1 },
    dbt: {
      contractEnforced: true,
      enabled: true,
      project: "analytics",
      columnsAt: { file: "models/schema.yml", line: 5 },
      ...dbt,
    },
  });
const yml = (line: number) => ({ location: { file: "models/schema.yml", line } });
const martColumns = [col("id", "bigint", yml(6)), col("status", "text", yml(8))];
const sqlOnly = (name: string, line: number): Column =>
  col(name, "", {
    type: { family: "other", base: "unknown", raw: "" },
    undeclared: true,
    location: { file: "models/orders.sql", line },
  });
const summary = (changes: Change[]) =>
  changes.map((c) => [
    c.kind,
    c.dataset,
    c.column ?? null,
    c.location?.file ?? null,
    c.location?.line ?? null,
  ]);

const orders = table("public.orders", [
  col("id", "bigint", { nullable: false }),
  col("email", "varchar(100)"),
  col("status", "text", { nullable: false }),
]);

type Case = {
  name: string;
  base: SchemaState;
  head: SchemaState;
  events?: SchemaEvent[];
  expected: unknown[];
};

const cases: Case[] = [
  { name: "identical schemas", base: state(orders), head: state(orders), expected: [] },
  {
    name: "spelling variants are no change",
    base: state(table("t", [col("a", "int4"), col("b", "character varying(10)")])),
    head: state(table("t", [col("a", "integer"), col("b", "varchar(10)")])),
    expected: [],
  },
  {
    name: "column dropped, located at the dropping statement",
    base: state(orders),
    head: state(table("public.orders", [orders.columns[0]!, orders.columns[2]!])),
    events: [{ kind: "column-dropped", dataset: "public.orders", column: "email", location: at(3) }],
    expected: [["column-removed", "public.orders", "email", "pr.sql", 3]],
  },
  {
    name: "explicit rename is a rename",
    base: state(orders),
    head: state(
      table("public.orders", [orders.columns[0]!, col("email_address", "varchar(100)"), orders.columns[2]!]),
    ),
    events: [
      {
        kind: "column-renamed",
        dataset: "public.orders",
        column: "email",
        to: "email_address",
        location: at(2),
      },
    ],
    expected: [["column-renamed", "public.orders", "email", "pr.sql", 2]],
  },
  {
    name: "drop + add under another name is never guessed to be a rename",
    base: state(orders),
    head: state(
      table("public.orders", [orders.columns[0]!, orders.columns[2]!, col("mail", "varchar(100)")]),
    ),
    events: [
      { kind: "column-dropped", dataset: "public.orders", column: "email", location: at(1) },
      { kind: "column-added", dataset: "public.orders", column: "mail", location: at(2) },
    ],
    expected: [
      ["column-removed", "public.orders", "email", "pr.sql", 1],
      ["column-added", "public.orders", "mail", "pr.sql", 2],
    ],
  },
  {
    name: "dropped and re-added with the same type and nullability: no change",
    base: state(orders),
    head: state(orders),
    events: [
      { kind: "column-dropped", dataset: "public.orders", column: "email", location: at(1) },
      { kind: "column-added", dataset: "public.orders", column: "email", location: at(2) },
    ],
    expected: [],
  },
  {
    name: "dropped and re-added narrower: judged by its net effect",
    base: state(orders),
    head: state(
      table("public.orders", [orders.columns[0]!, col("email", "varchar(50)"), orders.columns[2]!]),
    ),
    events: [
      { kind: "column-dropped", dataset: "public.orders", column: "email", location: at(1) },
      { kind: "column-added", dataset: "public.orders", column: "email", location: at(2) },
    ],
    expected: [["column-type-changed", "public.orders", "email", "pr.sql", 2]],
  },
  {
    name: "widened vs changed vs nullability both ways",
    base: state(
      table("t", [
        col("a", "integer"),
        col("b", "varchar(10)"),
        col("c", "text", { nullable: false }),
        col("d", "text"),
      ]),
    ),
    head: state(
      table("t", [
        col("a", "bigint"),
        col("b", "integer"),
        col("c", "text"),
        col("d", "text", { nullable: false }),
      ]),
    ),
    expected: [
      ["column-type-widened", "t", "a", "base.sql", 1],
      ["column-type-changed", "t", "b", "base.sql", 1],
      ["column-became-nullable", "t", "c", "base.sql", 1],
      ["column-became-required", "t", "d", "base.sql", 1],
    ],
  },
  {
    name: "default changed",
    base: state(table("t", [col("a", "text", { default: "'x'" })])),
    head: state(table("t", [col("a", "text", { default: "'y'" })])),
    expected: [["column-default-changed", "t", "a", "base.sql", 1]],
  },
  {
    name: "dataset dropped, added and renamed",
    base: state(orders, table("public.a", [col("x", "int")])),
    head: state(table("public.orders_v2", orders.columns), table("public.b", [col("x", "int")])),
    events: [
      { kind: "dataset-renamed", dataset: "public.orders", to: "public.orders_v2", location: at(1) },
      { kind: "dataset-dropped", dataset: "public.a", location: at(2) },
      { kind: "dataset-created", dataset: "public.b", location: at(3) },
    ],
    expected: [
      ["dataset-removed", "public.a", null, "pr.sql", 2],
      ["dataset-renamed", "public.orders", null, "pr.sql", 1],
      ["dataset-added", "public.b", null, "pr.sql", 3],
    ],
  },
  {
    name: "columnsKnown false never yields column-removed",
    base: state(orders),
    head: state(table("public.orders", [orders.columns[0]!], { columnsKnown: false })),
    expected: [],
  },
  {
    name: "primary key, unique and foreign key removed/added",
    base: state(
      table("t", [col("id", "int"), col("u", "int")], {
        primaryKey: { columns: ["id"] },
        uniques: [{ columns: ["u"] }],
        foreignKeys: [{ columns: ["u"], references: { dataset: "o", columns: ["id"] } }],
      }),
    ),
    head: state(
      table("t", [col("id", "int"), col("u", "int")], {
        primaryKey: { columns: ["id", "u"] },
        uniques: [{ columns: ["id"] }],
      }),
    ),
    events: [{ kind: "constraint-changed", dataset: "t", location: at(9) }],
    expected: [
      ["primary-key-changed", "t", null, "pr.sql", 9],
      ["unique-removed", "t", "u", "pr.sql", 9],
      ["unique-added", "t", "id", "pr.sql", 9],
      ["foreign-key-removed", "t", "u", "pr.sql", 9],
    ],
  },
  {
    name: "enum values removed and added on an enum column",
    base: state(
      table("t", [
        col("s", "text", {
          type: { ...normalizeType("text"), base: "mood", family: "other", values: ["a", "b"] },
        }),
      ]),
    ),
    head: state(
      table("t", [
        col("s", "text", {
          type: { ...normalizeType("text"), base: "mood", family: "other", values: ["a", "c"] },
        }),
      ]),
    ),
    expected: [
      ["enum-value-removed", "t", "s", "base.sql", 1],
      ["enum-value-added", "t", "s", "base.sql", 1],
    ],
  },
  {
    name: "an enum type altered by the PR: value changes sit at the ALTER TYPE, not the CREATE TABLE",
    base: withEnum(
      state(table("public.t", [col("s", "mood", { type: normalizeType("public.mood", "postgres") })])),
      ["a", "b"],
    ),
    head: withEnum(
      state(table("public.t", [col("s", "mood", { type: normalizeType("public.mood", "postgres") })])),
      ["a", "c"],
    ),
    events: [
      { kind: "enum-changed", enum: "public.mood", location: at(3) },
      { kind: "enum-changed", enum: "public.mood", location: at(4) },
    ],
    expected: [
      ["enum-value-removed", "public.t", "s", "pr.sql", 3],
      ["enum-value-added", "public.t", "s", "pr.sql", 3],
    ],
  },
  {
    name: "accepted values shrink",
    base: state(table("m", [col("s", "text", { acceptedValues: ["a", "b"] })], { kind: "dbt_model" })),
    head: state(table("m", [col("s", "text", { acceptedValues: ["a"] })], { kind: "dbt_model" })),
    expected: [["enum-value-removed", "m", "s", "base.sql", 1]],
  },
  {
    name: "dbt: accepted values shrink, reported where the list is written",
    base: state(model("m", [col("s", "text", { acceptedValues: ["a", "b"], ...yml(6) })])),
    head: state(
      model("m", [
        col("s", "text", {
          acceptedValues: ["a"],
          acceptedValuesLocation: { file: "models/schema.yml", line: 9 },
          ...yml(6),
        }),
      ]),
    ),
    expected: [["enum-value-removed", "m", "s", "models/schema.yml", 9]],
  },
  {
    name: "dbt: a model moved to another file with the same columns is renamed",
    base: state(model("orders", martColumns)),
    head: state(model("fct_orders", martColumns)),
    expected: [["dataset-renamed", "orders", null, "models/fct_orders.sql", 1]],
  },
  {
    name: "dbt: a moved model is diffed against its old self",
    base: state(model("orders", martColumns)),
    head: state(
      model("fct_orders", [martColumns[0]!, col("status", "text", { nullable: false, ...yml(8) })]),
    ),
    expected: [
      ["dataset-renamed", "orders", null, "models/fct_orders.sql", 1],
      ["column-became-required", "fct_orders", "status", "models/schema.yml", 8],
    ],
  },
  {
    name: "dbt: other columns, or another project, is a removal and an addition",
    base: state(model("orders", martColumns), model("customers", martColumns, { project: "a" })),
    head: state(
      model("fct_orders", [martColumns[0]!, col("status", "varchar(3)", yml(8))]),
      model("dim_customers", martColumns, { project: "b" }),
    ),
    expected: [
      ["dataset-removed", "orders", null, "models/orders.sql", 1],
      ["dataset-removed", "customers", null, "models/customers.sql", 1],
      ["dataset-added", "fct_orders", null, "models/fct_orders.sql", 1],
      ["dataset-added", "dim_customers", null, "models/dim_customers.sql", 1],
    ],
  },
  {
    name: "dbt: two candidates of the same shape are never guessed",
    base: state(model("orders", martColumns)),
    head: state(model("fct_orders", martColumns), model("orders_copy", martColumns)),
    expected: [
      ["dataset-removed", "orders", null, "models/orders.sql", 1],
      ["dataset-added", "fct_orders", null, "models/fct_orders.sql", 1],
      ["dataset-added", "orders_copy", null, "models/orders_copy.sql", 1],
    ],
  },
  {
    name: "dbt: a disabled model is removed, located where it is disabled",
    base: state(model("orders", martColumns)),
    head: state(
      model("orders", martColumns, { enabled: false, disabledAt: { file: "models/schema.yml", line: 4 } }),
    ),
    expected: [["dataset-removed", "orders", null, "models/schema.yml", 4]],
  },
  {
    name: "dbt: a column deleted from YAML and SQL is reported at the model's columns:",
    base: state(model("orders", martColumns)),
    head: state(model("orders", [martColumns[0]!])),
    expected: [["column-removed", "orders", "status", "models/schema.yml", 5]],
  },
  {
    name: "dbt: a typed column that only the SQL still selects leaves the enforced contract",
    base: state(model("orders", martColumns)),
    head: state(model("orders", [martColumns[0]!, sqlOnly("status", 3)])),
    expected: [["column-removed", "orders", "status", "models/schema.yml", 5]],
  },
  {
    name: "dbt: the same on a model whose contract is not enforced is no change",
    base: state(model("orders", martColumns, { contractEnforced: false })),
    head: state(model("orders", [martColumns[0]!, sqlOnly("status", 3)], { contractEnforced: false })),
    expected: [],
  },
  {
    name: "dbt: a column that was only in the SQL stays only in the SQL: no change",
    base: state(model("orders", [martColumns[0]!, sqlOnly("status", 3)])),
    head: state(model("orders", [martColumns[0]!, sqlOnly("status", 4)])),
    expected: [],
  },
];

describe("diffSchemas", () => {
  it.each(cases)("$name", ({ base, head, events, expected }) => {
    expect(summary(diffSchemas({ base, head, events: events ?? [] }))).toEqual(expected);
  });

  it("follows a table rename for later column changes", () => {
    const head = state(table("public.orders_v2", [orders.columns[0]!, orders.columns[2]!]));
    const changes = diffSchemas({
      base: state(orders),
      head,
      events: [
        { kind: "dataset-renamed", dataset: "public.orders", to: "public.orders_v2", location: at(1) },
        { kind: "column-dropped", dataset: "public.orders_v2", column: "email", location: at(2) },
      ],
    });
    expect(summary(changes)).toEqual([
      ["dataset-renamed", "public.orders", null, "pr.sql", 1],
      ["column-removed", "public.orders_v2", "email", "pr.sql", 2],
    ]);
  });
});
