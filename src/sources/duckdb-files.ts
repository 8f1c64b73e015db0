import { basename, extname, resolve } from "node:path";
import { type DuckDBConnection, DuckDBInstance, DuckDBTypeId, type DuckDBValue } from "@duckdb/node-api";
import { CovenantError } from "../core/errors.ts";
import type { ObservedTable } from "../core/validate/conform.ts";
import { quoteIdentifier } from "../core/validate/plan.ts";
import { assertReadableFile, PARQUET_MAGIC, readHead, SQLITE_MAGIC } from "./location.ts";
import { abortError, plainIntegerText, queueing } from "./source-util.ts";
import type { DataSource, QueryOptions } from "./types.ts";

/**
 * CSV, JSON lines and Parquet files, read by an in-memory DuckDB through one view over the file.
 *
 * Once the view exists, DuckDB's access to the outside is locked down: only that file stays
 * readable (`allowed_paths`), every other file system, network and extension access is off
 * (`enable_external_access = false`, no extension auto-install/-load) and the configuration is
 * locked, so no rule can read `/etc/passwd`, write a file or turn access back on.
 */

export type FileKind = "csv" | "jsonl" | "parquet";

const FORMAT_NAMES: Record<FileKind, string> = { csv: "CSV", jsonl: "JSON lines", parquet: "Parquet" };

const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/** Where the first bytes of a text file stop being text: a NUL byte or invalid UTF-8. */
const binaryOffset = (head: Buffer): number | undefined => {
  const nul = head.indexOf(0);
  if (nul >= 0) return nul;
  // A multi-byte character cut by the end of the sample is not an error: drop up to 3 trailing bytes.
  for (let cut = 0; cut <= Math.min(3, head.length); cut++) {
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(head.subarray(0, head.length - cut));
      return undefined;
    } catch {
      // try a shorter sample
    }
  }
  return 0;
};

const checkContent = (path: string, kind: FileKind): void => {
  const head = readHead(path, 64 * 1024);
  const format = FORMAT_NAMES[kind];
  const actually = head.subarray(0, 16).equals(SQLITE_MAGIC)
    ? " (it is a SQLite database: give it a .sqlite or .db name)"
    : head.subarray(0, 4).equals(PARQUET_MAGIC)
      ? " (it is a Parquet file: give it a .parquet name)"
      : "";
  if (kind === "parquet") {
    if (!head.subarray(0, 4).equals(PARQUET_MAGIC)) {
      throw new CovenantError(
        "invalid_input",
        `${path} is not a Parquet file: it does not start with the PAR1 signature${actually}`,
      );
    }
    return;
  }
  const offset = binaryOffset(head);
  if (offset !== undefined) {
    throw new CovenantError(
      "invalid_input",
      `${path} is not ${format} text: it holds binary data (a NUL byte or invalid UTF-8 near byte ${offset})${actually}; a ${format} file must be UTF-8 text`,
    );
  }
};

const reader = (kind: FileKind, path: string): string => {
  switch (kind) {
    case "csv":
      return `read_csv_auto(${literal(path)})`;
    case "jsonl":
      // A `.json` file may be one array of records rather than one record per line.
      return `read_json_auto(${literal(path)}, format = ${extname(path).toLowerCase() === ".json" ? "'auto'" : "'newline_delimited'"})`;
    case "parquet":
      return `read_parquet(${literal(path)})`;
  }
};

/**
 * DuckDB type names the engine's type model does not know, as the Postgres name of their family.
 * File types are compared by family only (inferredTypes), so nothing is lost.
 */
const DUCKDB_TYPE_NAMES: Record<string, string> = {
  HUGEINT: "bigint",
  UHUGEINT: "bigint",
  UBIGINT: "bigint",
  UINTEGER: "bigint",
  USMALLINT: "integer",
  UTINYINT: "smallint",
  BIGNUM: "numeric",
  TIMESTAMP_S: "timestamp",
  TIMESTAMP_MS: "timestamp",
  TIMESTAMP_NS: "timestamp",
};

const INTEGER_TYPES = new Set<number>([
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
]);

