import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RuleResult } from "../src/core/validate/evaluate-rows.ts";
import { openSource } from "../src/sources/open-source.ts";
import type { DataSource, SourceKind } from "../src/sources/types.ts";
import { validateSource } from "../src/sources/validate-source.ts";
import { createPgDatabase, type TestPgDatabase } from "./helpers/pg-database.ts";
import {
  CLEAN_ROWS,
  DIRTY_ROWS,
  LINES_CONTRACT,
  NOW,
  parseOrThrow,
  validationContract,
  writeCsv,
  writeJsonl,
  writeLines,
  writeParquet,
  writePgLines,
  writePgOrders,
  writeSqlite,
} from "./helpers/validation-data.ts";

type Fixture = { dirty: string; clean: string };

let dir: string;
let pgDirty: TestPgDatabase;
let pgClean: TestPgDatabase;
const fixtures = {} as Record<SourceKind, Fixture>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "covenant-validate-"));
  for (const sub of ["dirty", "clean"]) mkdirSync(join(dir, sub));
  const path = (sub: string, file: string) => join(dir, sub, file);

  // SQLite stores anything anywhere: row 12's amount is text here, which only SQLite can hold.
  const sqliteDirty = DIRTY_ROWS.map((r) => (r.id === 12 ? { ...r, amount: "12x" } : r));
  writeSqlite(path("dirty", "shop.db"), sqliteDirty);
  writeSqlite(path("clean", "shop.db"), CLEAN_ROWS, { strict: true });
  writeCsv(path("dirty", "orders.csv"), DIRTY_ROWS);
  writeCsv(path("clean", "orders.csv"), CLEAN_ROWS);
  writeJsonl(path("dirty", "orders.jsonl"), DIRTY_ROWS);
  writeJsonl(path("clean", "orders.jsonl"), CLEAN_ROWS);
  await writeParquet(path("dirty", "orders.parquet"), DIRTY_ROWS, dir);
  await writeParquet(path("clean", "orders.parquet"), CLEAN_ROWS, dir);

  pgDirty = await createPgDatabase("covenant_validate");
  await writePgOrders(pgDirty, DIRTY_ROWS);
  pgClean = await createPgDatabase("covenant_validate");
  await writePgOrders(pgClean, CLEAN_ROWS, { strict: true });

  fixtures.sqlite = { dirty: path("dirty", "shop.db"), clean: path("clean", "shop.db") };
  fixtures.postgres = { dirty: pgDirty.url, clean: pgClean.url };
  fixtures.csv = { dirty: path("dirty", "orders.csv"), clean: path("clean", "orders.csv") };
  fixtures.jsonl = { dirty: path("dirty", "orders.jsonl"), clean: path("clean", "orders.jsonl") };
  fixtures.parquet = { dirty: path("dirty", "orders.parquet"), clean: path("clean", "orders.parquet") };
});

