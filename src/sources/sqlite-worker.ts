import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";

/**
 * One SQLite source's connection, on its own thread: better-sqlite3 is synchronous and a running
 * statement cannot be interrupted from JavaScript, so the source terminates this thread when a
 * query runs past its timeout or is aborted (see sqlite.ts).
 */

export type SqliteWorkerData = { path: string };
export type SqliteRequest = { id: number; sql: string; params: unknown[] };
export type SqliteWireError = { message: string; code?: string };
export type SqliteResponse =
  | { type: "ready" }
  | { type: "open-failed"; error: SqliteWireError }
  | { type: "result"; id: number; ok: true; rows: Record<string, unknown>[] }
  | { type: "result"; id: number; ok: false; error: SqliteWireError };

const port = parentPort;
if (!port) throw new Error("the SQLite source worker runs only as a worker thread");

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

const { path } = workerData as SqliteWorkerData;
let db: Database.Database;
try {
  db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma("query_only = ON");
  // Reading the schema makes a file that is not a database fail here, not on the first query.
  db.prepare("SELECT count(*) FROM sqlite_schema").get();
  const patterns = new Map<string, RegExp>();
  // `x REGEXP p` calls regexp(p, x). Patterns are checked for catastrophic backtracking beforehand.
  db.function("regexp", { deterministic: true }, (pattern: unknown, value: unknown) => {
    if (pattern === null || value === null) return null;
    const source = String(pattern);
    let re = patterns.get(source);
    if (!re) {
      re = new RegExp(source);
      patterns.set(source, re);
    }
    return re.test(String(value)) ? 1 : 0;
  });
} catch (error) {
  port.postMessage({ type: "open-failed", error: toWire(error) } satisfies SqliteResponse);
  process.exit(0);
}

port.on("message", ({ id, sql, params }: SqliteRequest) => {
  let response: SqliteResponse;
  try {
    const statement = db.prepare(sql);
    if (!statement.reader) throw new Error("only statements that return rows can run on a data source");
    statement.safeIntegers(true);
    const rows = (statement.all(...(params as unknown[])) as Record<string, unknown>[]).map((row) => {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(row)) out[key] = plain(value);
      return out;
    });
    response = { type: "result", id, ok: true, rows };
  } catch (error) {
    response = { type: "result", id, ok: false, error: toWire(error) };
  }
  port.postMessage(response);
});
port.postMessage({ type: "ready" } satisfies SqliteResponse);
