import { CovenantError } from "../errors.ts";
import type { Contract } from "../model/contract.ts";
import { normalizeType } from "../model/normalize-type.ts";
import type { NormalizedType, TypeFamily } from "../model/type-family.ts";
import { compileRegex } from "./regex-safety.ts";

/** Sample records, as JSON objects keyed by column name (exact spelling). */
export type Row = Record<string, unknown>;

export const MAX_SAMPLE_VALUES = 5;

export type RuleKind =
  | "required"
  | "type"
  | "accepted_values"
  | "unique"
  | "regex"
  | "not_null"
  | "range"
  | "row_count"
  | "sql"
  | "length"
  | "custom"
  /** `schema.primary_key`: unique and never null, together. */
  | "primary_key"
  /** The table's schema against the contract (the engine's contract-* rules). */
  | "schema"
  /** SLA: the newest row is at most max_lag_minutes old. */
  | "freshness"
  /** SLA: share of rows with every required column filled. */
  | "completeness";

export type RuleResult = {
  /** `column:<name>:<check>` for checks implied by a column, the quality rule's id otherwise. */
  rule_id: string;
  kind: RuleKind;
  column?: string;
  status: "passed" | "failed" | "not_evaluated";
  failed_rows: number;
  message: string;
  /** Why a rule was not evaluated (e.g. SQL expressions need the database). */
  reason?: string;
  /** Up to five offending values (for `unique`, the duplicated values). */
  sample_values: unknown[];
  /** 0-based indexes of up to five offending rows (empty when a database evaluated the rule). */
  sample_rows: number[];
  /** What an SLA measured: `{ max_value, lag_minutes }` for freshness, `{ completeness_pct, … }`. */
  observed?: Record<string, unknown>;
  /** For `schema` results, the engine rule that found it (`contract-column-missing`, …). */
  rule?: string;
};

export type ValidationOutcome = {
  status: "passed" | "failed";
  rows_evaluated: number;
  rules_passed: number;
  rules_failed: number;
  rules_not_evaluated: number;
  results: RuleResult[];
};

const isNull = (value: unknown): boolean => value === null || value === undefined;

const INTEGER_TEXT = /^[+-]?\d+$/;
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP_TEXT = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/;
const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const validDate = (text: string): boolean => {
  const m = DATE_TEXT.exec(text);
  if (!m) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(text);
};

/**
 * Whether a JSON value can be stored in a column of this family. JSON has no 64-bit integers,
 * dates or decimals, so their usual text encodings are accepted too ("42", "2024-05-01", "12.50").
 */
export const valueFitsFamily = (value: unknown, family: TypeFamily): boolean => {
  switch (family) {
    case "string":
      return typeof value === "string";
    case "integer":
      return (
        (typeof value === "number" && Number.isInteger(value)) ||
        (typeof value === "string" && INTEGER_TEXT.test(value))
      );
    case "number":
      return (
        (typeof value === "number" && Number.isFinite(value)) ||
        (typeof value === "string" && NUMBER_TEXT.test(value))
      );
    case "boolean":
      return typeof value === "boolean";
    case "date":
      return typeof value === "string" && validDate(value);
    case "timestamp":
      return (
        typeof value === "string" &&
        TIMESTAMP_TEXT.test(value) &&
        !Number.isNaN(Date.parse(value.replace(" ", "T")))
      );
    case "uuid":
      return typeof value === "string" && UUID_TEXT.test(value);
    case "binary":
      return typeof value === "string";
    case "json":
    case "other":
      return true;
  }
};

/**
 * Whether a JSON value keeps a contract type: its family, and for a string type with a length
 * (`char(3)`, `varchar(255)`) at most that many characters (code points, as databases count).
 */
export const valueFitsType = (value: unknown, type: NormalizedType): boolean => {
  if (type.array) return Array.isArray(value);
  if (!valueFitsFamily(value, type.family)) return false;
  return !(type.family === "string" && type.length !== undefined && [...String(value)].length > type.length);
};

