import { describe, expect, it } from "vitest";
import { parseContract } from "../model/contract.ts";
import { evaluateRows, valueFitsFamily } from "./evaluate-rows.ts";

const parsed = parseContract(`
name: orders
version: 1.0.0
owner: "@acme/data"
dataset: { name: public.orders }
schema:
  columns:
    - { name: id, type: bigint, required: true, unique: true }
    - { name: email, type: string, pii: true }
    - { name: status, type: string, required: true, accepted_values: [new, paid] }
    - { name: placed_on, type: date }
quality:
  - { id: email_format, type: regex, column: email, pattern: '^[^@]+@[^@]+$' }
  - { id: non_negative, type: sql, expression: "amount_cents >= 0" }
  - { id: status_nn, type: not_null, column: status }
`);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
const contract = parsed.contract;

describe("evaluateRows", () => {
  it("passes clean rows and reports SQL rules as not evaluated", () => {
    const out = evaluateRows(contract, [
      { id: 1, email: "a@b.c", status: "new", placed_on: "2024-05-01" },
      { id: "2", email: null, status: "paid" },
    ]);
    expect(out.status).toBe("passed");
    expect(out.rows_evaluated).toBe(2);
    expect(out.rules_failed).toBe(0);
    const sql = out.results.find((r) => r.rule_id === "non_negative");
    expect(sql?.status).toBe("not_evaluated");
    expect(sql?.reason).toContain("amount_cents >= 0");
  });

  it("finds every kind of failure with sample values", () => {
    const rows = [
      { id: 1, email: "bad", status: "new", placed_on: "2024-02-30" },
      { id: 1, email: "x@y", status: "lost" },
      { id: 1.5, status: null },
      ...Array.from({ length: 10 }, (_, i) => ({ id: 100 + i, status: "refunded" })),
    ];
    const out = evaluateRows(contract, rows);
    const by = Object.fromEntries(out.results.map((r) => [r.rule_id, r]));
    expect(out.status).toBe("failed");
    expect(by["column:id:unique"]).toMatchObject({ status: "failed", failed_rows: 1, sample_values: [1] });
    expect(by["column:id:type"]).toMatchObject({ status: "failed", sample_values: [1.5], sample_rows: [2] });
    expect(by["column:status:required"]).toMatchObject({ status: "failed", failed_rows: 1 });
    expect(by["column:status:accepted_values"]?.failed_rows).toBe(11);
    expect(by["column:status:accepted_values"]?.sample_values).toHaveLength(5);
    expect(by["column:placed_on:type"]).toMatchObject({ status: "failed", sample_values: ["2024-02-30"] });
    expect(by.email_format).toMatchObject({ status: "failed", sample_values: ["bad"] });
    expect(by.status_nn).toMatchObject({ status: "failed", failed_rows: 1 });
    expect(out.rules_failed).toBe(out.results.filter((r) => r.status === "failed").length);
  });

  it.each([
    ["integer", 3, true],
    ["integer", "42", true],
    ["integer", 4.2, false],
    ["number", "12.50", true],
    ["number", "abc", false],
    ["boolean", "true", false],
    ["timestamp", "2024-05-01T10:00:00Z", true],
    ["timestamp", "yesterday", false],
    ["uuid", "123e4567-e89b-12d3-a456-426614174000", true],
    ["string", 5, false],
  ] as const)("%s accepts %j: %s", (family, value, ok) => {
    expect(valueFitsFamily(value, family)).toBe(ok);
  });
});

