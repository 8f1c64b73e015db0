import { describe, expect, it } from "vitest";
import { brief, runCase, table } from "./rule-test-kit.ts";

const pk = { primaryKey: { columns: ["id"] } };
const withStatus = (values: string[]) => {
  const t = table("public.orders", "id bigint!, email varchar(100), status text!", pk);
  const status = t.columns[2]!;
  status.type = { family: "string", base: "enum", values, raw: `enum(${values.join(",")})` };
  return t;
};

describe("enum-value-removed", () => {
  it.each([
    {
      name: "value removed",
      base: ["new", "paid", "shipped"],
      head: ["new", "paid"],
      expected: [["enum-value-removed", "status"]],
    },
    { name: "value added", base: ["new", "paid"], head: ["new", "paid", "shipped"], expected: [] },
  ])("$name", ({ base, head, expected }) => {
    const violations = runCase({ base: [withStatus(base)], head: [withStatus(head)] });
    expect(brief(violations).map(([rule, column]) => [rule, column])).toEqual(expected);
  });
});
