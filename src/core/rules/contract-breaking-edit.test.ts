import { describe, expect, it } from "vitest";
import { ORDERS, ORDERS_CONTRACT, runCase } from "./rule-test-kit.ts";

const edit = (from: string, to: string, version = "1.1.0") =>
  ORDERS_CONTRACT.replace(from, to).replace("version: 1.0.0", `version: ${version}`);

describe("contract-breaking-edit and contract-invalid", () => {
  it.each([
    {
      name: "column removed without a major bump: at the head's columns:",
      head: edit("    - { name: email, type: string, required: false }\n", ""),
      expected: [["contract-breaking-edit", "email", 11]],
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
        ["contract-breaking-edit", "id", 12],
        ["contract-type-mismatch", "id", 2],
      ],
    },
    {
      name: "made required",
      head: edit("name: email, type: string, required: false", "name: email, type: string, required: true"),
      expected: [
        ["contract-breaking-edit", "email", 13],
        ["contract-nullability-mismatch", "email", 3],
      ],
    },
    {
      name: "the column's line in the head, not the base",
      head: edit("  columns:\n", "  columns:\n    - { name: note, type: string }\n").replace(
        "name: email, type: string, required: false",
        "name: email, type: string, required: true",
      ),
      expected: [
        ["contract-breaking-edit", "email", 14],
        ["contract-column-missing", "note", 12],
        ["contract-nullability-mismatch", "email", 3],
      ],
    },
    {
      name: "primary key changed: at primary_key",
      head: edit("primary_key: [id]", "primary_key: [id, status]"),
      expected: [
        ["contract-breaking-edit", undefined, 10],
        ["contract-primary-key-mismatch", undefined, 1],
      ],
    },
    {
      name: "moved to another dataset: at dataset",
      head: edit("name: orders }", "name: purchases }"),
      expected: [["contract-breaking-edit", undefined, 7]],
    },
    {
      name: "a promise without a line of its own: at version",
      head: edit(
        "version: 1.0.0",
        "version: 1.0.0\nsla: { freshness: { column: id, max_lag_minutes: 60 } }",
      ).replace("version: 1.1.0\nsla: { freshness: { column: id, max_lag_minutes: 60 } }", "version: 1.1.0"),
      base: ORDERS_CONTRACT.replace(
        "restrict_pii: true",
        "restrict_pii: true\nsla: { freshness: { column: id, max_lag_minutes: 60 } }",
      ),
      expected: [["contract-breaking-edit", undefined, 3]],
    },
    {
      name: "optional column added",
      head: edit("  columns:\n", "  columns:\n    - { name: note, type: string }\n"),
      expected: [["contract-column-missing", "note", 12]],
    },
  ])("$name", ({ head, expected, ...rest }) => {
    const base = "base" in rest && typeof rest.base === "string" ? rest.base : ORDERS_CONTRACT;
    const violations = runCase({ base: [ORDERS], head: [ORDERS], edited: [{ head, base }] });
    expect(violations.map((v) => [v.rule, v.column, v.line]).sort()).toEqual(expected);
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
