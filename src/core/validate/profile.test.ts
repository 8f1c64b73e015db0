import { describe, expect, it } from "vitest";
import { parseContract } from "../model/contract.ts";
import { conformTable, type ObservedTable, toTableSchema } from "./conform.ts";
import { evaluateRows } from "./evaluate-rows.ts";
import {
  type ColumnProfile,
  EMAIL_PATTERN,
  isLowCardinality,
  looksLikeEmail,
  profileRows,
  sampleRows,
  suggestContract,
} from "./profile.ts";
import { checkRegexSafety } from "./regex-safety.ts";

const parsed = (yaml: string) => {
  const result = parseContract(yaml, "draft.yaml");
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.line}:${e.column} ${e.message}`).join("; "));
  return result.contract;
};

const STATUSES = ["new", "paid", "shipped"];
const orders = Array.from({ length: 30 }, (_, i) => ({
  id: i + 1,
  order_uuid: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
  email: `user${i}@example.com`,
  status: STATUSES[i % 3],
  amount: i % 2 === 0 ? 10.5 : 3,
  paid: i % 2 === 0,
  placed_on: `2024-05-${String((i % 28) + 1).padStart(2, "0")}`,
  updated_at: `2024-05-01T10:${String(i).padStart(2, "0")}:00Z`,
  meta: { n: i },
  ...(i % 5 === 0 ? {} : { note: i % 2 === 0 ? null : `note ${i}` }),
  always_null: null,
}));

describe("profileRows", () => {
  const { table, profiles } = profileRows(orders, { name: "orders" });
  const p = Object.fromEntries(profiles.map((x) => [x.name, x])) as Record<string, ColumnProfile>;

  it("infers types from JSON values, columns in order of first appearance (row 0 lacks note)", () => {
    expect(table).toMatchObject({ name: "orders", inferredTypes: true });
    expect(table.columns.map((c) => [c.name, c.type])).toEqual([
      ["id", "integer"],
      ["order_uuid", "uuid"],
      ["email", "string"],
      ["status", "string"],
      ["amount", "number"],
      ["paid", "boolean"],
      ["placed_on", "date"],
      ["updated_at", "timestamp"],
      ["meta", "json"],
      ["always_null", "string"],
      ["note", "string"],
    ]);
  });

  it.each([
    [[{ a: 1 }, { a: 2 ** 40 }], "bigint"],
    [[{ a: 1 }, { a: 1.5 }], "number"],
    [[{ a: "2024-01-01" }, { a: "2024-01-01 10:00" }], "timestamp"],
    [[{ a: [1, 2] }], "json"],
    [[{ a: "x" }, { a: "00000000-0000-4000-8000-000000000000" }], "string"],
    [[{ a: "2024-02-30" }], "string"],
  ])("merges value types: %j -> %s", (rows, type) => {
    expect(profileRows(rows).table.columns[0]?.type).toBe(type);
  });

  it("says why a column of mixed JSON types is a string", () => {
    const mixed = profileRows([{ a: 1 }, { a: "x" }]).profiles[0];
    expect(mixed).toMatchObject({
      type: "string",
      note: "values of several JSON types (number, string): string assumed",
    });
  });

  it("counts a missing key as null, also in rows before the key first appears", () => {
    expect(p.note).toMatchObject({ rows: 30, nulls: 6 + 12 });
    const late = profileRows([{ a: 1 }, { a: 2, b: "x" }]);
    expect(late.profiles[1]).toMatchObject({ name: "b", rows: 2, nulls: 1 });
    expect(late.table.columns[1]).toMatchObject({ name: "b", nullable: true });
    expect(late.table.columns[0]).toMatchObject({ name: "a", nullable: false });
  });

  it("counts distinct values, email-like values, lengths and ranges", () => {
    expect(p.id).toMatchObject({ distinct: 30, nulls: 0, min: 1, max: 30, emailLike: 0 });
    expect(p.email).toMatchObject({ distinct: 30, emailLike: 30, minLength: 17, maxLength: 18 });
    expect(p.status).toMatchObject({ distinct: 3, minLength: 3, maxLength: 7 });
    expect(p.amount).toMatchObject({ min: 3, max: 10.5 });
    expect(p.placed_on).toMatchObject({ min: "2024-05-01", max: "2024-05-28" });
    expect(p.updated_at).toMatchObject({ min: "2024-05-01T10:00:00Z", max: "2024-05-01T10:29:00Z" });
    expect(p.meta).toMatchObject({ family: "json", distinct: 30 });
  });

  it("gives top values for low-cardinality text only", () => {
    expect(p.status?.topValues).toEqual([
      { value: "new", count: 10 },
      { value: "paid", count: 10 },
      { value: "shipped", count: 10 },
    ]);
    expect(p.email?.topValues).toBeUndefined();
    expect(p.paid?.topValues).toBeUndefined();
  });

  it("notes that an always-null column's type is unknown", () => {
    expect(p.always_null).toMatchObject({
      type: "string",
      nulls: 30,
      note: "always null in 30 rows: type unknown, string assumed",
    });
  });

  it("rejects rows that are not objects, naming the row", () => {
    expect(() => profileRows([{ a: 1 }, [1] as never])).toThrow(/rows\[1\] is not a JSON object/);
    expect(() => sampleRows([])).toThrow(/empty list/);
    expect(() => sampleRows([{ a: 1 }, 3])).toThrow(/item 1 is a number/);
    expect(sampleRows({ a: 1 })).toEqual([{ a: 1 }]);
  });
});

describe("low cardinality and email thresholds", () => {
  const profile = (over: Partial<ColumnProfile>): ColumnProfile => ({
    name: "c",
    type: "text",
    family: "string",
    rows: 30,
    nulls: 0,
    distinct: 3,
    emailLike: 0,
    maxLength: 5,
    ...over,
  });

  it.each([
    [{}, true],
    [{ distinct: 10 }, true],
    [{ distinct: 11 }, false],
    [{ distinct: 10, rows: 29 }, false],
    [{ distinct: 3, rows: 12, nulls: 4 }, false],
    [{ distinct: 0 }, false],
    [{ maxLength: 65 }, false],
    [{ family: "integer" as const }, false],
    [{ distinctCapped: true }, false],
  ])("%j -> %s", (over, expected) => {
    expect(isLowCardinality(profile(over))).toBe(expected);
  });

  it("uses an email pattern that is safe and that the contract's regex rule accepts", () => {
    expect(checkRegexSafety(EMAIL_PATTERN)).toEqual({ ok: true });
    for (const ok of ["a@b.co", "first.last+tag@mail.example.org"]) expect(looksLikeEmail(ok)).toBe(true);
    for (const bad of ["a@b", "a b@c.d", "a@@b.c", "@b.c", "a@b.", "a@.b.c", "plain"])
      expect(looksLikeEmail(bad)).toBe(false);
  });
});

describe("suggestContract", () => {
  const { table, profiles } = profileRows(orders, { name: "orders" });
  const yaml = suggestContract(table, profiles, { owner: "@acme/data", source: "orders.json" });
  const contract = parsed(yaml);
  const col = Object.fromEntries(contract.schema.columns.map((c) => [c.name, c]));

  it("renders a draft at RECORD that parses, with a header saying where it comes from", () => {
    expect(contract).toMatchObject({
      name: "orders",
      version: "0.1.0",
      status: "draft",
      enforcement: "RECORD",
      owner: "@acme/data",
      dataset: { type: "table", name: "orders" },
    });
    expect(yaml.startsWith("# Draft inferred by profiling 30 rows of orders.json.\n")).toBe(true);
  });

  it("makes never-null columns required, saying why", () => {
    expect(col.id?.required).toBe(true);
    expect(col.note?.required).toBe(false);
    expect(yaml).toMatch(/- name: id\n\s+type: integer\n\s+required: true # never null in 30 rows\n/);
  });

  it("suggests accepted values for low-cardinality text", () => {
    expect(col.status?.accepted_values).toEqual(["new", "paid", "shipped"]);
    expect(yaml).toContain("accepted_values: [ new, paid, shipped ] # 3 distinct values in 30 non-null rows");
    expect(col.email?.accepted_values).toBeUndefined();
    expect(col.note?.accepted_values).toBeUndefined();
  });

  it("suggests an email regex rule and pii for email-like text", () => {
    expect(col.email?.pii).toBe(true);
    expect(contract.quality).toEqual([
      { id: "email_format", type: "regex", column: "email", pattern: EMAIL_PATTERN },
    ]);
    expect(yaml).toContain(
      "  # all 30 non-null values of email look like email addresses\n  - id: email_format",
    );
  });

  it("marks id-like columns unique when every value is distinct", () => {
    expect(col.id?.unique).toBe(true);
    expect(col.order_uuid?.unique).toBe(true);
    expect(yaml).toContain("unique: true # all 30 values distinct");
    expect(col.amount?.unique).toBeUndefined();
    const few = profileRows(orders.slice(0, 9));
    expect(parsed(suggestContract(few.table, few.profiles)).schema.columns[0]?.unique).toBeUndefined();
  });

  it("uses portable families for inferred types and notes always-null columns", () => {
    expect(col.updated_at?.type).toBe("timestamp");
    expect(col.meta?.type).toBe("json");
    expect(yaml).toMatch(
      /name: always_null\n\s+type: string # always null in 30 rows: type unknown, string assumed\n/,
    );
  });

  it("gives a contract that its own sample satisfies: schema and data", () => {
    const conformance = conformTable(contract, toTableSchema(table, "postgres"));
    expect(conformance.violations).toEqual([]);
    const outcome = evaluateRows(contract, orders);
    expect(outcome.results.filter((r) => r.status === "failed")).toEqual([]);
  });

  it("keeps declared nullability: NOT NULL is required, a nullable never-null column gets a not_null check", () => {
    const declared: ObservedTable = {
      name: "main.customers",
      primaryKey: ["id"],
      columns: [
        { name: "id", type: "INTEGER", nullable: false },
        { name: "name", type: "TEXT", nullable: true },
        { name: "tier", type: "varchar(8)", nullable: true },
      ],
    };
    const profs: ColumnProfile[] = [
      { name: "id", type: "INTEGER", family: "integer", rows: 40, nulls: 0, distinct: 40, emailLike: 0 },
      { name: "name", type: "TEXT", family: "string", rows: 40, nulls: 0, distinct: 40, emailLike: 0 },
      {
        name: "tier",
        type: "varchar(8)",
        family: "string",
        rows: 40,
        nulls: 10,
        distinct: 2,
        emailLike: 0,
        maxLength: 4,
        topValues: [
          { value: "gold", count: 20 },
          { value: "free", count: 10 },
        ],
      },
    ];
    const text = suggestContract(declared, profs, {
      dialect: "sqlite",
      owner: "@acme/data",
      sampleLimit: 40,
    });
    const c = parsed(text);
    expect(c.name).toBe("customers");
    expect(c.schema.primary_key).toEqual(["id"]);
    expect(text).toContain("primary_key: [ id ] # the source's primary key");
    expect(c.schema.columns.map((x) => [x.name, x.type, x.required, x.unique])).toEqual([
      ["id", "integer", true, undefined],
      ["name", "text", false, undefined],
      ["tier", "varchar(8)", false, undefined],
    ]);
    expect(c.schema.columns[2]?.accepted_values).toEqual(["free", "gold"]);
    expect(c.quality).toEqual([{ id: "name_not_null", type: "not_null", column: "name" }]);
    expect(text).toContain("# name was never null in 40 rows, but the column admits NULL");
    expect(text).toContain("(a sample of at most 40)");
    expect(conformTable(c, toTableSchema(declared, "sqlite")).violations).toEqual([]);
  });

  it("states types without a portable family as the source spells them, else any with a note", () => {
    const file: ObservedTable = {
      name: "events",
      inferredTypes: true,
      columns: [
        { name: "meta", type: "STRUCT(a BIGINT)", nullable: false },
        { name: "tags", type: "VARCHAR[]", nullable: false },
        { name: "big", type: "HUGEINT", nullable: false },
      ],
    };
    const profs = file.columns.map(
      (c): ColumnProfile => ({
        name: c.name,
        type: c.type,
        family: "other",
        rows: 2,
        nulls: 0,
        emailLike: 0,
      }),
    );
    const text = suggestContract(file, profs, { dialect: "postgres" });
    const c = parsed(text);
    expect(c.schema.columns.map((x) => x.type)).toEqual(["struct(a bigint)", "string[]", "any"]);
    expect(text).toContain("type: any # type HUGEINT is not one contracts know: any assumed");
    expect(conformTable(c, toTableSchema(file, "postgres")).violations).toEqual([]);
  });

  it("says so when there is nothing to infer from", () => {
    expect(() => suggestContract({ name: "t", columns: [] }, [])).toThrow(/t has no columns/);
    const empty = suggestContract({ name: "t", columns: [{ name: "a", type: "integer", nullable: true }] }, [
      { name: "a", type: "integer", family: "integer", rows: 0, nulls: 0, distinct: 0, emailLike: 0 },
    ]);
    expect(empty).toContain("The table is empty");
    expect(parsed(empty).schema.columns[0]?.required).toBe(false);
  });
});
