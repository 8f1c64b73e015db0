import { CovenantError, isCovenantError } from "../core/errors.ts";
import type { Dialect } from "../core/model/contract-levels.ts";
import { normalizeType } from "../core/model/normalize-type.ts";
import type { ObservedColumn } from "../core/validate/conform.ts";
import {
  type ColumnProfile,
  EMAIL_PATTERN,
  isLowCardinality,
  LOW_CARDINALITY_MAX_DISTINCT,
  suggestContract,
  type TableProfile,
} from "../core/validate/profile.ts";
import type { DataSource, SourceDialect } from "./types.ts";

// The profile of a live table, computed by the source in SQL: one aggregate query for every
// column's counts, then one query per low-cardinality text column for its values. The
// suggestions drawn from it are the core's (suggestContract), the same as for sample rows.

export const DEFAULT_PROFILE_TIMEOUT_MS = 60_000;

export type ProfileSourceOptions = {
  /** The table to profile; a file source has one and needs none. */
  table?: string;
  /** Profile at most this many rows (a LIMIT subquery) instead of the whole table. */
  sampleLimit?: number;
  /** Per query. */
  timeoutMs?: number;
  signal?: AbortSignal;
};

export type InferFromSourceOptions = ProfileSourceOptions & {
  name?: string;
  owner?: string;
  /** The dataset the contract covers (default: the table's name). */
  dataset?: string;
  /** How to name the source in the draft's header (default: its redacted label). */
  label?: string;
};

/** Native types are read as Postgres' in DuckDB (the engine's convention, see toTableSchema). */
export const typeDialect = (dialect: SourceDialect): Dialect => (dialect === "duckdb" ? "postgres" : dialect);