/** How a type rule's message names what a value should be: `a string of at most 3 characters`. */
export const typeDescription = (family: TypeFamily, length: number | undefined, array = false): string =>
  array ? "an array" : length === undefined ? `a ${family}` : `a ${family} of at most ${length} characters`;

type Check = {
  rule_id: string;
  kind: RuleKind;
  column?: string;
  /** Per-row predicate; true when the row passes. */
  test?: (value: unknown, row: Row) => boolean;
  /** Whole-set check, for uniqueness and row counts. */
  evaluate?: (rows: readonly Row[]) => Omit<RuleResult, "rule_id" | "kind" | "column" | "status">;
  passMessage: string;
  failMessage: (failed: number) => string;
  notEvaluated?: string;
};

/** Equal values, by type: 1 and "1" are different values. */
const valueKey = (value: unknown): string =>
  typeof value === "object" ? JSON.stringify(value) : `${typeof value}:${String(value)}`;

/** How many rows failed, and the first few of them: their indexes and what each shows. */
type Tally = { failed: number; sampleValues: unknown[]; sampleRows: number[] };

/** The rows `fails` picks, each sampled as `sample` shows it. */
const failingRows = (
  rows: readonly Row[],
  fails: (row: Row) => boolean,
  sample: (row: Row) => unknown,
): Tally => {
  const tally: Tally = { failed: 0, sampleValues: [], sampleRows: [] };
  rows.forEach((row, index) => {
    if (!fails(row)) return;
    tally.failed++;
    if (tally.sampleRows.length < MAX_SAMPLE_VALUES) {
      tally.sampleRows.push(index);
      tally.sampleValues.push(sample(row));
    }
  });
  return tally;
};

/**
 * The rows repeating an earlier row's identity (`identify` answers undefined for a row that is
 * not compared): every repeat fails; a repeated identity is sampled once, as `sample` shows it.
 */
const repeatedRows = (
  rows: readonly Row[],
  identify: (row: Row) => string | undefined,
  sample: (row: Row) => unknown,
): Tally => {
  const seen = new Map<string, number>();
  const tally: Tally = { failed: 0, sampleValues: [], sampleRows: [] };
  rows.forEach((row, index) => {
    const id = identify(row);
    if (id === undefined) return;
    const count = seen.get(id) ?? 0;
    seen.set(id, count + 1);
    if (count === 0) return;
    tally.failed++;
    if (tally.sampleRows.length < MAX_SAMPLE_VALUES) tally.sampleRows.push(index);
    if (count === 1 && tally.sampleValues.length < MAX_SAMPLE_VALUES) tally.sampleValues.push(sample(row));
  });
  return tally;
};

/** A whole-set check's result: its tally, and the message for it. */
const evaluated = (
  { failed, sampleValues, sampleRows }: Tally,
  pass: string,
  fail: (n: number) => string,
) => ({
  failed_rows: failed,
  sample_values: sampleValues,
  sample_rows: sampleRows,
  message: failed === 0 ? pass : fail(failed),
});

const uniqueCheck = (column: string) => (rows: readonly Row[]) =>
  evaluated(
    repeatedRows(
      rows,
      (row) => (isNull(row[column]) ? undefined : valueKey(row[column])),
      (row) => row[column],
    ),
    `${column} values are unique`,
    (n) => `${n} row(s) repeat a value of ${column}`,
  );

