import { describe, expect, it } from "vitest";
import { at, brief, ORDERS, type RuleCase, runCase, table } from "./rule-test-kit.ts";

const cases: Array<{ name: string; input: RuleCase; expected: string[][] }> = [
  {
    name: "dropping a contracted column is column-removed, not also contract-column-missing",
    input: {
      base: [ORDERS],
      head: [table("public.orders", "id bigint!, status text!", { primaryKey: { columns: ["id"] } })],
      events: [{ kind: "column-dropped", dataset: "public.orders", column: "email", location: at(1) }],
    },
    expected: [["column-removed", "email", "db/0002_change.sql:1"]],
  },
  {
    name: "dropping a column the contract does not declare is no violation",
    input: {
      base: [
        table("public.orders", "id bigint!, email varchar(100), status text!, note text", {
          primaryKey: { columns: ["id"] },
        }),
      ],
      head: [ORDERS],
      events: [{ kind: "column-dropped", dataset: "public.orders", column: "note", location: at(1) }],
    },
    expected: [],
  },
  {
    name: "an uncontracted table may lose columns",
    input: {
      base: [ORDERS, table("public.audit", "id int, note text")],
      head: [ORDERS, table("public.audit", "id int")],
    },
    expected: [],
  },
];

describe("column-removed", () => {
  it.each(cases)("$name", ({ input, expected }) => {
    expect(brief(runCase(input))).toEqual(expected);
  });

  it("names table and column and says what to do", () => {
    const [violation] = runCase(cases[0]!.input);
    expect(violation?.message).toContain("public.orders.email");
    expect(violation?.help).toContain("new major version");
    expect(violation?.expected).toBe("email (string, optional)");
    expect(violation?.enforcement).toBe("BLOCK");
  });

  it("keeps the same id for the same fact", () => {
    const first = runCase(cases[0]!.input)[0]?.id;
    const again = runCase({ ...cases[0]!.input, events: [] })[0]?.id;
    expect(first).toMatch(/^[0-9a-f]{16}$/);
    expect(again).toBe(first);
  });
});