afterAll(async () => {
  await pgDirty?.drop();
  await pgClean?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const withSource = async <T>(kind: SourceKind, location: string, run: (s: DataSource) => Promise<T>) => {
  const source = await openSource({ kind, location });
  try {
    return await run(source);
  } finally {
    await source.close();
  }
};

/** Offending rows are shown by key (tables with one) or whole (files): compare their ids. */
const ids = (values: unknown[]) => values.map((v) => Number((v as { id: unknown }).id));

type Expected = { failed_rows: number; samples?: unknown[]; rowIds?: number[] };

const COMMON: Record<string, Expected | "passed" | "not_evaluated"> = {
  "column:id:required": "passed",
  "primary_key:not_null": "passed",
  "primary_key:unique": "passed",
  "column:email:unique": { failed_rows: 1, samples: ["a1@x.io"] },
  "column:status:required": { failed_rows: 1, rowIds: [8] },
  "column:status:accepted_values": { failed_rows: 1, samples: ["lost"] },
  email_format: { failed_rows: 1, samples: ["bad-email"] },
  code_length: { failed_rows: 2, samples: ["A", "ABCDEFG"] },
  amount_range: { failed_rows: 2, samples: [-5, 5000] },
  code_present: { failed_rows: 1, rowIds: [9] },
  code_unique: { failed_rows: 1, samples: ["AB"] },
  at_most_ten: { failed_rows: 12, samples: [12] },
  amount_positive: { failed_rows: 2, rowIds: [6, 10] },
  no_big_new_orders: { failed_rows: 1, samples: [] },
  gx_suite: "not_evaluated",
  "sla:freshness": { failed_rows: 0 },
  "sla:completeness": { failed_rows: 1, rowIds: [8] },
};

const EXPECTED: Record<SourceKind, Record<string, Expected | "passed" | "not_evaluated">> = {
  sqlite: {
    "schema:contract-nullability-mismatch:status": { failed_rows: 0 },
    ...COMMON,
    "column:id:type": "passed",
    "column:email:type": "passed",
    "column:status:type": "passed",
    "column:amount:type": { failed_rows: 1, samples: ["12x"] },
    "column:code:type": "passed",
    "column:updated_at:type": "passed",
    amount_range: { failed_rows: 3, samples: [-5, 5000, "12x"] },
  },
  postgres: { "schema:contract-nullability-mismatch:status": { failed_rows: 0 }, ...COMMON },
  csv: COMMON,
  jsonl: COMMON,
  parquet: COMMON,
};

const KINDS: SourceKind[] = ["sqlite", "postgres", "csv", "jsonl", "parquet"];

describe.each(KINDS)("validateSource on %s (real engine)", (kind) => {
  it("counts every broken rule's rows exactly, with samples", async () => {
    const fixture = fixtures[kind];
    const result = await withSource(kind, fixture.dirty, (s) =>
      validateSource(validationContract(), s, { now: NOW }),
    );
    expect(result.rows_evaluated).toBe(12);
    expect(result.passed).toBe(false);
    const expected = EXPECTED[kind];
    const byId = new Map(result.results.map((r) => [r.rule_id, r]));
    expect([...byId.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [id, want] of Object.entries(expected)) {
      const got = byId.get(id) as RuleResult;
      if (want === "passed" || want === "not_evaluated") {
        expect({ id, status: got.status }).toEqual({ id, status: want });
        continue;
      }
      expect({ id, status: got.status, failed_rows: got.failed_rows }).toEqual({
        id,
        status: "failed",
        failed_rows: want.failed_rows,
      });
      if (want.samples) expect({ id, samples: got.sample_values }).toEqual({ id, samples: want.samples });
      if (want.rowIds) expect({ id, rows: ids(got.sample_values) }).toEqual({ id, rows: want.rowIds });
    }
    const freshness = byId.get("sla:freshness");
    expect(freshness?.observed).toMatchObject({ lag_minutes: 180, max_lag_minutes: 60 });
    expect(parseInt(String(freshness?.observed?.max_value).replace(/\D/g, "").slice(0, 10), 10)).toBe(
      2024050109,
    );
    expect(byId.get("sla:completeness")?.observed).toMatchObject({
      completeness_pct: 91.67,
      complete_rows: 11,
    });
    expect(byId.get("gx_suite")?.reason).toContain("great_expectations");
    expect(result.rules_failed).toBe(result.results.filter((r) => r.status === "failed").length);
    expect(result.rules_not_evaluated).toBe(1);
  });

  it("passes a clean dataset", async () => {
    const result = await withSource(kind, fixtures[kind].clean, (s) =>
      validateSource(validationContract(), s, { now: NOW }),
    );
    expect(result.results.filter((r) => r.status === "failed")).toEqual([]);
    expect(result.passed).toBe(true);
    expect(result.rows_evaluated).toBe(3);
    expect(result.schema.status).toBe("pass");
    expect(result.results.find((r) => r.rule_id === "sla:freshness")?.observed?.lag_minutes).toBe(30);
  });

  it("judges only the first N rows with a sample limit, but freshness over the whole table", async () => {
    const result = await withSource(kind, fixtures[kind].dirty, (s) =>
      validateSource(validationContract(), s, { now: NOW, sampleLimit: 4 }),
    );
    expect(result.rows_evaluated).toBe(4);
    const byId = new Map(result.results.map((r) => [r.rule_id, r]));
    expect(byId.get("email_format")?.failed_rows).toBe(1);
    expect(byId.get("column:email:unique")?.status).toBe("passed");
    expect(byId.get("at_most_ten")?.status).toBe("passed");
    expect(byId.get("sla:freshness")?.observed?.lag_minutes).toBe(180);
  });

  it("reports schema drift with the engine's rules; rules on a missing column are not evaluated", async () => {
    const contract = parseOrThrow(`name: orders
version: 1.0.0
owner: "@acme/data-platform"
dataset: { name: orders }
schema:
  primary_key: [email]
  columns:
    - { name: id, type: integer, required: true }
    - { name: email, type: integer }
    - { name: code, type: string, required: true }
    - { name: discount, type: number, required: true }
quality:
  - { id: discount_range, type: range, column: discount, min: 0 }
`);
    const result = await withSource(kind, fixtures[kind].dirty, (s) =>
      validateSource(contract, s, { now: NOW }),
    );
    const schema = result.results.filter((r) => r.kind === "schema").map((r) => r.rule_id);
    const declaresKeys = kind === "sqlite" || kind === "postgres";
    expect(schema.sort()).toEqual(
      [
        "schema:contract-column-missing:discount",
        "schema:contract-type-mismatch:email",
        ...(declaresKeys
          ? ["schema:contract-nullability-mismatch:code", "schema:contract-primary-key-mismatch"]
          : []),
      ].sort(),
    );
    const missing = result.results.find((r) => r.rule_id === "schema:contract-column-missing:discount");
    expect(missing).toMatchObject({ status: "failed", rule: "contract-column-missing", column: "discount" });
    expect(missing?.message).toContain("discount");
    expect(result.schema.diff.removed.map((c) => c.name)).toEqual(["discount"]);
    expect(result.schema.status).toBe("breaking");
    for (const id of ["column:discount:required", "discount_range"]) {
      const r = result.results.find((x) => x.rule_id === id);
      expect(r?.status).toBe("not_evaluated");
      expect(r?.reason).toContain("discount");
    }
  });
});

describe.each(KINDS)("schema.primary_key in the data of %s", (kind) => {
  const location = async () => {
    if (kind === "postgres") {
      await pgClean.query("DROP TABLE IF EXISTS order_lines");
      await writePgLines(pgClean);
      return pgClean.url;
    }
    const path = join(dir, `order_lines.${kind === "sqlite" ? "db" : kind}`);
    rmSync(path, { force: true });
    await writeLines(kind, path);
    return path;
  };
  const keyResults = async (primaryKey: string, options: { sampleLimit?: number } = {}) => {
    const at = await location();
    const result = await withSource(kind, at, (s) =>
      validateSource(parseOrThrow(LINES_CONTRACT(primaryKey)), s, { now: NOW, ...options }),
    );
    return Object.fromEntries(
      result.results
        .filter((r) => r.kind === "primary_key")
        .map((r) => [r.rule_id, { status: r.status, failed_rows: r.failed_rows, samples: r.sample_values }]),
    );
  };

  it("finds repeated and missing composite keys, with the repeated keys as samples", async () => {
    const got = await keyResults("[order_id, line]");
    expect(got["primary_key:unique"]).toEqual({
      status: "failed",
      failed_rows: 3,
      samples: [
        { order_id: 1, line: 2 },
        { order_id: 2, line: 1 },
      ],
    });
    expect(got["primary_key:not_null"]).toMatchObject({ status: "failed", failed_rows: 1 });
    expect(
      ((got["primary_key:not_null"]?.samples ?? []) as Array<Record<string, unknown>>).map((r) => r.sku),
    ).toEqual(["g"]);
  });

  it("finds a repeated one-column key, and judges only the sampled rows under a limit", async () => {
    expect(await keyResults("[order_id]")).toMatchObject({
      "primary_key:unique": { status: "failed", failed_rows: 4, samples: [1, 2] },
      "primary_key:not_null": { status: "failed", failed_rows: 1 },
    });
    // The first three rows: (1, 1), (1, 2), (1, 2).
    expect(await keyResults("[order_id, line]", { sampleLimit: 3 })).toMatchObject({
      "primary_key:unique": { status: "failed", failed_rows: 1, samples: [{ order_id: 1, line: 2 }] },
      "primary_key:not_null": { status: "passed" },
    });
    expect(await keyResults("[line, sku]")).toEqual({
      "primary_key:not_null": { status: "passed", failed_rows: 0, samples: [] },
      "primary_key:unique": { status: "passed", failed_rows: 0, samples: [] },
    });
  });
});

describe("accepted values by value", () => {
  // 10.50 in a numeric(12,2), 1.0 in a REAL or DOUBLE and SQLite's stored booleans (1, 0) are the
  // contract's 10.5, 1, true and false, though their text forms differ; 3 and 'x' are still refused.
  const contract = (dataset: string) =>
    parseOrThrow(`name: prices
version: 1.0.0
status: draft
owner: "@acme/data"
enforcement: RECORD
dataset: { type: table, name: ${dataset} }
schema:
  columns:
    - { name: price, type: number, accepted_values: [10.5, 20] }
    - { name: rate, type: number }
    - { name: active, type: boolean, accepted_values: [true, false] }
quality:
  - { id: rates, type: accepted_values, column: rate, values: [1, 2.5] }
`);
  const outcome = async (kind: SourceKind, location: string, dataset: string) =>
    withSource(kind, location, async (s) => {
      const result = await validateSource(contract(dataset), s, { now: NOW });
      return Object.fromEntries(
        result.results
          .filter((r) => r.kind === "accepted_values")
          .map((r) => [r.rule_id, { failed_rows: r.failed_rows, samples: r.sample_values }]),
      );
    });
  const expected = (bad: { price: unknown; rate: unknown; active?: unknown }) => ({
    "column:price:accepted_values": { failed_rows: 1, samples: [bad.price] },
    "column:active:accepted_values":
      bad.active === undefined ? { failed_rows: 0, samples: [] } : { failed_rows: 1, samples: [bad.active] },
    rates: { failed_rows: 1, samples: [bad.rate] },
  });

  it("on SQLite", async () => {
    const path = join(dir, "accepted.db");
    const db = new Database(path);
    db.exec(`CREATE TABLE prices (price NUMERIC, rate REAL, active BOOLEAN);
      INSERT INTO prices VALUES (10.50, 1.0, 1), (20, 2.5, 0), (3, 7, 'x'), (NULL, NULL, NULL);`);
    db.close();
    expect(await outcome("sqlite", path, "prices")).toEqual(expected({ price: 3, rate: 7, active: "x" }));
  });

  it("on PostgreSQL", async () => {
    await pgClean.query(`CREATE TABLE prices (price numeric(12,2), rate float8, active boolean);
      INSERT INTO prices VALUES (10.50, 1.0, true), (20, 2.5, false), (3, 7, NULL), (NULL, NULL, NULL);`);
    expect(await outcome("postgres", pgClean.url, "public.prices")).toEqual(
      expected({ price: "3.00", rate: 7 }),
    );
  });

  it("on CSV", async () => {
    const path = join(dir, "prices.csv");
    writeFileSync(path, "price,rate,active\n10.50,1.0,true\n20.00,2.5,false\n3.00,7.0,\n,,\n");
    expect(await outcome("csv", path, "prices")).toEqual(expected({ price: 3, rate: 7 }));
  });
});

describe("file columns without a value", () => {
  // DuckDB calls a CSV column it saw no value of VARCHAR, and a JSON one JSON: an empty column
  // (or a file with a header only) has no type to disagree with the contract's.
  const contract = parseOrThrow(`name: sparse
version: 1.0.0
status: draft
owner: "@acme/data"
enforcement: RECORD
dataset: { type: table, name: sparse }
schema:
  columns:
    - { name: id, type: integer }
    - { name: x, type: integer }
    - { name: s, type: integer }
`);
  const schemaFailures = async (kind: SourceKind, file: string, text: string) => {
    const path = join(dir, file);
    writeFileSync(path, text);
    return withSource(kind, path, async (s) => {
      const result = await validateSource(contract, s, { now: NOW });
      return {
        failed: result.results.filter((r) => r.status === "failed").map((r) => r.rule_id),
        type_changed: result.schema.diff.type_changed.map((c) => c.name),
      };
    });
  };
  const onlyS = { failed: ["schema:contract-type-mismatch:s"], type_changed: ["s"] };

  it("in CSV", async () => {
    expect(await schemaFailures("csv", "sparse.csv", "id,x,s\n1,,a\n2,,b\n")).toEqual(onlyS);
    expect(await schemaFailures("csv", "header-only.csv", "id,x,s\n")).toEqual({
      failed: [],
      type_changed: [],
    });
  });

  it("in JSON lines", async () => {
    expect(
      await schemaFailures("jsonl", "sparse.jsonl", '{"id":1,"x":null,"s":"a"}\n{"id":2,"x":null,"s":"b"}\n'),
    ).toEqual(onlyS);
  });
});

describe("source introspection", () => {
  it("describes PostgreSQL types with format_type: varchar(n), numeric(p,s), arrays, enums; views without key", async () => {
    await pgDirty.query(`CREATE TYPE mood AS ENUM ('happy', 'sad');
      CREATE TABLE typed (a varchar(12) NOT NULL, b numeric(12,2), c text[], d mood, e mood[], f timestamptz,
                          PRIMARY KEY (b, a));
      CREATE VIEW typed_view AS SELECT a, b FROM typed;`);
    await withSource("postgres", pgDirty.url, async (s) => {
      expect(await s.listTables()).toEqual(["public.orders", "public.typed", "public.typed_view"]);
      const t = await s.describeTable("typed");
      expect(t).toEqual({
        name: "public.typed",
        columns: [
          { name: "a", type: "character varying(12)", nullable: false },
          { name: "b", type: "numeric(12,2)", nullable: false },
          { name: "c", type: "text[]", nullable: true },
          { name: "d", type: "mood", nullable: true, values: ["happy", "sad"] },
          { name: "e", type: "mood[]", nullable: true, values: ["happy", "sad"] },
          { name: "f", type: "timestamp with time zone", nullable: true },
        ],
        primaryKey: ["b", "a"],
      });
      expect((await s.describeTable("public.typed_view"))?.primaryKey).toBeUndefined();
      expect(await s.describeTable("nope")).toBeUndefined();
      expect(s.tableRef("public.typed")).toBe('"public"."typed"');
    });
  });

  it("describes a PostgreSQL domain column as the type it is built on, so a draft validates its own table", async () => {
    await pgClean.query(`CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
      CREATE DOMAIN short_name AS varchar(10) NOT NULL; CREATE DOMAIN nick AS short_name;
      CREATE TABLE domained (p posint, n nick);
      INSERT INTO domained VALUES (1, 'ann');`);
    await withSource("postgres", pgClean.url, async (s) => {
      expect((await s.describeTable("domained"))?.columns).toEqual([
        { name: "p", type: "integer", nullable: true },
        // NOT NULL two domains down still keeps every value.
        { name: "n", type: "character varying(10)", nullable: false },
      ]);
      const contract = parseOrThrow(`name: domained
version: 1.0.0
status: draft
owner: "@acme/data"
enforcement: RECORD
dataset: { type: table, name: public.domained }
schema:
  columns:
    - { name: p, type: integer, required: false }
    - { name: n, type: varchar(10), required: true }
`);
      const result = await validateSource(contract, s, { now: NOW });
      expect(result.results.filter((r) => r.status !== "passed")).toEqual([]);
      expect(result.passed).toBe(true);
    });
  });

  it("describes SQLite tables and views with declared types, NOT NULL and key order", async () => {
    await withSource("sqlite", fixtures.sqlite.clean, async (s) => {
      expect(await s.listTables()).toEqual(["main.orders"]);
      expect(await s.describeTable("orders")).toEqual({
        name: "main.orders",
        columns: [
          { name: "id", type: "INTEGER", nullable: false },
          { name: "email", type: "TEXT", nullable: true },
          { name: "status", type: "TEXT", nullable: false },
          { name: "amount", type: "INTEGER", nullable: true },
          { name: "code", type: "TEXT", nullable: true },
          { name: "updated_at", type: "TIMESTAMP", nullable: true },
        ],
        primaryKey: ["id"],
      });
    });
  });

  it("describes a file as one table named after it, with inferred types", async () => {
    await withSource("parquet", fixtures.parquet.clean, async (s) => {
      expect(await s.listTables()).toEqual(["orders"]);
      const t = await s.describeTable();
      expect(t?.name).toBe("orders");
      expect(t?.inferredTypes).toBe(true);
      expect(t?.primaryKey).toBeUndefined();
      expect(t?.columns.map((c) => c.name)).toEqual([
        "id",
        "email",
        "status",
        "amount",
        "code",
        "updated_at",
      ]);
      expect(await s.describeTable("orders.parquet")).toBeDefined();
      expect(await s.describeTable("other")).toBeUndefined();
      // 64-bit integers come back as JSON numbers, not bigint.
      expect(
        await s.query("SELECT id, count(*) AS n FROM orders GROUP BY id ORDER BY id LIMIT 1", [], {
          timeoutMs: 5_000,
        }),
      ).toEqual([{ id: 1, n: 1 }]);
    });
  });

  it("fails on an unknown table with the tables the source has", async () => {
    await withSource("sqlite", fixtures.sqlite.dirty, async (s) => {
      await expect(
        validateSource(validationContract(), s, { table: "main.customers" }),
      ).rejects.toMatchObject({
        code: "invalid_input",
        message: expect.stringMatching(/main\.customers is not in .*main\.orders/),
      });
    });
  });
});
