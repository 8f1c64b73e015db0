// One dataset, written into every kind of source (SQLite, PostgreSQL, CSV, JSON lines, Parquet),
// with rows that break each rule of VALIDATION_CONTRACT a known number of times.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import Database from "better-sqlite3";
import { parse as parseYaml } from "yaml";
import { type Contract, parseContract, type QualityRule } from "../../src/core/model/contract.ts";
import type { TestPgDatabase } from "./pg-database.ts";

/** Freshness is measured against this instant. */
export const NOW = new Date("2024-05-01T12:00:00Z");

export const VALIDATION_CONTRACT = `name: orders
version: 1.0.0
owner: "@acme/data-platform"
dataset: { type: table, name: orders }
schema:
  primary_key: [id]
  columns:
    - { name: id, type: integer, required: true }
    - { name: email, type: string, unique: true }
    - { name: status, type: string, required: true, accepted_values: [new, paid, shipped] }
    - { name: amount, type: integer }
    - { name: code, type: string }
    - { name: updated_at, type: timestamp }
quality:
  - { id: email_format, type: regex, column: email, pattern: '^[^@]+@[^@]+\\.[^@]+$' }
  - { id: amount_range, type: range, column: amount, min: 0, max: 1000 }
  - { id: code_length, type: length, column: code, min: 2, max: 4 }
  - { id: code_present, type: not_null, column: code }
  - { id: code_unique, type: unique, column: code }
  - { id: at_most_ten, type: row_count, min: 1, max: 10 }
  - { id: amount_positive, type: sql, expression: "amount > 0 OR status = 'new'" }
  - { id: no_big_new_orders, type: sql, query: "SELECT count(*) FROM orders WHERE status = 'new' AND amount > 100" }
  - { id: gx_suite, type: custom, engine: great_expectations, implementation: expect_orders }
sla:
  freshness: { column: updated_at, max_lag_minutes: 60 }
  completeness_pct: 95
`;

export const parseOrThrow = (text: string): Contract => {
  const parsed = parseContract(text, "contract.yaml");
  if (!parsed.ok) throw new Error(parsed.errors.map((e) => `${e.line}:${e.column} ${e.message}`).join("\n"));
  return parsed.contract;
};

/**
 * A contract whose quality rules skip the parser's guards, as a contract stored before a guard
 * existed would: the case the runner's own guard is there for.
 */
export const withUncheckedQuality = (contract: Contract, qualityYaml: string): Contract => {
  const rules = (parseYaml(qualityYaml) ?? []) as Array<Record<string, unknown>>;
  const quality = rules.map((rule) =>
    Array.isArray(rule.values) ? { ...rule, values: rule.values.map(String) } : rule,
  ) as unknown as QualityRule[];
  return { ...contract, quality };
};

/** The validation contract (its length rule is third, after the regex and range rules). */
export const validationContract = (text = VALIDATION_CONTRACT): Contract => parseOrThrow(text);

export type OrderRow = {
  id: number;
  email: string | null;
  status: string | null;
  amount: number | string | null;
  code: string | null;
  updated_at: string | null;
};

const row = (
  id: number,
  email: string | null,
  status: string | null,
  amount: number | string | null,
  code: string | null,
  updated_at: string | null,
): OrderRow => ({ id, email, status, amount, code, updated_at });

/**
 * 12 rows. What each breaks:
 * 3 regex · 4 accepted_values · 5 email unique (a1 again) · 6 range (-5) and sql expression ·
 * 7 range (5000) and length (A) · 8 required status, length (ABCDEFG), completeness ·
 * 9 not_null code, sql query (new, 200) · 10 code unique (AB again), sql expression (0, paid) ·
 * 11 amount NULL: the sql expression is NULL, which passes. 12 rows > row_count max 10.
 * The newest updated_at is 09:00, 180 minutes before NOW.
 */
export const DIRTY_ROWS: OrderRow[] = [
  row(1, "a1@x.io", "new", 10, "AB", "2024-05-01T08:00:00Z"),
  row(2, "a2@x.io", "paid", 20, "ABC", "2024-05-01T08:10:00Z"),
  row(3, "bad-email", "paid", 30, "ABCD", "2024-05-01T08:20:00Z"),
  row(4, "a4@x.io", "lost", 40, "AC", "2024-05-01T08:30:00Z"),
  row(5, "a1@x.io", "paid", 50, "AD", "2024-05-01T08:40:00Z"),
  row(6, null, "shipped", -5, "AE", "2024-05-01T08:50:00Z"),
  row(7, "a7@x.io", "paid", 5000, "A", "2024-05-01T09:00:00Z"),
  row(8, "a8@x.io", null, 80, "ABCDEFG", "2024-05-01T07:00:00Z"),
  row(9, "a9@x.io", "new", 200, null, "2024-05-01T07:10:00Z"),
  row(10, "a10@x.io", "paid", 0, "AB", "2024-05-01T07:20:00Z"),
  row(11, "a11@x.io", "paid", null, "AX", null),
  row(12, "a12@x.io", "paid", 12, "AY", "2024-05-01T07:30:00Z"),
];

