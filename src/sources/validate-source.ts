import { CovenantError, isCovenantError } from "../core/errors.ts";
import type { Contract } from "../core/model/contract.ts";
import { normalizeType, typeSatisfies } from "../core/model/normalize-type.ts";
import {
  type Conformance,
  conformTable,
  type ObservedTable,
  type SchemaDiff,
  toTableSchema,
} from "../core/validate/conform.ts";
import { MAX_SAMPLE_VALUES, notEvaluatedResult, type RuleResult } from "../core/validate/evaluate-rows.ts";
import {
  checkResult,
  guardContractRules,
  missingColumnsReason,
  type PlannedCheck,
  type PlanOptions,
  planValidation,
  quoteIdentifier,
  type SqlText,
} from "../core/validate/plan.ts";
import { type DataSource, DEFAULT_VALIDATE_TIMEOUT_MS } from "./types.ts";

export type LogLevel = "info" | "warn" | "error";

export type ValidateSourceOptions = {
  /** The table to validate; defaults to the contract's dataset name (a file's one table). */
  table?: string;
  /** Judge only the first N rows the source returns. Default: every row. */
  sampleLimit?: number;
  /** Budget for the whole validation, every query included. Default 60 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  log?: (level: LogLevel, message: string) => void;
  /** The time freshness is measured against. Default: now. */
  now?: Date;
};

/** The outcome of validating a live table against a contract. */
export type DataValidationResult = {
  passed: boolean;
  /** ISO 8601. */
  checked_at: string;
  /** The table as the source names it (`public.orders`, `main.orders`, `orders`). */
  table: string;
  /** The source's label, passwords masked. */
  source: string;
  rows_evaluated: number;
  rules_passed: number;
  rules_failed: number;
  rules_not_evaluated: number;
  /** Schema results first, then column promises, quality rules and SLAs, in the contract's order. */
  results: RuleResult[];
  /** The table's schema against the contract, with the engine's score. */
  schema: { score: number; status: "pass" | "warning" | "breaking"; diff: SchemaDiff };
};

export { DEFAULT_VALIDATE_TIMEOUT_MS };

const FILE_KINDS = new Set(["csv", "jsonl", "parquet"]);

const firstValue = (rows: Record<string, unknown>[]): unknown => {
  const row = rows[0];
  return row === undefined ? undefined : Object.values(row)[0];
};

/**
 * Validates the data of one table of a live source against a contract: its schema with the
 * engine's rules, then every column promise, quality rule and SLA compiled to SQL and run in the
 * source (one aggregate scan, then a small sample query per failing rule). Rules refused by the
 * guards fail before anything is sent to the source.
 */
/** Up to five different offending values: five times the same bad value says less than five kinds. */
const distinctValues = (values: unknown[]): unknown[] => {
  const seen = new Map<string, unknown>();
  for (const value of values) {
    const key = JSON.stringify(value);
    if (!seen.has(key)) seen.set(key, value);
    if (seen.size === MAX_SAMPLE_VALUES) break;
  }
  return [...seen.values()];
};

