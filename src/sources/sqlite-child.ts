import Database from "better-sqlite3";
import { compileRegex } from "../core/validate/regex-safety.ts";

/**
 * One SQLite source's connection, in its own process: better-sqlite3 is synchronous and a running
 * statement cannot be interrupted (no sqlite3_interrupt, no progress handler), and a worker
 * thread cannot be stopped while it is inside SQLite's C code. A process can: the source kills
 * this one when a query runs past its timeout or is aborted (see sqlite.ts).
 */

export type SqliteRequest = { id: number; sql: string; params: unknown[] };
export type SqliteWireError = { message: string; code?: string };
export type SqliteResponse =
  | { type: "ready" }
  | { type: "open-failed"; error: SqliteWireError }
  | { type: "result"; id: number; ok: true; rows: Record<string, unknown>[] }
  | { type: "result"; id: number; ok: false; error: SqliteWireError };

const send = (message: SqliteResponse): void => {
  process.send?.(message);
};

const toWire = (error: unknown): SqliteWireError => ({
  message: error instanceof Error ? error.message : String(error),
  ...(typeof (error as { code?: unknown }).code === "string"
    ? { code: (error as { code: string }).code }
    : {}),
});

/** Plain JSON values: 64-bit integers as numbers when exact, else strings; blobs as `\x…` hex like Postgres. */
const plain = (value: unknown): unknown => {
  if (typeof value === "bigint") {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (Buffer.isBuffer(value)) return `\\x${value.toString("hex")}`;
  return value;
};

const open = (path: string): Database.Database => {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma("query_only = ON");
  // Reading the schema makes a file that is not a database fail here, not on the first query.
  db.prepare("SELECT count(*) FROM sqlite_schema").get();
  const patterns = new Map<string, (value: string) => boolean>();
  // `x REGEXP p` calls regexp(p, x): RE2, as on sample rows, so matching stays linear in the value.
  db.function("regexp", { deterministic: true }, (pattern: unknown, value: unknown) => {
    if (pattern === null || value === null) return null;
    const source = String(pattern);
    let re = patterns.get(source);
    if (!re) {
      re = compileRegex(source);
      patterns.set(source, re);
    }
    return re(String(value)) ? 1 : 0;
  });
  return db;
};

const run = (db: Database.Database, { id, sql, params }: SqliteRequest): SqliteResponse => {
  try {
    const statement = db.prepare(sql);
    if (!statement.reader) throw new Error("only statements that return rows can run on a data source");
    statement.safeIntegers(true);
    const rows = (statement.all(...params) as Record<string, unknown>[]).map((row) => {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(row)) out[key] = plain(value);
      return out;
    });
    return { type: "result", id, ok: true, rows };
  } catch (error) {
    return { type: "result", id, ok: false, error: toWire(error) };
  }
};

const path = process.argv[2] ?? "";
let db: Database.Database | undefined;
try {
  db = open(path);
} catch (error) {
  send({ type: "open-failed", error: toWire(error) });
  process.disconnect?.();
}
if (db) {
  const connection = db;
  process.on("message", (request: SqliteRequest) => send(run(connection, request)));
  // The parent went away: nothing more will be asked.
  process.on("disconnect", () => process.exit(0));
  send({ type: "ready" });
}