const columnChecks = (contract: Contract): Check[] =>
  contract.schema.columns.flatMap((col): Check[] => {
    const checks: Check[] = [];
    const name = col.name;
    if (col.required) {
      checks.push({
        rule_id: `column:${name}:required`,
        kind: "required",
        column: name,
        test: (value) => !isNull(value),
        passMessage: `${name} is never null`,
        failMessage: (n) => `${n} row(s) have no value for required column ${name}`,
      });
    }
    const type = normalizeType(col.type);
    if (type.family !== "other" && type.family !== "json") {
      const family = type.family;
      checks.push({
        rule_id: `column:${name}:type`,
        kind: "type",
        column: name,
        test: (value) => isNull(value) || valueFitsType(value, type),
        passMessage: `${name} values are ${col.type}`,
        failMessage: (n) =>
          `${n} row(s) have a ${name} value that is not ${typeDescription(family, family === "string" ? type.length : undefined, type.array)} (${col.type})`,
      });
    }
    if (col.accepted_values) {
      const allowed = new Set(col.accepted_values);
      checks.push({
        rule_id: `column:${name}:accepted_values`,
        kind: "accepted_values",
        column: name,
        test: (value) => isNull(value) || allowed.has(String(value)),
        passMessage: `${name} values are all accepted`,
        failMessage: (n) => `${n} row(s) have a ${name} value outside ${col.accepted_values?.join(", ")}`,
      });
    }
    if (col.unique) {
      checks.push({
        rule_id: `column:${name}:unique`,
        kind: "unique",
        column: name,
        evaluate: uniqueCheck(name),
        passMessage: `${name} values are unique`,
        failMessage: (n) => `${n} row(s) repeat a value of ${name}`,
      });
    }
    return checks;
  });

/** The key of a row as samples show it: the value for a one-column key, else `{ column: value }`. */
export const keySample = (key: readonly string[], row: Row): unknown =>
  key.length === 1
    ? (row[key[0] as string] ?? null)
    : Object.fromEntries(key.map((k) => [k, row[k] ?? null]));

/** `(id)`, `(order_id, line)`: how messages name a key. */
export const keyLabel = (key: readonly string[]): string => `(${key.join(", ")})`;

/**
 * What `schema.primary_key` promises, as two rules: every row has the whole key
 * (`primary_key:not_null`), and no two rows have the same one (`primary_key:unique`; as in SQL,
 * a row missing part of its key is counted by the first rule, not compared here).
 */
export const PRIMARY_KEY_RULES = {
  notNull: "primary_key:not_null",
  unique: "primary_key:unique",
} as const;

export const primaryKeyMessages = (key: readonly string[]) => {
  const label = keyLabel(key);
  return {
    notNullPass: `every row has its primary key ${label}`,
    notNullFail: (n: number) =>
      key.length === 1
        ? `${n} row(s) have no primary key ${label}`
        : `${n} row(s) lack part of the primary key ${label}`,
    uniquePass: `primary key ${label} values are unique`,
    uniqueFail: (n: number) => `${n} row(s) repeat the primary key ${label} of another row`,
  };
};

const primaryKeyChecks = (contract: Contract): Check[] => {
  const key = contract.schema.primary_key ?? [];
  if (key.length === 0) return [];
  const messages = primaryKeyMessages(key);
  const base = { kind: "primary_key" as const, ...(key.length === 1 ? { column: key[0] as string } : {}) };
  const whole = (row: Row) => key.every((k) => !isNull(row[k]));
  return [
    {
      ...base,
      rule_id: PRIMARY_KEY_RULES.notNull,
      evaluate: (rows) =>
        evaluated(
          failingRows(
            rows,
            (row) => !whole(row),
            (row) => keySample(key, row),
          ),
          messages.notNullPass,
          messages.notNullFail,
        ),
      passMessage: messages.notNullPass,
      failMessage: messages.notNullFail,
    },
    {
      ...base,
      rule_id: PRIMARY_KEY_RULES.unique,
      evaluate: (rows) =>
        evaluated(
          repeatedRows(
            rows,
            // As in SQL, a row missing part of its key is not compared (the first rule counts it).
            (row) => (whole(row) ? JSON.stringify(key.map((k) => valueKey(row[k]))) : undefined),
            (row) => keySample(key, row),
          ),
          messages.uniquePass,
          messages.uniqueFail,
        ),
      passMessage: messages.uniquePass,
      failMessage: messages.uniqueFail,
    },
  ];
};

