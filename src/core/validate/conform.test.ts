import { describe, expect, it } from "vitest";
import { parseContract } from "../model/contract.ts";
import { normalizeType } from "../model/normalize-type.ts";
import { conformTable, type ObservedTable, toTableSchema, typeKeeping } from "./conform.ts";

const contract = (() => {
  const parsed = parseContract(
    `name: orders
version: 1.0.0
status: draft
owner: "@acme/data"
dataset: { name: public.orders }
schema:
  primary_key: [id]
  columns:
    - { name: id, type: bigint, required: true }
    - { name: email, type: string }
    - { name: status, type: string, required: true }
    - { name: amount, type: "numeric(12,2)" }
`,
    "orders.yaml",
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.contract;
})();

const table = (over: Partial<ObservedTable> = {}): ObservedTable => ({
  name: "public.orders",
  columns: [
    { name: "id", type: "bigint", nullable: false },
    { name: "email", type: "text", nullable: true },
    { name: "status", type: "varchar(20)", nullable: false },
    { name: "amount", type: "numeric(12,2)", nullable: true },
  ],
  primaryKey: ["id"],
  ...over,
});

describe("conformTable", () => {
  it("passes a table that keeps every promise, whatever the contract's status", () => {
    const result = conformTable(contract, toTableSchema(table(), "postgres"));
    expect(result).toMatchObject({ score: 0, status: "pass", violations: [] });
    expect(result.diff).toEqual({ removed: [], added: [], type_changed: [], nullability_changed: [] });
  });

  it("scores a missing required column as breaking (40) and an optional one as a warning (20)", () => {
    const noStatus = table({ columns: table().columns.filter((c) => c.name !== "status") });
    const required = conformTable(contract, toTableSchema(noStatus, "postgres"));
    expect(required).toMatchObject({ score: 40, status: "breaking" });
    expect(required.violations.map((v) => [v.rule, v.column])).toEqual([
      ["contract-column-missing", "status"],
    ]);
    expect(required.diff.removed).toEqual([{ name: "status", type: "string", required: true }]);

    const noEmail = table({ columns: table().columns.filter((c) => c.name !== "email") });
    expect(conformTable(contract, toTableSchema(noEmail, "postgres"))).toMatchObject({
      score: 20,
      status: "warning",
    });
  });

  it("reports type, nullability, key and added columns with the engine's rules", () => {
    const drifted = table({
      columns: [
        { name: "id", type: "integer", nullable: false },
        { name: "email", type: "text", nullable: true },
        { name: "status", type: "text", nullable: true },
        { name: "amount", type: "numeric(12,2)", nullable: true },
        { name: "note", type: "text", nullable: true },
      ],
      primaryKey: [],
    });
    const result = conformTable(contract, toTableSchema(drifted, "postgres"));
    expect(result.violations.map((v) => v.rule).sort()).toEqual([
      "contract-nullability-mismatch",
      "contract-primary-key-mismatch",
      "contract-type-mismatch",
    ]);
    expect(result.score).toBe(95);
    expect(result.status).toBe("breaking");
    expect(result.diff.type_changed).toEqual([{ name: "id", expected: "bigint", actual: "integer" }]);
    expect(result.diff.nullability_changed).toEqual([
      { name: "status", expected: "required", actual: "nullable" },
    ]);
    expect(result.diff.added).toEqual([{ name: "note", type: "text", nullable: true }]);
  });

  it("compares only families for inferred types and never judges keys a file cannot have", () => {
    const csv: ObservedTable = {
      name: "orders",
      inferredTypes: true,
      columns: [
        { name: "id", type: "BIGINT", nullable: false },
        { name: "email", type: "VARCHAR", nullable: true },
        { name: "status", type: "VARCHAR", nullable: false },
        { name: "amount", type: "DOUBLE", nullable: true },
      ],
    };
    const result = conformTable(contract, toTableSchema(csv, "postgres"));
    // DOUBLE is a number, but the contract's numeric(12,2) is an exact decimal: still the number family.
    expect(result.violations.map((v) => v.rule)).toEqual([]);
  });

  it("takes a live SQLite integer of any declared name for what it stores: 8 bytes", () => {
    const sqlite: ObservedTable = {
      ...table(),
      name: "main.orders",
      columns: table().columns.map((c) => (c.name === "id" ? { ...c, type: "INTEGER" } : c)),
    };
    expect(conformTable(contract, toTableSchema(sqlite, "sqlite")).violations).toEqual([]);
    expect(conformTable(contract, toTableSchema(sqlite, "postgres")).violations.map((v) => v.rule)).toEqual([
      "contract-type-mismatch",
    ]);
  });

  it("takes a live SQLite storage class for the date, time or boolean it stores, and nothing else", () => {
    const events = (() => {
      const parsed = parseContract(
        `name: events
version: 1.0.0
owner: "@acme/data"
dataset: { name: events }
schema:
  columns:
    - { name: at, type: timestamp, required: true }
    - { name: day, type: date }
    - { name: done, type: boolean }
    - { name: payload, type: json }
    - { name: n, type: integer }
`,
        "events.yaml",
      );
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
      return parsed.contract;
    })();
    const sqlite = (types: string[]): ObservedTable => ({
      name: "main.events",
      columns: ["at", "day", "done", "payload", "n"].map((name, i) => ({
        name,
        type: types[i] ?? "",
        nullable: name !== "at",
      })),
      primaryKey: [],
    });
    expect(
      conformTable(events, toTableSchema(sqlite(["TEXT", "INTEGER", "INTEGER", "", "NUMERIC"]), "sqlite"))
        .violations,
    ).toEqual([]);
    // SQLite keeps a date as text in any text column (the type rule judges the values), but turns
    // numbers and booleans stored in a TEXT column into text.
    const wrong = conformTable(
      events,
      toTableSchema(sqlite(["TEXT", "varchar(10)", "TEXT", "TEXT", "TEXT"]), "sqlite"),
    );
    expect(wrong.violations.map((v) => v.column)).toEqual(["done", "n"]);
    // Elsewhere a text column is text.
    expect(
      conformTable(events, toTableSchema(sqlite(["TEXT", "INTEGER", "INTEGER", "", "NUMERIC"]), "postgres"))
        .violations.length,
    ).toBeGreaterThan(0);
  });
});

describe("typeKeeping: one judgement for the schema results and the type rule", () => {
  const keeping = (declared: string, observed: string, how: "postgres" | "sqlite" | "inferred") => {
    const table: ObservedTable = {
      name: "t",
      columns: [{ name: "c", type: observed, nullable: true }],
      ...(how === "inferred" ? { inferredTypes: true } : {}),
    };
    const column = toTableSchema(table, how === "sqlite" ? "sqlite" : "postgres").columns[0];
    if (!column) throw new Error("no column");
    return typeKeeping(normalizeType(declared), column.type, how === "sqlite");
  };

  it.each([
    ["char(3)", "character(3)", "postgres", "kept"],
    ["char(3)", "text", "postgres", "broken"],
    ["string", "text", "postgres", "kept"],
    ["integer", "text", "postgres", "broken"],
    ["char(3)", "TEXT", "sqlite", "values"],
    ["varchar(255)", "VARCHAR(10)", "sqlite", "values"],
    ["date", "TEXT", "sqlite", "values"],
    ["bigint", "INTEGER", "sqlite", "values"],
    ["integer", "TEXT", "sqlite", "broken"],
    ["boolean", "varchar(5)", "sqlite", "broken"],
    ["char(3)", "VARCHAR", "inferred", "values"],
    ["string", "VARCHAR", "inferred", "kept"],
    ["bigint", "BIGINT", "inferred", "kept"],
    ["integer", "VARCHAR", "inferred", "broken"],
  ] as const)("contract %s, column %s (%s): %s", (declared, observed, how, expected) => {
    expect(keeping(declared, observed, how)).toBe(expected);
  });

  it("lets a SQLite TEXT column keep a char(3) in the schema results, as a file column does", () => {
    const prices = parseContract(
      `name: prices
version: 1.0.0
owner: "@acme/data"
dataset: { name: prices }
schema:
  columns:
    - { name: currency, type: char(3) }
`,
      "prices.yaml",
    );
    if (!prices.ok) throw new Error(JSON.stringify(prices.errors));
    const table = (type: string, inferredTypes?: boolean): ObservedTable => ({
      name: "prices",
      columns: [{ name: "currency", type, nullable: true }],
      ...(inferredTypes ? { inferredTypes } : {}),
    });
    expect(conformTable(prices.contract, toTableSchema(table("TEXT"), "sqlite")).violations).toEqual([]);
    expect(
      conformTable(prices.contract, toTableSchema(table("VARCHAR", true), "postgres")).violations,
    ).toEqual([]);
    expect(
      conformTable(prices.contract, toTableSchema(table("text"), "postgres")).violations.map((v) => v.rule),
    ).toEqual(["contract-type-mismatch"]);
  });
});
