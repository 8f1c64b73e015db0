import { describe, expect, it } from "vitest";
import { brief, ORDERS, runCase, table } from "./rule-test-kit.ts";

const pk = { primaryKey: { columns: ["id"] } };

describe("column types", () => {
  it.each([
    {
      name: "family change",
      head: "id bigint!, email integer, status text!",
      expected: [["column-type-changed", "email"]],
    },
    {
      name: "narrowing",
      head: "id bigint!, email varchar(50), status text!",
      expected: [["column-type-changed", "email"]],
    },
    {
      name: "widening is a note in changes only",
      head: "id bigint!, email varchar(200), status text!",
      expected: [],
    },
    {
      name: "a spelling variant is nothing",
      head: "id int8!, email character varying(100), status text!",
      expected: [],
    },
  ])("$name", ({ head, expected }) => {
    const violations = runCase({ base: [ORDERS], head: [table("public.orders", head, pk)] });
    expect(brief(violations).map(([rule, column]) => [rule, column])).toEqual(expected);
  });

  it("contract-type-mismatch when a widened column no longer matches the contract", () => {
    const base = table("public.orders", "id integer!, email varchar(100), status text!", pk);
    const head = table("public.orders", "id bigint!, email varchar(100), status text!", pk);
    const contract = `
name: orders
version: 1.0.0
status: active
owner: "@acme/data"
enforcement: NOTIFY
dataset: { name: orders }
schema:
  columns:
    - { name: id, type: integer, required: true }
    - { name: status, type: int4, required: true }
`;
    const violations = runCase({ base: [base], head: [head], contracts: [contract] });
    // `integer` is a portable family (any width); `int4` asks for exactly 32-bit integers.
    expect(brief(violations).map(([rule, column]) => [rule, column])).toEqual([
      ["contract-type-mismatch", "status"],
    ]);
    expect(violations[0]?.expected).toBe("int4");
    expect(violations[0]?.actual).toBe("text");
  });
});

describe("a widening that leaves the contract's exact type", () => {
  const contractDeclaring = (currency: string) => `
name: orders
version: 1.0.0
status: active
owner: "@acme/data"
enforcement: BLOCK
dataset: { name: orders }
schema:
  columns:
    - { name: id, type: bigint, required: true }
    - { name: currency, type: ${currency}, required: true }
`;
  it.each([
    // The PR made the change: the diff rule reports it, once, not contract-type-mismatch.
    {
      name: "pinned char(3), PR widens to varchar(3)",
      declared: "char(3)",
      expected: ["column-type-changed"],
    },
    {
      name: "pinned varchar(3), PR widens to varchar(10)",
      declared: "varchar(3)",
      head: "varchar(10)",
      expected: ["column-type-changed"],
    },
    { name: "portable family still satisfied", declared: "string", expected: [] },
    {
      name: "the contract already allows the new type",
      declared: "varchar(3)",
      base: "varchar(2)",
      head: "varchar(3)",
      expected: [],
    },
  ])("$name", ({ declared, base = "char(3)", head = "varchar(3)", expected }) => {
    const violations = runCase({
      base: [table("public.orders", `id bigint!, currency ${base}!`)],
      head: [table("public.orders", `id bigint!, currency ${head}!`)],
      contracts: [contractDeclaring(declared)],
    });
    expect(brief(violations).map(([rule]) => rule)).toEqual(expected);
    if (expected.length > 0) expect(violations[0]?.expected).toBe(declared);
  });

  it("a contract the PR adds is still checked against a type the same PR changes", () => {
    const violations = runCase({
      base: [table("public.orders", "id bigint!, currency char(3)!")],
      head: [table("public.orders", "id bigint!, currency integer!")],
      contracts: [],
      edited: [{ head: contractDeclaring("char(3)") }],
    });
    expect(brief(violations).map(([rule, column]) => [rule, column])).toEqual([
      ["contract-type-mismatch", "currency"],
    ]);
  });
});