const qualityChecks = (contract: Contract): Check[] =>
  (contract.quality ?? []).map((rule): Check => {
    const column = rule.column ?? "";
    const base = { rule_id: rule.id, kind: rule.type as RuleKind, ...(rule.column ? { column } : {}) };
    switch (rule.type) {
      case "regex": {
        const matches = compileRegex(rule.pattern ?? "");
        return {
          ...base,
          test: (value) => isNull(value) || matches(String(value)),
          passMessage: `${column} values match ${rule.pattern}`,
          failMessage: (n) => `${n} row(s) have a ${column} value not matching ${rule.pattern}`,
        };
      }
      case "not_null":
        return {
          ...base,
          test: (value) => !isNull(value),
          passMessage: `${column} is never null`,
          failMessage: (n) => `${n} row(s) have a null ${column}`,
        };
      case "unique":
        return {
          ...base,
          evaluate: uniqueCheck(column),
          passMessage: `${column} values are unique`,
          failMessage: (n) => `${n} row(s) repeat a value of ${column}`,
        };
      case "accepted_values": {
        const allowed = new Set(rule.values ?? []);
        return {
          ...base,
          test: (value) => isNull(value) || allowed.has(String(value)),
          passMessage: `${column} values are all accepted`,
          failMessage: (n) => `${n} row(s) have a ${column} value outside ${rule.values?.join(", ")}`,
        };
      }
      case "range":
        return {
          ...base,
          test: (value) => {
            if (isNull(value)) return true;
            const n = typeof value === "number" ? value : Number(value);
            if (!Number.isFinite(n)) return false;
            return (rule.min === undefined || n >= rule.min) && (rule.max === undefined || n <= rule.max);
          },
          passMessage: `${column} values are within [${rule.min ?? "-inf"}, ${rule.max ?? "+inf"}]`,
          failMessage: (n) =>
            `${n} row(s) have a ${column} value outside [${rule.min ?? "-inf"}, ${rule.max ?? "+inf"}]`,
        };
      case "length": {
        const bounds = `[${rule.min ?? 0}, ${rule.max ?? "+inf"}]`;
        return {
          ...base,
          test: (value) => {
            if (isNull(value)) return true;
            // Characters as the databases count them (char_length / length): code points.
            const n = [...(typeof value === "object" ? JSON.stringify(value) : String(value))].length;
            return (rule.min === undefined || n >= rule.min) && (rule.max === undefined || n <= rule.max);
          },
          passMessage: `${column} values have a length within ${bounds}`,
          failMessage: (n) => `${n} row(s) have a ${column} value whose length is outside ${bounds}`,
        };
      }
      case "row_count":
        return {
          ...base,
          evaluate: (rows) => {
            const ok =
              (rule.min === undefined || rows.length >= rule.min) &&
              (rule.max === undefined || rows.length <= rule.max);
            return {
              failed_rows: ok ? 0 : rows.length,
              sample_values: ok ? [] : [rows.length],
              sample_rows: [],
              message: ok
                ? `${rows.length} rows, within [${rule.min ?? 0}, ${rule.max ?? "+inf"}]`
                : `${rows.length} rows, outside [${rule.min ?? 0}, ${rule.max ?? "+inf"}] (counted on the sample sent)`,
            };
          },
          passMessage: "row count within bounds",
          failMessage: () => "row count outside bounds",
        };
      case "sql":
        return {
          ...base,
          passMessage: "",
          failMessage: () => "",
          notEvaluated: `SQL expressions are evaluated by the database, not on sample rows: ${rule.expression ?? rule.query}`,
        };
      default:
        return {
          ...base,
          passMessage: "",
          failMessage: () => "",
          notEvaluated: `custom rules run in their own engine (${rule.engine ?? "unspecified"})`,
        };
    }
  });

