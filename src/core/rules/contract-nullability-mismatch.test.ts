import { describe, expect, it } from "vitest";
import { at, brief, ORDERS, runCase, table } from "./rule-test-kit.ts";

const pk = { primaryKey: { columns: ["id"] } };

describe("nullability: each fact once, by the most specific rule", () => {
  it.each([
    {
      name: "NOT NULL dropped on a column the contract declares required -> contract-nullability-mismatch",
      head: table("public.orders", "id bigint!, email varchar(100), status text", pk),
      event: "status",
      expected: [["contract-nullability-mismatch", "status", "db/0002_change.sql:4"]],
    },
    {
      name: "NOT NULL dropped on a column the contract leaves optional -> column-became-nullable",
      base: table("public.orders", "id bigint!, email varchar(100)!, status text!", pk),
      head: ORDERS,
      event: "email",
      expected: [["column-became-nullable", "email", "db/0002_change.sql:4"]],
    },
    {
      name: "nullable -> NOT NULL -> column-became-required",
      head: table("public.orders", "id bigint!, email varchar(100)!, status text!", pk),
      event: "email",
      expected: [["column-became-required", "email", "db/0002_change.sql:4"]],
    },
  ])("$name", ({ base, head, event, expected }) => {
    const violations = runCase({
      base: [base ?? ORDERS],
      head: [head],
      events: [{ kind: "column-altered", dataset: "public.orders", column: event, location: at(4) }],
    });
    expect(brief(violations)).toEqual(expected);
    expect(violations.map((v) => v.severity)).toEqual(
      expected[0]?.[0] === "column-became-nullable" ? ["warning"] : ["error"],
    );
  });
});
