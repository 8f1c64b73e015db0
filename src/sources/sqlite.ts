import { type ChildProcess, fork } from "node:child_process";
import type { Socket } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CovenantError } from "../core/errors.ts";
import type { ObservedTable } from "../core/validate/conform.ts";
import { quoteIdentifier } from "../core/validate/plan.ts";
import { assertReadableFile, PARQUET_MAGIC, readHead, SQLITE_MAGIC } from "./location.ts";
import { abortError, queueing } from "./source-util.ts";
import type { SqliteRequest, SqliteResponse, SqliteWireError } from "./sqlite-child.ts";
import type { DataSource, QueryOptions } from "./types.ts";

/**
 * A SQLite file, read-only (`readonly`, `fileMustExist`, `PRAGMA query_only`).
 *
 * Bounding statements: better-sqlite3 is synchronous and exposes neither sqlite3_interrupt nor a
 * progress handler, so a running statement cannot be stopped from JavaScript; on the main thread
 * it would freeze the server for its whole duration. A worker thread is not enough either:
 * terminating it takes effect only when SQLite's C code returns to JavaScript, and the process
 * cannot exit until it does. So the connection lives in a child process, which only ever
 * receives one statement at a time; on timeout or abort it is killed (SIGKILL: the read-only
 * connection leaves nothing to roll back) and the next query forks a fresh one. The server's
 * event loop only ever waits on a message.
 */

// Compiled (dist/), the child is plain JavaScript; from the TypeScript sources, a shim that
// registers tsx in the child first.
const CHILD_ENTRY = fileURLToPath(
  new URL(import.meta.url.endsWith(".ts") ? "./sqlite-child.mjs" : "./sqlite-child.js", import.meta.url),
);

type Pending = {
  sql: string;
  resolve: (rows: Record<string, unknown>[]) => void;
  reject: (error: unknown) => void;
};

type Connection = { child: ChildProcess; pending: Map<number, Pending> };

const wireError = (path: string, sql: string, error: SqliteWireError): CovenantError => {
  const code = error.code ?? "";
  if (code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT") {
    return new CovenantError(
      "invalid_input",
      `${path} is not a readable SQLite database (${error.message}): give a SQLite file, or a file with the extension of its format`,
    );
  }
  if (code === "SQLITE_CANTOPEN" || code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
    return new CovenantError("source_unavailable", `cannot read SQLite database ${path}: ${error.message}`);
  }
  return new CovenantError("unprocessable", `SQLite could not run the query on ${path}: ${error.message}`, [
    { message: sql.length > 500 ? `${sql.slice(0, 500)}…` : sql },
  ]);
};

/** An idle child must not keep the process alive; one running a query must. */
const hold = (child: ChildProcess, busy: boolean) => {
  const channel = child.channel as { ref?: () => void; unref?: () => void } | null | undefined;
  if (busy) {
    child.ref();
    channel?.ref?.();
  } else {
    child.unref();
    channel?.unref?.();
  }
};

const start = (path: string): Promise<Connection> =>
  new Promise((resolveStart, rejectStart) => {
    let stderr = "";
    const child = fork(CHILD_ENTRY, [path], {
      // The parent's flags (test runners, inspectors) are not the child's business.
      execArgv: [],
      serialization: "advanced",
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-2000);
    });
    (child.stderr as Socket | null)?.unref();
    const connection: Connection = { child, pending: new Map() };
    let ready = false;
    child.on("message", (message: SqliteResponse) => {
      if (message.type === "ready") {
        ready = true;
        hold(child, false);
        resolveStart(connection);
      } else if (message.type === "open-failed") {
        rejectStart(wireError(path, "", message.error));
      } else {
        const pending = connection.pending.get(message.id);
        connection.pending.delete(message.id);
        if (connection.pending.size === 0) hold(child, false);
        if (!pending) return;
        if (message.ok) pending.resolve(message.rows);
        else pending.reject(wireError(path, pending.sql, message.error));
      }
    });
    const gone = (why: string) => {
      if (!ready) rejectStart(new CovenantError("source_unavailable", `cannot open ${path}: ${why}`));
      for (const p of connection.pending.values()) {
        p.reject(new CovenantError("source_unavailable", `the SQLite reader of ${path} stopped: ${why}`));
      }
      connection.pending.clear();
    };
    child.on("error", (error) => gone(error.message));
    child.on("exit", (code, signal) => gone(stderr.trim().split("\n").at(-1) || `exit ${signal ?? code}`));
  });