export const validateSource = async (
  contract: Contract,
  source: DataSource,
  options: ValidateSourceOptions = {},
): Promise<DataValidationResult> => {
  const log = options.log ?? (() => undefined);
  const now = options.now ?? new Date();
  const timeoutMs = options.timeoutMs ?? DEFAULT_VALIDATE_TIMEOUT_MS;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new CovenantError(
      "invalid_input",
      `timeout must be a positive number of milliseconds, got ${timeoutMs}`,
    );
  }
  const deadline = Date.now() + timeoutMs;
  const run = async (text: SqlText): Promise<Record<string, unknown>[]> => {
    options.signal?.throwIfAborted();
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new CovenantError(
        "timeout",
        `validating ${source.label} took longer than ${timeoutMs} ms: raise the timeout or validate fewer rows (sample limit)`,
      );
    }
    return source.query(text.sql, text.params, {
      timeoutMs: remaining,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  };

  // Guards first: a refused rule must not wait for (or touch) the source.
  guardContractRules(contract);

  const table = await untypedColumns(
    contract,
    source,
    await findTable(contract, source, options.table, log),
    run,
  );
  log(
    "info",
    `validating ${table.name} of ${source.label} (${table.columns.length} columns) against ${contract.name} ${contract.version}`,
  );

  const conformance = conformTable(
    contract,
    toTableSchema(table, source.dialect === "sqlite" ? "sqlite" : "postgres"),
  );
  const schemaResults: RuleResult[] = conformance.violations.map((v) => ({
    rule_id: `schema:${v.rule}${v.column ? `:${v.column}` : ""}`,
    kind: "schema",
    ...(v.column ? { column: v.column } : {}),
    status: "failed",
    failed_rows: 0,
    message: v.message,
    sample_values: [],
    sample_rows: [],
    rule: v.rule,
  }));

  const planOptions: PlanOptions = {
    dialect: source.dialect,
    table,
    tableRef: source.tableRef(table.name),
    ...(options.sampleLimit !== undefined ? { sampleLimit: options.sampleLimit } : {}),
    now,
  };
  let plan = planValidation(contract, planOptions);
  /** A `sql` rule the source says reads a column the table lacks: not evaluated, the others still run. */
  const unreadable = (check: PlannedCheck, error: unknown): string | undefined => {
    if (check.kind !== "sql" || !isCovenantError(error) || error.code !== "unprocessable") return undefined;
    const column = missingColumnOf(error.message);
    return column === undefined ? undefined : missingColumnsReason(contract, table.name, [column]);
  };
  const blame = (check: PlannedCheck, error: unknown): unknown => {
    if (!isCovenantError(error) || error.code !== "unprocessable") return error;
    return new CovenantError(
      "unprocessable",
      `rule ${check.rule_id} cannot run on ${table.name}: ${error.message}`,
      error.details,
    );
  };

  const unevaluated = new Map<string, string>();
  for (const check of plan.checks) {
    if (!check.probe) continue;
    try {
      await run(check.probe);
    } catch (error) {
      const reason = unreadable(check, error);
      if (reason === undefined) throw blame(check, error);
      unevaluated.set(check.rule_id, reason);
    }
  }
  // Planned again without them, so the scan never reads what is not there.
  if (unevaluated.size > 0) plan = planValidation(contract, { ...planOptions, notEvaluated: unevaluated });

  const scanned = plan.checks.filter((c) => c.slot !== undefined).length;
  log("info", `scanning ${table.name}: ${scanned} check(s) in one aggregate query`);
  const started = Date.now();
  let scanRow: Record<string, unknown>;
  try {
    scanRow = (await run(plan.scan))[0] ?? {};
  } catch (error) {
    if (!isCovenantError(error) || error.code !== "unprocessable") throw error;
    const suspects = plan.checks.filter((c) => c.kind === "sql" || c.kind === "regex").map((c) => c.rule_id);
    throw new CovenantError(
      "unprocessable",
      `the validation scan of ${table.name} failed: ${error.message}${suspects.length > 0 ? ` (check rules ${suspects.join(", ")})` : ""}`,
      error.details,
    );
  }
  const rows = Number(scanRow.n ?? 0);
  log("info", `scanned ${rows} row(s) of ${table.name} in ${Date.now() - started} ms`);

  const results: RuleResult[] = [];
  for (const check of plan.checks) {
    let value: unknown;
    if (check.notEvaluated === undefined) {
      if (check.slot !== undefined) value = scanRow[check.slot];
      else if (check.query) {
        let answer: Record<string, unknown>[];
        try {
          answer = await run(check.query);
        } catch (error) {
          const reason = unreadable(check, error);
          if (reason === undefined) throw blame(check, error);
          log("warn", `${check.rule_id} not evaluated: ${reason}`);
          results.push(notEvaluatedResult(check, reason));
          continue;
        }
        value = firstValue(answer);
        if (
          check.kind === "sql" &&
          (answer.length !== 1 || !Number.isFinite(Number(value)) || value === null)
        ) {
          throw new CovenantError(
            "unprocessable",
            `rule ${check.rule_id}: its query must return one row holding a count, got ${answer.length} row(s)${answer.length > 0 ? ` starting with ${JSON.stringify(value)}` : ""}`,
          );
        }
      }
    }
    const result = checkResult(check, { rows, value });
    if (result.status === "failed" && check.samples && result.sample_values.length === 0) {
      try {
        const sampled = await run(check.samples);
        result.sample_values = check.samplesAreRows
          ? sampled.slice(0, MAX_SAMPLE_VALUES)
          : distinctValues(sampled.map((row) => row.value ?? null));
      } catch (error) {
        if (isCovenantError(error) && error.code === "unprocessable") {
          log("warn", `could not fetch sample values for ${check.rule_id}: ${error.message}`);
        } else throw error;
      }
    }
    if (result.status === "not_evaluated") log("warn", `${result.rule_id} not evaluated: ${result.reason}`);
    results.push(result);
  }

  const all = [...schemaResults, ...results];
  const failed = all.filter((r) => r.status === "failed").length;
  const passedCount = all.filter((r) => r.status === "passed").length;
  return {
    passed: failed === 0,
    checked_at: now.toISOString(),
    table: table.name,
    source: source.label,
    rows_evaluated: rows,
    rules_passed: passedCount,
    rules_failed: failed,
    rules_not_evaluated: all.length - failed - passedCount,
    results: all,
    schema: { score: conformance.score, status: schemaStatus(conformance), diff: conformance.diff },
  };
};

