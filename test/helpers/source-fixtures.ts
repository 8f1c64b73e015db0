// Real data sources for tests: a directory standing for SOURCE_FILES_ROOT with a SQLite file, a
// CSV, junk, and a symlink out of it; and PostgreSQL databases holding the orders table.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { createPgDatabase, type TestPgDatabase } from "./pg-database.ts";

export const ORDERS_CONTRACT = `name: orders
version: 1.0.0
owner: "@acme/data-platform"
enforcement: BLOCK
dataset: { type: table, name: orders }
schema:
  primary_key: [id]
  columns:
    - { name: id, type: integer, required: true, unique: true }
    - { name: email, type: string }
    - { name: status, type: string, required: true, accepted_values: [new, paid, shipped] }
    - { name: amount_cents, type: integer }
quality:
  - { id: email_format, type: regex, column: email, pattern: '^[^@]+@[^@]+$' }
  - { id: non_negative, type: sql, expression: "amount_cents >= 0" }
`;

/** Two offending rows: a bad email and a status outside the accepted values. */
export const BROKEN_ORDERS: Array<[number, string | null, string, number]> = [
  [1, "a@example.com", "new", 100],
  [2, "broken", "paid", 250],
  [3, "c@example.com", "lost", 0],
  [4, null, "shipped", 10],
];

export const CLEAN_ORDERS: Array<[number, string | null, string, number]> = [
  [1, "a@example.com", "new", 100],
  [2, "b@example.com", "paid", 250],
  [3, "c@example.com", "shipped", 0],
  [4, null, "shipped", 10],
];

export const writeSqliteOrders = (path: string, rows: typeof BROKEN_ORDERS): void => {
  const db = new Database(path);
  try {
    db.exec(
      "DROP TABLE IF EXISTS orders; CREATE TABLE orders (id INTEGER PRIMARY KEY, email TEXT, status TEXT NOT NULL, amount_cents INTEGER)",
    );
    const insert = db.prepare("INSERT INTO orders VALUES (?, ?, ?, ?)");
    for (const row of rows) insert.run(...row);
  } finally {
    db.close();
  }
};

export type SourceFiles = { root: string; outside: string; cleanup: () => void };

/** A files root holding shop.db, orders.csv, junk.csv and escape.db (a symlink to a file outside). */
export const makeSourceFiles = (): SourceFiles => {
  const base = mkdtempSync(join(tmpdir(), "covenant-sources-"));
  const root = join(base, "sources");
  const outside = join(base, "outside");
  mkdirSync(root);
  mkdirSync(outside);
  writeSqliteOrders(join(root, "shop.db"), BROKEN_ORDERS);
  writeSqliteOrders(join(outside, "secret.db"), CLEAN_ORDERS);
  symlinkSync(join(outside, "secret.db"), join(root, "escape.db"));
  writeFileSync(
    join(root, "orders.csv"),
    "id,email,status,amount_cents\n1,a@example.com,new,100\n2,b@example.com,paid,250\n",
  );
  // Binary junk under a CSV name: bytes that are not text at all.
  writeFileSync(join(root, "junk.csv"), randomBytes(4096));
  return { root, outside, cleanup: () => rmSync(base, { recursive: true, force: true }) };
};

/** A fresh PostgreSQL database with `public.orders`, filled with `rows` (plus `extraRows` generated ones). */
export const makePgSource = async (
  rows: typeof BROKEN_ORDERS,
  { extraRows = 0 }: { extraRows?: number } = {},
): Promise<TestPgDatabase> => {
  const source = await createPgDatabase("covenant_src");
  await source.query(
    "CREATE TABLE orders (id bigint PRIMARY KEY, email text, status text NOT NULL, amount_cents integer)",
  );
  for (const row of rows) await source.query("INSERT INTO orders VALUES ($1, $2, $3, $4)", row);
  if (extraRows > 0) {
    await source.query(
      `INSERT INTO orders SELECT g, 'user' || g || '@example.com', 'paid', g % 1000 FROM generate_series(1000, ${999 + extraRows}) g`,
    );
  }
  return source;
};