/** Rows as plain JSON: DuckDB's JSON form writes 64-bit integers, decimals and timestamps as text; integers that fit become numbers. */
const readRows = async (
  connection: DuckDBConnection,
  sql: string,
  params: readonly unknown[],
): Promise<Record<string, unknown>[]> => {
  const result = await connection.runAndReadAll(sql, params as DuckDBValue[]);
  const integerColumns = result
    .columnNames()
    .filter((_, i) => INTEGER_TYPES.has(result.columnTypes()[i]?.typeId ?? -1));
  const rows = result.getRowObjectsJson() as Record<string, unknown>[];
  if (integerColumns.length > 0) {
    for (const row of rows) {
      for (const name of integerColumns) {
        const value = row[name];
        if (typeof value === "string") row[name] = plainIntegerText(value);
      }
    }
  }
  return rows;
};

export const openFileSource = async (kind: FileKind, location: string): Promise<DataSource> => {
  const path = resolve(location);
  assertReadableFile(location);
  checkContent(location, kind);
  const view = basename(path, extname(path)) || basename(path);
  const format = FORMAT_NAMES[kind];

  const instance = await DuckDBInstance.create(":memory:", {
    autoinstall_known_extensions: "false",
    autoload_known_extensions: "false",
  });
  let connection: DuckDBConnection;
  let columns: ObservedTable["columns"];
  try {
    connection = await instance.connect();
    await connection.run(`CREATE VIEW ${quoteIdentifier(view)} AS SELECT * FROM ${reader(kind, path)}`);
    await connection.run(`SET allowed_paths = [${literal(path)}]`);
    await connection.run("SET enable_external_access = false");
    await connection.run("SET lock_configuration = true");
    // Reading the schema after the lock-down proves the view still reads its file, and only it.
    const described = await readRows(connection, `DESCRIBE ${quoteIdentifier(view)}`, []);
    columns = described.map((row) => ({
      name: String(row.column_name),
      type: DUCKDB_TYPE_NAMES[String(row.column_type)] ?? String(row.column_type),
      // A file declares no NOT NULL: the row checks (column:<name>:required) judge the actual nulls,
      // so the schema part does not flag every required column of every file.
      nullable: false,
    }));
  } catch (error) {
    instance.closeSync();
    if (error instanceof CovenantError) throw error;
    const message = (error as Error).message.split("\n")[0] ?? "";
    throw new CovenantError(
      "invalid_input",
      `cannot read ${location} as ${format}: ${message}: check that the file is ${format} (or rename it after its format)`,
    );
  }

  const serial = queueing();
  let closed = false;
  const matches = (name: string | undefined) => {
    if (name === undefined) return true;
    const n = name
      .trim()
      .replace(/^"(.*)"$/, "$1")
      .toLowerCase();
    return [view, basename(path), `main.${view}`].some((candidate) => candidate.toLowerCase() === n);
  };

  const run = (sql: string, params: readonly unknown[], options: QueryOptions) =>
    serial(async () => {
      options.signal?.throwIfAborted();
      if (closed) throw new CovenantError("source_unavailable", `${location} is closed`);
      let why: "timeout" | "abort" | undefined;
      const timer = setTimeout(() => {
        why = "timeout";
        connection.interrupt();
      }, options.timeoutMs);
      const onAbort = () => {
        why = "abort";
        connection.interrupt();
      };
      options.signal?.addEventListener("abort", onAbort, { once: true });
      try {
        return await readRows(connection, sql, params);
      } catch (error) {
        if (why === "abort") throw abortError(options.signal);
        if (why === "timeout") {
          throw new CovenantError(
            "timeout",
            `a query on ${location} ran past its ${options.timeoutMs} ms timeout and was interrupted: raise the timeout or validate fewer rows (sample limit)`,
          );
        }
        const message = (error as Error).message;
        throw new CovenantError(
          "unprocessable",
          `DuckDB could not run the query on ${location}: ${message}`,
          [{ message: sql.length > 500 ? `${sql.slice(0, 500)}…` : sql }],
        );
      } finally {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
      }
    });

  return {
    kind,
    dialect: "duckdb",
    label: location,
    listTables: async () => [view],
    describeTable: async (name?: string) =>
      matches(name) ? { name: view, columns, inferredTypes: true } : undefined,
    tableRef: () => quoteIdentifier(view),
    query: run,
    close: async () => {
      if (closed) return;
      closed = true;
      await serial(async () => {
        connection.closeSync();
        instance.closeSync();
      }).catch(() => undefined);
    },
  };
};