export const openSqliteSource = async (location: string): Promise<DataSource> => {
  const path = resolve(location);
  assertReadableFile(location);
  const head = readHead(location, 16);
  if (!head.equals(SQLITE_MAGIC)) {
    const actually = head.subarray(0, 4).equals(PARQUET_MAGIC)
      ? " (it is a Parquet file: give it a .parquet name)"
      : "";
    throw new CovenantError(
      "invalid_input",
      `${location} is not a SQLite database: it does not start with the "SQLite format 3" signature${actually}`,
    );
  }
  let connection: Connection | undefined = await start(path);
  let nextId = 1;
  const serial = queueing();

  const stop = async () => {
    const c = connection;
    connection = undefined;
    if (c && c.child.exitCode === null && c.child.signalCode === null) c.child.kill("SIGKILL");
  };

  const run = (sql: string, params: readonly unknown[], options: QueryOptions) =>
    serial(async () => {
      options.signal?.throwIfAborted();
      if (!connection) connection = await start(path);
      const c = connection;
      const id = nextId++;
      return await new Promise<Record<string, unknown>[]>((resolveRun, rejectRun) => {
        let timer: NodeJS.Timeout | undefined;
        const onAbort = () => {
          finish();
          void stop();
          rejectRun(abortError(options.signal));
        };
        const finish = () => {
          clearTimeout(timer);
          options.signal?.removeEventListener("abort", onAbort);
          c.pending.delete(id);
        };
        timer = setTimeout(() => {
          finish();
          void stop();
          rejectRun(
            new CovenantError(
              "timeout",
              `a query on ${location} ran past its ${options.timeoutMs} ms timeout and was stopped: raise the timeout or validate fewer rows (sample limit)`,
            ),
          );
        }, options.timeoutMs);
        options.signal?.addEventListener("abort", onAbort, { once: true });
        c.pending.set(id, {
          sql,
          resolve: (rows) => {
            finish();
            resolveRun(rows);
          },
          reject: (error) => {
            finish();
            rejectRun(error);
          },
        });
        hold(c.child, true);
        c.child.send({ id, sql, params: [...params] } satisfies SqliteRequest);
      });
    });

  const introspectionOptions: QueryOptions = { timeoutMs: 30_000 };
  type TableRow = { schema: string; name: string; type: string; wr: number };
  const tables = async (): Promise<TableRow[]> =>
    (await run(
      `SELECT schema, name, type, wr FROM pragma_table_list WHERE type IN ('table', 'view') AND schema <> 'temp' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY schema, name`,
      [],
      introspectionOptions,
    )) as TableRow[];

  /** `main.orders`, `orders` or `"main"."orders"`: SQLite names are case-insensitive. */
  const splitName = (name: string): { schema: string; table: string } => {
    const parts =
      name
        .match(/"(?:[^"]|"")*"|[^.]+/g)
        ?.map((p) => (p.startsWith('"') ? p.slice(1, -1).replaceAll('""', '"') : p.trim())) ?? [];
    if (parts.length === 1) return { schema: "main", table: parts[0] ?? "" };
    return { schema: parts.slice(0, -1).join("."), table: parts.at(-1) ?? "" };
  };

  return {
    kind: "sqlite",
    dialect: "sqlite",
    label: location,
    listTables: async () => (await tables()).map((t) => `${t.schema}.${t.name}`),
    describeTable: async (name?: string): Promise<ObservedTable | undefined> => {
      const all = await tables();
      const wanted = name === undefined ? undefined : splitName(name);
      const found =
        wanted === undefined
          ? all.length === 1
            ? all[0]
            : undefined
          : all.find(
              (t) =>
                t.schema.toLowerCase() === wanted.schema.toLowerCase() &&
                t.name.toLowerCase() === wanted.table.toLowerCase(),
            );
      if (!found) return undefined;
      const columns = (await run(
        `SELECT name, type, "notnull" AS "notnull", pk, hidden FROM pragma_table_xinfo(?, ?) ORDER BY cid`,
        [found.name, found.schema],
        introspectionOptions,
      )) as { name: string; type: string; notnull: number; pk: number; hidden: number }[];
      const visible = columns.filter((c) => c.hidden !== 1);
      const keyed = visible.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
      // An INTEGER PRIMARY KEY is the rowid and WITHOUT ROWID keys are NOT NULL; other SQLite keys admit NULL.
      const rowidAlias = keyed.length === 1 && keyed[0]?.type.toUpperCase() === "INTEGER";
      return {
        name: `${found.schema}.${found.name}`,
        columns: visible.map((c) => ({
          name: c.name,
          type: c.type,
          nullable: c.notnull === 0 && !(c.pk > 0 && (found.wr === 1 || rowidAlias)),
        })),
        ...(found.type === "table" ? { primaryKey: keyed.map((c) => c.name) } : {}),
      };
    },
    tableRef: (name?: string) => {
      const { schema, table } = splitName(name ?? "");
      return `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
    },
    query: run,
    close: stop,
  };
};
