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

export type SourceFiles = {
  root: string;
  outside: string;
  /** Fills SOURCE_FILES_ROOT/<installation id>/ with the fixtures; answers that directory. */
  forInstallation: (installationId: string) => string;
  cleanup: () => void;
};

/** shop.db, orders.csv, junk.csv and escape.db (a symlink to `secret`, a file outside) in `dir`. */
const writeFixtures = (dir: string, secret: string): void => {
  mkdirSync(dir, { recursive: true });
  writeSqliteOrders(join(dir, "shop.db"), BROKEN_ORDERS);
  symlinkSync(secret, join(dir, "escape.db"));
  writeFileSync(
    join(dir, "orders.csv"),
    "id,email,status,amount_cents\n1,a@example.com,new,100\n2,b@example.com,paid,250\n",
  );
  // Binary junk under a CSV name: bytes that are not text at all.
  writeFileSync(join(dir, "junk.csv"), randomBytes(4096));
};

/**
 * A files root (SOURCE_FILES_ROOT) whose installations' directories hold shop.db, orders.csv,
 * junk.csv and escape.db (a symlink to a file outside); the root itself holds the same files, as
 * a server from before files belonged to installations did.
 */
export const makeSourceFiles = (): SourceFiles => {
  const base = mkdtempSync(join(tmpdir(), "covenant-sources-"));
  const root = join(base, "sources");
  const outside = join(base, "outside");
  mkdirSync(outside);
  writeSqliteOrders(join(outside, "secret.db"), CLEAN_ORDERS);
  writeFixtures(root, join(outside, "secret.db"));
  return {
    root,
    outside,
    forInstallation: (installationId) => {
      const dir = join(root, installationId);
      writeFixtures(dir, join(outside, "secret.db"));
      return dir;
    },
    cleanup: () => rmSync(base, { recursive: true, force: true }),
  };
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
