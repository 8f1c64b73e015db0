import type { ObservedTable } from "../core/validate/conform.ts";
import type { SourceHosts } from "./source-hosts.ts";

/** What a data source is; files are read by an embedded analytical engine (DuckDB). */
export const SOURCE_KINDS = ["sqlite", "postgres", "csv", "jsonl", "parquet"] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** The SQL dialect checks are compiled to for a source. */
export type SourceDialect = "sqlite" | "postgres" | "duckdb";

/**
 * Where the data is: a file path (SQLite, CSV, JSON lines, Parquet) or a `postgresql://` URL.
 * Secrets are resolved before this point (an API-registered source refers to an environment
 * variable); nothing here is ever logged or returned as is: use `redactLocation`.
 */
export type SourceSpec = { kind: SourceKind; location: string; server?: ServerSourceRules };

/** Covenant's own database, which no source may read: its SQLite file, or a PostgreSQL database's identity. */
export type OwnDatabase = { kind: "sqlite"; file: string } | { kind: "postgres"; identity: string };

/**
 * How a source registered on the server is opened (the CLI, run by users on their own machines,
 * opens sources without them): only allowed hosts, never with the server's PG* environment,
 * .pgpass or service files, and never Covenant's own database.
 */
export type ServerSourceRules = {
  hosts: SourceHosts;
  /** Every failure to reach a host answers after this long, so timings tell nothing about ports. */
  connectTimeoutMs: number;
  ownDatabase?: OwnDatabase;
};

export type QueryOptions = {
  /** Statement timeout; the query is cancelled in the source when it runs longer. */
  timeoutMs: number;
  /** Aborts (cancels) the running query, e.g. when a scan is cancelled. */
  signal?: AbortSignal;
};

/** A read-only connection to a data source. */
export interface DataSource {
  readonly kind: SourceKind;
  readonly dialect: SourceDialect;
  /** The location with any password masked, safe for logs and API answers. */
  readonly label: string;
  /** Tables and views the source offers, qualified (`public.orders`); a file offers one. */
  listTables(): Promise<string[]>;
  /** The table's columns and key as the source declares (or infers) them; undefined when absent. */
  describeTable(table?: string): Promise<ObservedTable | undefined>;
  /** A quoted reference to the table for a FROM clause. */
  tableRef(table?: string): string;
  /** Runs one read-only SELECT and returns plain rows (64-bit integers as numbers when safe, else strings). */
  query(sql: string, params: readonly unknown[], options: QueryOptions): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** The time budget of a whole validation against a data source, unless the caller sets one. */
export const DEFAULT_VALIDATE_TIMEOUT_MS = 60_000;