/**
 * The schema's status in a validation: a failed schema result fails the validation (every
 * contract-* rule is an error), so it is `breaking` whatever its score; the score alone would call
 * a low one (a missing optional column, 20) a `warning` beside a failed run.
 */
const schemaStatus = (conformance: Conformance): DataValidationResult["schema"]["status"] =>
  conformance.violations.some((v) => v.severity === "error") ? "breaking" : conformance.status;

/**
 * The table to validate: the one named, else the contract's dataset (falling back to its last
 * part, so a contract for `public.orders` finds `main.orders` in SQLite), else a file's one table.
 */
const findTable = async (
  contract: Contract,
  source: DataSource,
  table: string | undefined,
  log: (level: LogLevel, message: string) => void,
): Promise<ObservedTable> => {
  const isFile = FILE_KINDS.has(source.kind);
  const wanted = table ?? (isFile ? undefined : contract.dataset.name);
  let found = await source.describeTable(wanted);
  if (!found && table === undefined && wanted?.includes(".")) {
    const last = wanted.slice(wanted.lastIndexOf(".") + 1);
    found = await source.describeTable(last);
    if (found) log("info", `${wanted} is not in ${source.label}; validating ${found.name} instead`);
  }
  if (found) return found;
  const known = await source.listTables();
  const shown = known.slice(0, 20).join(", ") + (known.length > 20 ? `, … (${known.length} in all)` : "");
  throw new CovenantError(
    "invalid_input",
    `table ${wanted ?? "(none)"} is not in ${source.label}: ${known.length === 0 ? "the source has no tables" : `it has ${shown}`}; name the table to validate (\`table\` in the API, --table on the command line)`,
  );
};

/** How each engine says a query names a column its table lacks (the name without its table prefix). */
const MISSING_COLUMN = [
  /no such column: "?(?:[^\s".]+\.)?([^\s".]+)"?/, // SQLite
  /column "?(?:[^\s".]+\.)?([^\s".]+)"? does not exist/, // PostgreSQL
  /Referenced column "([^"]+)" not found/, // DuckDB
  /does not have a column named "([^"]+)"/, // DuckDB, a qualified name
];

export const missingColumnOf = (message: string): string | undefined => {
  for (const pattern of MISSING_COLUMN) {
    const name = pattern.exec(message)?.[1];
    if (name !== undefined) return name;
  }
  return undefined;
};

/** DuckDB's type for a CSV or JSON column it saw no value of: text, or JSON. */
const DEFAULT_FILE_FAMILIES = new Set(["string", "json"]);

/**
 * A CSV or JSON lines column holding no value at all (an empty file, or a column always empty)
 * has no type to infer: DuckDB calls it VARCHAR or JSON by default. Such a column is given the
 * unknown type, which the schema checks do not compare, instead of failing the type the contract
 * declares. Only columns that would otherwise be reported are counted, in one query.
 */
const untypedColumns = async (
  contract: Contract,
  source: DataSource,
  table: ObservedTable,
  run: (text: SqlText) => Promise<Record<string, unknown>[]>,
): Promise<ObservedTable> => {
  if (!table.inferredTypes || (source.kind !== "csv" && source.kind !== "jsonl")) return table;
  const declared = new Map(contract.schema.columns.map((c) => [c.name.toLowerCase(), c.type]));
  const suspects = table.columns.filter((column) => {
    const type = declared.get(column.name.toLowerCase());
    if (type === undefined) return false;
    const observed = normalizeType(column.type, "postgres");
    return (
      DEFAULT_FILE_FAMILIES.has(observed.family) &&
      !observed.array &&
      !typeSatisfies(normalizeType(type), { ...observed, familyOnly: true })
    );
  });
  if (suspects.length === 0) return table;
  const counts = suspects.map((c, i) => `count(${quoteIdentifier(c.name)}) AS v${i}`).join(", ");
  const row =
    (await run({ sql: `SELECT ${counts} FROM ${source.tableRef(table.name)}`, params: [] }))[0] ?? {};
  const empty = new Set(suspects.filter((_, i) => Number(row[`v${i}`] ?? 0) === 0).map((c) => c.name));
  if (empty.size === 0) return table;
  return {
    ...table,
    columns: table.columns.map((c) => (empty.has(c.name) ? { ...c, type: "unknown" } : c)),
  };
};