/** How a result names its rule: id, kind, and the column when there is one. */
export const resultHead = (check: { rule_id: string; kind: RuleKind; column?: string }) => ({
  rule_id: check.rule_id,
  kind: check.kind,
  ...(check.column !== undefined ? { column: check.column } : {}),
});

/** The result of a rule that is not evaluated, with the reason. */
export const notEvaluatedResult = (
  check: { rule_id: string; kind: RuleKind; column?: string },
  reason: string,
): RuleResult => ({
  ...resultHead(check),
  status: "not_evaluated",
  failed_rows: 0,
  message: "not evaluated",
  reason,
  sample_values: [],
  sample_rows: [],
});

const runCheck = (check: Check, rows: readonly Row[]): RuleResult => {
  const head = resultHead(check);
  if (check.notEvaluated !== undefined) return notEvaluatedResult(check, check.notEvaluated);
  if (check.evaluate) {
    const r = check.evaluate(rows);
    return { ...head, status: r.failed_rows === 0 ? "passed" : "failed", ...r };
  }
  const test = check.test ?? (() => true);
  const value = (row: Row) => (check.column ? row[check.column] : undefined);
  const { failed, sampleValues, sampleRows } = failingRows(
    rows,
    (row) => !test(value(row), row),
    (row) => value(row) ?? null,
  );
  return {
    ...head,
    status: failed === 0 ? "passed" : "failed",
    failed_rows: failed,
    message: failed === 0 ? check.passMessage : check.failMessage(failed),
    sample_values: sampleValues,
    sample_rows: sampleRows,
  };
};

/**
 * Characters of sample values the regex rules of one evaluation may read (a value counts once per
 * rule that reads it). RE2 reads about 30 MB/s and a few MB/s on the worst patterns, on the
 * request's thread: this keeps one request under a few seconds, whatever its patterns.
 */
export const MAX_REGEX_CHARACTERS = 4_000_000;

const refuseCostlyRegexWork = (contract: Contract, rows: readonly Row[]): void => {
  let total = 0;
  for (const rule of contract.quality ?? []) {
    if (rule.type !== "regex" || rule.column === undefined) continue;
    for (const row of rows) {
      const value = row[rule.column];
      if (!isNull(value)) total += String(value).length;
    }
  }
  if (total > MAX_REGEX_CHARACTERS) {
    throw new CovenantError(
      "payload_too_large",
      `The rows hold ${total} characters for the contract's regex rules to read (each value once per rule on its column), more than the ${MAX_REGEX_CHARACTERS} one request may: send fewer or shorter rows, or validate a registered data source instead.`,
    );
  }
};

/**
 * Checks sample records against a contract: what each column promises (required -> not null,
 * the type's family, accepted values, uniqueness; PII is a classification, not a check), the
 * primary key (whole and unique) and the quality rules that can be judged on rows. SQL and custom
 * rules need the database and are reported as not evaluated, with the reason.
 */
export const evaluateRows = (contract: Contract, rows: readonly Row[]): ValidationOutcome => {
  refuseCostlyRegexWork(contract, rows);
  const results = [...columnChecks(contract), ...primaryKeyChecks(contract), ...qualityChecks(contract)].map(
    (check) => runCheck(check, rows),
  );
  const failed = results.filter((r) => r.status === "failed").length;
  const passed = results.filter((r) => r.status === "passed").length;
  return {
    status: failed > 0 ? "failed" : "passed",
    rows_evaluated: rows.length,
    rules_passed: passed,
    rules_failed: failed,
    rules_not_evaluated: results.length - failed - passed,
    results,
  };
};

/** Stable violation rule id for a failed data check: `data-not-null`, `data-accepted-values`… */
export const dataRuleId = (kind: RuleKind): string => `data-${kind.replaceAll("_", "-")}`;