/** All three dialects quote identifiers with double quotes, doubling embedded ones. */
const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`;

const asText = (dialect: SourceDialect, expr: string): string =>
  dialect === "postgres" ? `CAST(${expr} AS text)` : dialect === "duckdb" ? `CAST(${expr} AS VARCHAR)` : expr;

/**
 * The email-like test on a text expression. SQLite has no REGEXP unless an extension defines
 * it: LIKE approximates EMAIL_PATTERN (one `@`, a dot after it, no space).
 */
const emailLike = (dialect: SourceDialect, text: string): string => {
  switch (dialect) {
    case "postgres":
      return `${text} ~ ${literal(EMAIL_PATTERN)}`;
    case "duckdb":
      return `regexp_matches(${text}, ${literal(EMAIL_PATTERN)})`;
    case "sqlite":
      return `(${text} LIKE '%_@_%._%' AND ${text} NOT LIKE '%@%@%' AND ${text} NOT LIKE '%@.%' AND ${text} NOT LIKE '% %' AND instr(${text}, char(9)) = 0 AND instr(${text}, char(10)) = 0)`;
  }
};

type Plan = {
  column: ObservedColumn;
  profile: Pick<ColumnProfile, "name" | "type" | "family">;
  /** Values can be compared (COUNT DISTINCT): not json, arrays, geometric or unknown types. */
  comparable: boolean;
  text: boolean;
  numeric: boolean;
  temporal: boolean;
};

const planColumn = (column: ObservedColumn, dialect: SourceDialect): Plan => {
  const normalized = normalizeType(column.type, typeDialect(dialect));
  const family = column.values ? "string" : normalized.family;
  const scalar = !normalized.array;
  return {
    column,
    profile: { name: column.name, type: column.type, family },
    // SQLite compares anything, whatever the declared type says.
    comparable: scalar && (dialect === "sqlite" || (family !== "json" && family !== "other")),
    text: scalar && family === "string",
    numeric: scalar && (family === "integer" || family === "number"),
    temporal: scalar && (family === "date" || family === "timestamp"),
  };
};

const selectList = (plans: readonly Plan[], dialect: SourceDialect): string => {
  const parts = ["COUNT(*) AS n_rows"];
  plans.forEach((plan, i) => {
    const q = quote(plan.column.name);
    parts.push(`COUNT(${q}) AS c${i}_filled`);
    if (plan.comparable) parts.push(`COUNT(DISTINCT ${q}) AS c${i}_distinct`);
    if (plan.text) {
      const t = asText(dialect, q);
      parts.push(
        `MIN(LENGTH(${t})) AS c${i}_minlen`,
        `MAX(LENGTH(${t})) AS c${i}_maxlen`,
        `COUNT(CASE WHEN ${emailLike(dialect, t)} THEN 1 END) AS c${i}_email`,
      );
    }
    if (plan.numeric) parts.push(`MIN(${q}) AS c${i}_min`, `MAX(${q}) AS c${i}_max`);
    if (plan.temporal)
      parts.push(
        `${asText(dialect, `MIN(${q})`)} AS c${i}_min`,
        `${asText(dialect, `MAX(${q})`)} AS c${i}_max`,
      );
  });
  return parts.join(",\n  ");
};

const toCount = (value: unknown): number => {
  const n = typeof value === "bigint" ? Number(value) : Number(value ?? 0);
  return Number.isFinite(n) ? n : 0;
};

const toBound = (value: unknown, numeric: boolean): number | string | undefined => {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Date) return value.toISOString();
  if (numeric) {
    const n = Number(value);
    if (
      Number.isFinite(n) &&
      (typeof value === "number" || Number.isSafeInteger(n) || !/^-?\d+$/.test(String(value)))
    )
      return n;
  }
  return String(value);
};

const failed = (error: unknown, what: string, label: string): never => {
  if (isCovenantError(error)) throw error;
  throw new CovenantError("unprocessable", `${what} on ${label} failed: ${(error as Error).message}`);
};

/**
 * Profiles a table of a live source: counts, nulls, distinct values, text lengths, number and
 * date ranges, email-like values, and the values of low-cardinality text columns.
 */
export const profileSource = async (
  source: DataSource,
  options: ProfileSourceOptions = {},
): Promise<TableProfile> => {
  const { sampleLimit, signal } = options;
  if (sampleLimit !== undefined && !(Number.isSafeInteger(sampleLimit) && sampleLimit > 0))
    throw new CovenantError(
      "invalid_input",
      `the sample limit must be a positive whole number of rows, got ${sampleLimit}`,
    );
  const queryOptions = {
    timeoutMs: options.timeoutMs ?? DEFAULT_PROFILE_TIMEOUT_MS,
    ...(signal ? { signal } : {}),
  };

  // A source holding a single table needs no name (a file always does; a database may).
  const only = options.table === undefined ? await source.listTables().catch(() => [] as string[]) : [];
  const table = await source.describeTable(options.table ?? (only.length === 1 ? only[0] : undefined));
  if (!table) {
    const known = await source.listTables().catch(() => []);
    throw new CovenantError(
      "invalid_input",
      `${options.table === undefined ? "no table to profile" : `table ${options.table} not found`} in ${source.label}: ${
        known.length > 0
          ? `give one of ${known.slice(0, 20).join(", ")}${known.length > 20 ? ", …" : ""}`
          : "the source has no tables"
      }`,
    );
  }
  if (table.columns.length === 0)
    throw new CovenantError(
      "unprocessable",
      `${table.name} in ${source.label} has no columns: there is nothing to profile`,
    );

  const ref = source.tableRef(table.name);
  const from = sampleLimit === undefined ? `${ref} AS s` : `(SELECT * FROM ${ref} LIMIT ${sampleLimit}) AS s`;
  const plans = table.columns.map((column) => planColumn(column, source.dialect));
  const [row] = await source
    .query(`SELECT\n  ${selectList(plans, source.dialect)}\nFROM ${from}`, [], queryOptions)
    .catch((error: unknown) => failed(error, `profiling ${table.name}`, source.label));
  const rows = toCount(row?.n_rows);

  const profiles = plans.map((plan, i): ColumnProfile => {
    const get = (key: string) => row?.[`c${i}_${key}`];
    const profile: ColumnProfile = {
      ...plan.profile,
      rows,
      nulls: rows - toCount(get("filled")),
      emailLike: plan.text ? toCount(get("email")) : 0,
    };
    if (plan.comparable) profile.distinct = toCount(get("distinct"));
    if (plan.text && get("minlen") !== null && get("minlen") !== undefined) {
      profile.minLength = toCount(get("minlen"));
      profile.maxLength = toCount(get("maxlen"));
    }
    if (plan.numeric || plan.temporal) {
      const min = toBound(get("min"), plan.numeric);
      const max = toBound(get("max"), plan.numeric);
      if (min !== undefined) profile.min = min;
      if (max !== undefined) profile.max = max;
    }
    return profile;
  });

  for (const [i, profile] of profiles.entries()) {
    const plan = plans[i];
    if (!plan?.text || !isLowCardinality(profile)) continue;
    const q = quote(plan.column.name);
    const t = asText(source.dialect, q);
    const values = await source
      .query(
        `SELECT ${t} AS v, COUNT(*) AS n FROM ${from} WHERE ${q} IS NOT NULL GROUP BY ${t} ORDER BY n DESC, v LIMIT ${LOW_CARDINALITY_MAX_DISTINCT}`,
        [],
        queryOptions,
      )
      .catch((error: unknown) =>
        failed(error, `reading the values of ${table.name}.${plan.column.name}`, source.label),
      );
    profile.topValues = values.map((v) => ({ value: String(v.v), count: toCount(v.n) }));
  }
  return { table, profiles };
};

/** A draft contract (YAML) for a table of a live source: profileSource + suggestContract. */
export const inferFromSource = async (
  source: DataSource,
  options: InferFromSourceOptions = {},
): Promise<string> => {
  const { table, profiles } = await profileSource(source, options);
  return suggestContract(table, profiles, {
    ...(options.name ? { name: options.name } : {}),
    ...(options.owner ? { owner: options.owner } : {}),
    dataset: options.dataset ?? table.name,
    source: options.label ?? source.label,
    dialect: typeDialect(source.dialect),
    ...(options.sampleLimit !== undefined ? { sampleLimit: options.sampleLimit } : {}),
  });
};
