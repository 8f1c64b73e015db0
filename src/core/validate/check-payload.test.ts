import { describe, expect, it } from "vitest";
import { parseContract } from "../model/contract.ts";
import { checkPayload, type ObservedSchemaInput } from "./check-payload.ts";

const CONTRACT = `name: orders
version: 1.0.0
owner: "@acme/data"
dataset: { name: public.orders }
schema:
  primary_key: [id]
  columns:
    - { name: id, type: bigint, required: true }
    - { name: email, type: string }
    - { name: status, type: string, required: true }
    - { name: placed_at, type: timestamp }
    - { name: amount, type: number }
`;

const contract = (() => {
  const parsed = parseContract(CONTRACT, "orders.yaml");
  if (!parsed.ok) throw new Error(parsed.errors[0]?.message);
  return parsed.contract;
})();

const full: ObservedSchemaInput["columns"] = [
  { name: "id", type: "bigint", nullable: false },
  { name: "email", type: "varchar(255)" },
  { name: "status", type: "text", required: true },
  { name: "placed_at", type: "timestamptz" },
  { name: "amount", type: "numeric(12,2)" },
];

const without = (name: string) => full.filter((c) => c.name !== name);

describe("checkPayload with a schema", () => {
  it.each([
    ["everything as declared", "pass", 0, full, []],
    ["a required column removed", "breaking", 40, without("status"), ["contract-column-missing"]],
    ["an optional column removed", "warning", 20, without("email"), ["contract-column-missing"]],
    [
      "a type changed",
      "warning",
      30,
      full.map((c) => (c.name === "amount" ? { ...c, type: "text" } : c)),
      ["contract-type-mismatch"],
    ],
    [
      "a required column made nullable",
      "warning",
      25,
      full.map((c) => (c.name === "status" ? { name: "status", type: "text" } : c)),
      ["contract-nullability-mismatch"],
    ],
    [
      "two required columns removed and a type changed (capped)",
      "breaking",
      100,
      without("status")
        .filter((c) => c.name !== "id")
        .map((c) => (c.name === "amount" ? { ...c, type: "boolean" } : c)),
      ["contract-column-missing", "contract-column-missing", "contract-type-mismatch"],
    ],
  ] as const)("%s -> %s %i", (_, result, severity, columns, rules) => {
    const outcome = checkPayload(contract, { schema: { columns: [...columns] } });
    expect(outcome).toMatchObject({ result, severity });
    expect(outcome.violations.map((v) => v.rule).sort()).toEqual([...rules].sort());
  });

  it("fills the diff and explains each violation", () => {
    const outcome = checkPayload(contract, {
      schema: {
        columns: [...without("status"), { name: "coupon", type: "text", nullable: true }].map((c) =>
          c.name === "amount" ? { ...c, type: "text" } : c,
        ),
      },
    });
    expect(outcome.diff).toEqual({
      removed: [{ name: "status", type: "string", required: true }],
      added: [{ name: "coupon", type: "text", nullable: true }],
      type_changed: [{ name: "amount", expected: "number", actual: "text" }],
      nullability_changed: [],
    });
    const missing = outcome.violations.find((v) => v.column === "status");
    expect(missing).toMatchObject({
      rule: "contract-column-missing",
      severity: "error",
      expected: "status (string, required)",
      actual: "missing",
    });
    expect(missing?.message).toContain("public.orders.status");
    expect(missing?.help).toContain("Add status");
  });

  it("judges the primary key only when the schema states one", () => {
    expect(checkPayload(contract, { schema: { columns: full } }).violations).toEqual([]);
    const other = checkPayload(contract, { schema: { columns: full, primary_key: ["email"] } });
    expect(other).toMatchObject({ result: "breaking", severity: 40 });
    expect(other.violations[0]?.rule).toBe("contract-primary-key-mismatch");
  });

  it.each([
    [
      { columns: [{ name: "id", type: "strng" }] },
      /schema\.columns\[0\]\.type "strng" \(column id\) is not a known type/,
    ],
    [
      {
        columns: [
          { name: "id", type: "int" },
          { name: "ID", type: "int" },
        ],
      },
      /schema\.columns\[1\]\.name duplicates column "ID"/,
    ],
    [
      { columns: [{ name: "id", type: "int", nullable: true, required: true }] },
      /nullable: true and required: true/,
    ],
    [
      { columns: [{ name: "id", type: "int" }], primary_key: ["key"] },
      /schema\.primary_key\[0\] names "key"/,
    ],
  ])("rejects a bad schema: %j", (schema, message) => {
    expect(() => checkPayload(contract, { schema })).toThrow(message);
  });
});

describe("checkPayload with sample rows", () => {
  const row = (over: Record<string, unknown> = {}) => ({
    id: 1,
    email: "a@example.com",
    status: "new",
    placed_at: "2024-05-01T10:00:00Z",
    amount: 12,
    ...over,
  });

  it("passes rows that keep the contract (integers are numbers, a date is a timestamp)", () => {
    const outcome = checkPayload(contract, {
      rows: [row(), row({ id: 2, email: null, placed_at: "2024-05-02", amount: 3.5 })],
    });
    expect(outcome).toMatchObject({ result: "pass", severity: 0, violations: [] });
  });

  it("takes a string column holding UUIDs or dates as a string", () => {
    const outcome = checkPayload(contract, {
      rows: [row({ email: "00000000-0000-4000-8000-000000000000", status: "2024-01-01" })],
    });
    expect(outcome.result).toBe("pass");
  });

  it("reports a missing required field as breaking, a null in a required field as a nullability change", () => {
    const missing = checkPayload(contract, { rows: [{ id: 1, email: "x@y.z" }] });
    // status required (40) + placed_at and amount optional (20 each)
    expect(missing).toMatchObject({ result: "breaking", severity: 80 });
    expect(missing.diff.removed.map((c) => c.name)).toEqual(["status", "placed_at", "amount"]);
    const nulls = checkPayload(contract, { rows: [row(), row({ status: null })] });
    expect(nulls).toMatchObject({
      result: "warning",
      severity: 25,
      diff: { nullability_changed: [{ name: "status", expected: "required", actual: "nullable" }] },
    });
  });

  it("reports values of another type as a type change", () => {
    const outcome = checkPayload(contract, { rows: [row({ amount: "twelve" })] });
    expect(outcome).toMatchObject({
      result: "warning",
      severity: 30,
      diff: { type_changed: [{ name: "amount", expected: "number", actual: "string" }] },
    });
  });

  it("rejects an empty sample", () => {
    expect(() => checkPayload(contract, { rows: [] })).toThrow(/rows is empty/);
  });
});