describe("evaluateRows: length rules", () => {
  const withLength = (bounds: string) => {
    const r = parseContract(`
name: codes
version: 1.0.0
owner: "@acme/data"
dataset: { name: codes }
schema:
  columns:
    - { name: code, type: string }
quality:
  - { id: code_length, type: length, column: code, ${bounds} }
`);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    return r.contract;
  };

  it("counts characters of non-null values, not UTF-16 units or bytes", () => {
    const out = evaluateRows(withLength("min: 2, max: 4"), [
      { code: "AB" },
      { code: "ABCD" },
      { code: "A" },
      { code: "ABCDE" },
      { code: null },
      {},
      { code: "é😀" },
      { code: 12345 },
    ]);
    const result = out.results.find((r) => r.rule_id === "code_length");
    expect(result).toMatchObject({
      kind: "length",
      column: "code",
      status: "failed",
      failed_rows: 3,
      sample_values: ["A", "ABCDE", 12345],
      sample_rows: [2, 3, 7],
      message: "3 row(s) have a code value whose length is outside [2, 4]",
    });
  });

  it.each([
    ["min: 3", ["abc", "abcdef"], "passed"],
    ["min: 3", ["ab"], "failed"],
    ["max: 0", [""], "passed"],
    ["max: 2", ["abc"], "failed"],
  ] as const)("%s on %j: %s", (bounds, values, status) => {
    const out = evaluateRows(
      withLength(bounds),
      values.map((code) => ({ code })),
    );
    expect(out.results.find((r) => r.rule_id === "code_length")?.status).toBe(status);
  });
});

describe("evaluateRows: schema.primary_key", () => {
  const keyed = (primaryKey: string) => {
    const result = parseContract(`
name: lines
version: 1.0.0
owner: "@acme/data"
dataset: { name: order_lines }
schema:
  primary_key: ${primaryKey}
  columns:
    - { name: order_id, type: integer }
    - { name: line, type: integer }
    - { name: sku, type: string }
`);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    return result.contract;
  };
  const rows = [
    { order_id: 1, line: 1, sku: "a" },
    { order_id: 1, line: 2, sku: "b" },
    { order_id: 1, line: 2, sku: "c" },
    { order_id: 2, line: 1, sku: "d" },
    { order_id: 2, line: 1, sku: "e" },
    { order_id: 2, line: 1, sku: "f" },
    { order_id: null, line: 3, sku: "g" },
    { line: 4, sku: "h" },
    // 2 and "2" are different values, as they are to the column-level unique rule.
    { order_id: "2", line: 9, sku: "i" },
  ];

  it.each([
    {
      key: "[order_id]",
      unique: { failed_rows: 4, sample_values: [1, 2], sample_rows: [1, 2, 4, 5] },
      notNull: { failed_rows: 2, sample_values: [null, null], sample_rows: [6, 7] },
      message: "4 row(s) repeat the primary key (order_id) of another row",
      column: "order_id",
    },
    {
      key: "[order_id, line]",
      unique: {
        failed_rows: 3,
        sample_values: [
          { order_id: 1, line: 2 },
          { order_id: 2, line: 1 },
        ],
        sample_rows: [2, 4, 5],
      },
      notNull: {
        failed_rows: 2,
        sample_values: [
          { order_id: null, line: 3 },
          { order_id: null, line: 4 },
        ],
        sample_rows: [6, 7],
      },
      message: "3 row(s) repeat the primary key (order_id, line) of another row",
      column: undefined,
    },
  ])("judges $key whole and unique, with the repeated keys as samples", (c) => {
    const out = evaluateRows(keyed(c.key), rows);
    const by = Object.fromEntries(out.results.map((r) => [r.rule_id, r]));
    expect(by["primary_key:unique"]).toMatchObject({ kind: "primary_key", status: "failed", ...c.unique });
    expect(by["primary_key:unique"]?.message).toBe(c.message);
    expect(by["primary_key:not_null"]).toMatchObject({ kind: "primary_key", status: "failed", ...c.notNull });
    expect(by["primary_key:unique"]?.column).toBe(c.column);
    expect(out.status).toBe("failed");
  });

  it("passes a whole, unique key, and adds no rule without one", () => {
    const clean = rows.slice(0, 2);
    const out = evaluateRows(keyed("[order_id, line]"), clean);
    expect(out.results.filter((r) => r.kind === "primary_key").map((r) => [r.rule_id, r.status])).toEqual([
      ["primary_key:not_null", "passed"],
      ["primary_key:unique", "passed"],
    ]);
    expect(
      evaluateRows(contract, [{ id: 1, status: "new" }]).results.some((r) => r.kind === "primary_key"),
    ).toBe(false);
  });
});
