import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseContract } from "../core/model/contract.ts";
import { conformTable, toTableSchema } from "../core/validate/conform.ts";
import { EMAIL_PATTERN } from "../core/validate/profile.ts";
import { inferFromSource, profileSource } from "./profile-source.ts";
import type { DataSource } from "./types.ts";

// profileSource over the DataSource interface, on a real SQLite database through a minimal
// read-only source (the adapters have their own tests; this pins the SQL and the mapping).

let dir: string;
let db: Database.Database;
const queries: string[] = [];

const minimalSource = (database: Database.Database): DataSource => ({
  kind: "sqlite",
  dialect: "sqlite",
  label: "shop.db",
  listTables: async () =>
    (
      database.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all() as {
        name: string;
      }[]
    ).map((t) => `main.${t.name}`),
  describeTable: async (table) => {
    const name = (table ?? "orders").replace(/^main\./, "");
    const columns = database
      .prepare('SELECT name, type, "notnull", pk FROM pragma_table_info(?)')
      .all(name) as {
      name: string;
      type: string;
      notnull: number;
      pk: number;
    }[];
    if (columns.length === 0) return undefined;
    return {
      name: `main.${name}`,
      columns: columns.map((c) => ({ name: c.name, type: c.type, nullable: c.notnull === 0 && c.pk === 0 })),
      primaryKey: columns.filter((c) => c.pk > 0).map((c) => c.name),
    };
  },
  tableRef: (table) => `"main"."${(table ?? "orders").replace(/^main\./, "")}"`,
  query: async (sql, params) => {
    queries.push(sql);
    return database.prepare(sql).all(...params) as Record<string, unknown>[];
  },
  close: async () => {},
});

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "covenant-profile-"));
  db = new Database(join(dir, "shop.db"));
  db.exec(`CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    reference TEXT NOT NULL,
    "customer email" TEXT,
    status VARCHAR(12),
    amount NUMERIC(10,2),
    placed_on DATE,
    note TEXT,
    empty TEXT
  )`);
  const insert = db.prepare("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, NULL)");
  const statuses = ["new", "paid", "shipped"];
  for (let i = 1; i <= 60; i++) {
    insert.run(
      i,
      `R-${i}`,
      i === 7 ? null : `buyer${i}@example.com`,
      statuses[i % 3],
      i * 1.5,
      `2024-05-${String((i % 28) + 1).padStart(2, "0")}`,
      i % 2 === 0 ? `free text ${i}` : null,
    );
  }
});

afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("profileSource on SQLite", () => {
  it("computes counts in one aggregate query and values in one query per low-cardinality column", async () => {
    queries.length = 0;
    const { table, profiles } = await profileSource(minimalSource(db));
    expect(table.name).toBe("main.orders");
    expect(queries).toHaveLength(2);
    const p = Object.fromEntries(profiles.map((x) => [x.name, x]));
    expect(p.id).toMatchObject({ rows: 60, nulls: 0, distinct: 60, min: 1, max: 60, family: "integer" });
    expect(p["customer email"]).toMatchObject({
      nulls: 1,
      distinct: 59,
      emailLike: 59,
      minLength: 18,
      maxLength: 19,
    });
    expect(p.status).toMatchObject({
      distinct: 3,
      topValues: [
        { value: "new", count: 20 },
        { value: "paid", count: 20 },
        { value: "shipped", count: 20 },
      ],
    });
    expect(p.amount).toMatchObject({ min: 1.5, max: 90 });
    expect(p.placed_on).toMatchObject({ min: "2024-05-01", max: "2024-05-28" });
    expect(p.note).toMatchObject({ nulls: 30, distinct: 30 });
    expect(p.note?.topValues).toBeUndefined();
    expect(p.empty).toMatchObject({ nulls: 60, distinct: 0, emailLike: 0 });
  });

  it("profiles a sample through a LIMIT subquery", async () => {
    const { profiles } = await profileSource(minimalSource(db), { sampleLimit: 9 });
    expect(profiles[0]).toMatchObject({ name: "id", rows: 9 });
  });

  it("infers a draft that parses, conforms to the table and carries the suggestions", async () => {
    const source = minimalSource(db);
    const yaml = await inferFromSource(source, { owner: "@acme/data" });
    expect(yaml).toContain("# Draft inferred by profiling 60 rows of shop.db.");
    const parsed = parseContract(yaml, "draft.yaml");
    if (!parsed.ok) throw new Error(parsed.errors[0]?.message);
    const c = parsed.contract;
    expect(c).toMatchObject({
      name: "orders",
      dataset: { name: "main.orders" },
      schema: { primary_key: ["id"] },
    });
    const col = Object.fromEntries(c.schema.columns.map((x) => [x.name, x]));
    expect(col.reference).toMatchObject({ type: "text", required: true });
    expect(col.status).toMatchObject({
      type: "varchar(12)",
      required: false,
      accepted_values: ["new", "paid", "shipped"],
    });
    expect(col["customer email"]).toMatchObject({ pii: true });
    expect(c.quality).toEqual([
      { id: "customer_email_format", type: "regex", column: "customer email", pattern: EMAIL_PATTERN },
      { id: "status_not_null", type: "not_null", column: "status" },
      { id: "amount_not_null", type: "not_null", column: "amount" },
      { id: "placed_on_not_null", type: "not_null", column: "placed_on" },
    ]);
    const described = await source.describeTable();
    if (!described) throw new Error("orders not described");
    expect(conformTable(c, toTableSchema(described, "sqlite")).violations).toEqual([]);
  });

  it("names the tables it knows when the table is missing, and rejects a bad sample limit", async () => {
    await expect(profileSource(minimalSource(db), { table: "ordres" })).rejects.toThrow(
      "table ordres not found in shop.db: give one of main.orders",
    );
    await expect(profileSource(minimalSource(db), { sampleLimit: 0 })).rejects.toThrow(
      /positive whole number/,
    );
  });

  it("turns a failing query into an unprocessable error naming the table", async () => {
    const broken: DataSource = {
      ...minimalSource(db),
      query: async () => {
        throw new Error("no such function: LENGTH");
      },
    };
    await expect(profileSource(broken)).rejects.toMatchObject({
      code: "unprocessable",
      message: "profiling main.orders on shop.db failed: no such function: LENGTH",
    });
  });
});
