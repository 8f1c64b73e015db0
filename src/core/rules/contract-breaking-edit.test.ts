import { describe, expect, it } from "vitest";
import { brief, ORDERS, ORDERS_CONTRACT, runCase } from "./rule-test-kit.ts";

const edit = (from: string, to: string, version = "1.1.0") =>
  ORDERS_CONTRACT.replace(from, to).replace("version: 1.0.0", `version: ${version}`);

describe("contract-breaking-edit and contract-invalid", () => {
  it.each([
    {
      name: "column removed without a major bump",
      head: edit("    - { name: email, type: string, required: false }\n", ""),
      expected: [["contract-breaking-edit", "email"]],
    },
    {
      name: "column removed with a major bump",
      head: edit("    - { name: email, type: string, required: false }\n", "", "2.0.0"),
      expected: [],
    },
    {
      name: "type narrowed",
      head: edit("name: id, type: bigint", "name: id, type: int4"),
      expected: [
        ["contract-breaking-edit", "id"],
        ["contract-type-mismatch", "id"],
      ],
    },
    {
      name: "made required",
      head: edit("name: email, type: string, required: false", "name: email, type: string, required: true"),
      expected: [
        ["contract-breaking-edit", "email"],
        ["contract-nullability-mismatch", "email"],
      ],
    },
    {
      name: "optional column added",
      head: edit("  columns:\n", "  columns:\n    - { name: note, type: string }\n"),
      expected: [["contract-column-missing", "note"]],
    },
  ])("$name", ({ head, expected }) => {
    const violations = runCase({ base: [ORDERS], head: [ORDERS], edited: [{ head, base: ORDERS_CONTRACT }] });
    expect(
      brief(violations)
        .map(([rule, column]) => [rule, column])
        .sort(),
    ).toEqual(expected);
  });

  it("contract-invalid carries line:column", () => {
    const violations = runCase({
      base: [ORDERS],
      head: [ORDERS],
      invalid: [
        {
          file: "contracts/orders.yaml",
          enforcement: "RECORD",
          owners: [],
          issues: [
            {
              file: "contracts/orders.yaml",
              line: 6,
              column: 14,
              path: "enforcement",
              message: "enforcement must be one of …",
            },
          ],
        },
      ],
    });
    expect(violations.map((v) => [v.rule, v.file, v.line, v.message])).toEqual([
      [
        "contract-invalid",
        "contracts/orders.yaml",
        6,
        "contracts/orders.yaml:6:14 enforcement must be one of …",
      ],
    ]);
  });
});