/** Rows that keep every promise; the newest is 30 minutes before NOW. */
export const CLEAN_ROWS: OrderRow[] = [
  row(1, "a1@x.io", "new", 10, "AB", "2024-05-01T11:00:00Z"),
  row(2, "a2@x.io", "paid", 20, "ABC", "2024-05-01T11:10:00Z"),
  row(3, "a3@x.io", "shipped", 30, "ABCD", "2024-05-01T11:30:00Z"),
];

export const writeSqlite = (path: string, rows: OrderRow[], { strict = false } = {}): void => {
  const db = new Database(path);
  try {
    db.exec(
      `CREATE TABLE orders (id INTEGER PRIMARY KEY, email TEXT, status TEXT${strict ? " NOT NULL" : ""}, amount INTEGER, code TEXT, updated_at TIMESTAMP)`,
    );
    const insert = db.prepare(
      "INSERT INTO orders (id, email, status, amount, code, updated_at) VALUES (@id, @email, @status, @amount, @code, @updated_at)",
    );
    for (const r of rows) insert.run(r);
  } finally {
    db.close();
  }
};

const csvField = (value: unknown): string => {
  if (value === null || value === undefined) return "";
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

export const writeCsv = (path: string, rows: OrderRow[]): void => {
  const header = "id,email,status,amount,code,updated_at";
  const lines = rows.map((r) =>
    [r.id, r.email, r.status, r.amount, r.code, r.updated_at].map(csvField).join(","),
  );
  writeFileSync(path, `${[header, ...lines].join("\n")}\n`);
};

export const writeJsonl = (path: string, rows: OrderRow[]): void => {
  writeFileSync(path, `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
};

/** Parquet written by DuckDB itself (COPY … TO), from a CSV of the rows. */
export const writeParquet = async (path: string, rows: OrderRow[], scratchDir: string): Promise<void> => {
  const csv = join(scratchDir, `parquet-input-${randomBytes(4).toString("hex")}.csv`);
  writeCsv(csv, rows);
  await csvToParquet(csv, path);
};

/** A Parquet file written by DuckDB itself (COPY … TO) from a CSV file. */
const csvToParquet = async (csv: string, path: string): Promise<void> => {
  const instance = await DuckDBInstance.create(":memory:");
  try {
    const connection = await instance.connect();
    await connection.run(
      `COPY (SELECT * FROM read_csv_auto('${csv.replaceAll("'", "''")}')) TO '${path.replaceAll("'", "''")}' (FORMAT parquet)`,
    );
    connection.closeSync();
  } finally {
    instance.closeSync();
  }
};

export const writePgOrders = async (db: TestPgDatabase, rows: OrderRow[], { strict = false } = {}) => {
  await db.query(
    `CREATE TABLE orders (id bigint PRIMARY KEY, email text, status text${strict ? " NOT NULL" : ""}, amount integer, code varchar(10), updated_at timestamptz)`,
  );
  for (const r of rows) {
    await db.query("INSERT INTO orders VALUES ($1, $2, $3, $4, $5, $6)", [
      r.id,
      r.email,
      r.status,
      r.amount,
      r.code,
      r.updated_at,
    ]);
  }
};

/**
 * Order lines keyed by (order_id, line), written to every kind of source without a declared key:
 * (1, 2) three times and (2, 1) twice, so the composite key repeats 3 times and order_id alone 4;
 * one row has no order_id.
 */
export const LINES_CONTRACT = (primaryKey = "[order_id, line]") => `name: order_lines
version: 1.0.0
owner: "@acme/data-platform"
enforcement: BLOCK
dataset: { type: table, name: order_lines }
schema:
  primary_key: ${primaryKey}
  columns:
    - { name: order_id, type: integer }
    - { name: line, type: integer }
    - { name: sku, type: string }
`;

/** Quality rules for LINES_CONTRACT: two read a column no source has; `early_lines` fails one row (line 3). */
export const GHOST_RULES = `quality:
  - { id: ghost_expression, type: sql, expression: "discount > 0" }
  - { id: ghost_query, type: sql, query: "SELECT count(*) FROM order_lines WHERE discount > 0" }
  - { id: early_lines, type: sql, expression: "line < 3" }
`;

export const LINE_ROWS: Array<[number | null, number, string]> = [
  [1, 1, "a"],
  [1, 2, "b"],
  [1, 2, "c"],
  [1, 2, "d"],
  [2, 1, "e"],
  [2, 1, "f"],
  [null, 3, "g"],
];

const linesCsv = (): string =>
  `order_id,line,sku\n${LINE_ROWS.map((r) => r.map((v) => v ?? "").join(",")).join("\n")}\n`;

/** The order lines as a file of `kind` (SQLite table `order_lines`), at `path`. */
export const writeLines = async (
  kind: "sqlite" | "csv" | "jsonl" | "parquet",
  path: string,
): Promise<void> => {
  if (kind === "csv") return writeFileSync(path, linesCsv());
  if (kind === "jsonl") {
    const json = LINE_ROWS.map(([order_id, line, sku]) => JSON.stringify({ order_id, line, sku }));
    return writeFileSync(path, `${json.join("\n")}\n`);
  }
  if (kind === "sqlite") {
    const db = new Database(path);
    try {
      db.exec("CREATE TABLE order_lines (order_id INTEGER, line INTEGER, sku TEXT)");
      const insert = db.prepare("INSERT INTO order_lines VALUES (?, ?, ?)");
      for (const r of LINE_ROWS) insert.run(...r);
    } finally {
      db.close();
    }
    return;
  }
  writeFileSync(`${path}.csv`, linesCsv());
  await csvToParquet(`${path}.csv`, path);
};

/** The order lines as `public.order_lines` in a PostgreSQL database. */
export const writePgLines = async (db: TestPgDatabase): Promise<void> => {
  await db.query("CREATE TABLE order_lines (order_id bigint, line integer, sku text)");
  for (const r of LINE_ROWS) await db.query("INSERT INTO order_lines VALUES ($1, $2, $3)", r);
};

/**
 * Prices with a char(3) currency, stored where nothing enforces the length (a SQLite TEXT column,
 * files) or where the declared type does (PostgreSQL char(3)); `tax` is optional and absent.
 */
export const PRICES_CONTRACT = `name: prices
version: 1.0.0
owner: "@acme/data-platform"
enforcement: BLOCK
dataset: { type: table, name: prices }
schema:
  columns:
    - { name: id, type: integer, required: true }
    - { name: currency, type: char(3) }
`;

export const PRICES_WITH_TAX = `${PRICES_CONTRACT}    - { name: tax, type: number }\n`;

/** The prices as a file of `kind` (SQLite: `currency TEXT`), with an extra row 'EURO' when `long`. */
export const writePrices = async (
  kind: "sqlite" | "csv" | "jsonl" | "parquet",
  path: string,
  { long = false } = {},
): Promise<void> => {
  const rows: Array<[number, string]> = [
    [1, "EUR"],
    [2, "USD"],
    ...(long ? ([[3, "EURO"]] as Array<[number, string]>) : []),
  ];
  const csv = `id,currency\n${rows.map((r) => r.join(",")).join("\n")}\n`;
  if (kind === "csv") return writeFileSync(path, csv);
  if (kind === "jsonl")
    return writeFileSync(
      path,
      `${rows.map(([id, currency]) => JSON.stringify({ id, currency })).join("\n")}\n`,
    );
  if (kind === "sqlite") {
    const db = new Database(path);
    try {
      db.exec("CREATE TABLE prices (id INTEGER NOT NULL, currency TEXT)");
      const insert = db.prepare("INSERT INTO prices VALUES (?, ?)");
      for (const r of rows) insert.run(...r);
    } finally {
      db.close();
    }
    return;
  }
  writeFileSync(`${path}.csv`, csv);
  await csvToParquet(`${path}.csv`, path);
};

/** `public.prices` with a char(3) currency (PostgreSQL enforces it) and `public.prices_text` with text. */
export const writePgPrices = async (db: TestPgDatabase): Promise<void> => {
  await db.query("CREATE TABLE prices (id integer NOT NULL, currency char(3))");
  await db.query("CREATE TABLE prices_text (id integer NOT NULL, currency text)");
  for (const table of ["prices", "prices_text"])
    await db.query(`INSERT INTO ${table} VALUES (1, 'EUR'), (2, 'USD')`);
};
