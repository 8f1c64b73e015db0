import { describe, expect, it } from "vitest";
import { brief, ORDERS, runCase, table } from "./rule-test-kit.ts";

const pk = { primaryKey: { columns: ["id"] } };
const withColumn = (spec: string) =>
  table("public.orders", `id bigint!, email varchar(100), status text!, ${spec}`, pk);

describe("required-column-added and other dataset-level rules", () => {
  it.each([
    { name: "NOT NULL without default", head: withColumn("total int!"), expected: ["required-column-added"] },
    { name: "NOT NULL with a default", head: withColumn("total int!=0"), expected: [] },
    { name: "nullable", head: withColumn("total int"), expected: [] },
    {
      name: "primary key changed",
      head: table("public.orders", "id bigint!, email varchar(100), status text!", {
        primaryKey: { columns: ["id", "status"] },
      }),
      expected: ["primary-key-changed"],
    },
    {
      name: "unique removed",
      base: table("public.orders", "id bigint!, email varchar(100), status text!", {
        ...pk,
        uniques: [{ columns: ["email"] }],
      }),
      head: ORDERS,
      expected: ["unique-removed"],
    },
    {
      name: "foreign key removed",
      base: table("public.orders", "id bigint!, email varchar(100), status text!", {
        ...pk,
        foreignKeys: [{ columns: ["id"], references: { dataset: "public.x", columns: ["id"] } }],
      }),
      head: ORDERS,
      expected: ["foreign-key-removed"],
    },
  ])("$name", ({ base, head, expected }) => {
    expect(brief(runCase({ base: [base ?? ORDERS], head: [head] })).map(([rule]) => rule)).toEqual(expected);
  });
});
