import { CovenantError } from "../errors.ts";
import type { Contract, ContractColumn, QualityRule } from "../model/contract.ts";
import { normalizeType } from "../model/normalize-type.ts";
import type { TypeFamily } from "../model/type-family.ts";
import { type ObservedColumn, type ObservedTable, observedTypeKeeping } from "./conform.ts";
import {
  MAX_SAMPLE_VALUES,
  notEvaluatedResult,
  PRIMARY_KEY_RULES,
  primaryKeyMessages,
  type RuleKind,
  type RuleResult,
  resultHead,
  typeDescription,
} from "./evaluate-rows.ts";
import { checkRegexSafety } from "./regex-safety.ts";
import { checkSqlExpression, checkSqlQuery, type RelationRef } from "./sql-guard.ts";

/**
 * Compiles a contract's checks to SQL run inside the data source: one aggregate scan counts the
 * failing rows of every rule at once, then a small query per failing rule fetches samples.
 * Pure: the runner (src/sources/validate-source.ts) executes what this returns.
 */

export type PlanDialect = "sqlite" | "postgres" | "duckdb";

/** SQL text with its positional parameters (`$1…` for Postgres and DuckDB, `?` for SQLite). */
export type SqlText = { sql: string; params: unknown[] };

export type PlanOptions = {
  dialect: PlanDialect;
  table: ObservedTable;
  /** The quoted table reference for FROM (`"public"."orders"`). */
  tableRef: string;
  /** Judge only the first N rows the source returns (no order is imposed). */
  sampleLimit?: number;
  now: Date;
  /** Quality rules the source showed cannot run on this table (a column it lacks), with the reason. */
  notEvaluated?: ReadonlyMap<string, string>;
};

/** What a check measured: the rows evaluated and its figure (a failing count, a max value). */
export type Figure = { rows: number; value: unknown };

export type Judgement = {
  failed_rows: number;
  failed: boolean;
  message: string;
  observed?: Record<string, unknown>;
  /** Samples known without a query (a row count, the newest value). */
  sample_values?: unknown[];
};

export type PlannedCheck = {
  rule_id: string;
  kind: RuleKind;
  column?: string;
  /** Decided without running anything: why the rule cannot be evaluated. */
  notEvaluated?: string;
  /** Alias of the scan's output column carrying this check's figure. */
  slot?: string;
  /** A query of its own; its figure is the first value of its first row. */
  query?: SqlText;
  /** Compiles the rule's own SQL against the table without reading rows, so a rejection names the rule. */
  probe?: SqlText;
  /** For a failing check: up to five offending values (column `value`) or rows (`samplesAreRows`). */
  samples?: SqlText;
  samplesAreRows?: boolean;
  judge: (figure: Figure) => Judgement;
};

export type ValidationPlan = {
  /** The one aggregate scan; its row carries `n` (rows evaluated) and each check's slot. */
  scan: SqlText;
  checks: PlannedCheck[];
};

/** A rule's SQL or pattern once its guard accepted it, with the columns an expression reads. */
export type GuardedRule = { text: string; columns: string[] };

/** The rules' SQL and patterns once the guards accepted them, by rule id. */
export type GuardedRules = Map<string, GuardedRule>;

/**
 * Runs every SQL expression, SQL query and regular expression of the contract through its guard,
 * before anything is sent to a source. A refused rule is bad input, named by its id.
 */
export const guardContractRules = (contract: Contract): GuardedRules => {
  const guarded: GuardedRules = new Map();
  (contract.quality ?? []).forEach((rule, index) => {
    const refuse = (field: string, message: string): never => {
      throw new CovenantError(
        "invalid_input",
        `quality rule "${rule.id}" (quality[${index}].${field}) was refused before running: ${message}`,
        [{ path: `quality[${index}].${field}`, message }],
      );
    };
    if (rule.type === "regex" && rule.pattern !== undefined) {
      const verdict = checkRegexSafety(rule.pattern);
      if (!verdict.ok) refuse("pattern", verdict.message);
      guarded.set(rule.id, { text: rule.pattern, columns: [] });
    }
    if (rule.type === "sql") {
      if (rule.expression !== undefined) {
        const verdict = checkSqlExpression(rule.expression);
        // The guard proved the text is one balanced expression (no ';', comment or unmatched
        // parenthesis), so embedding it as `NOT (<expression>)` cannot step out of the wrapping.
        if (!verdict.ok) refuse("expression", verdict.message);
        else guarded.set(rule.id, { text: verdict.sql, columns: verdict.columns });
      } else if (rule.query !== undefined) {
        const verdict = checkSqlQuery(rule.query, { dataset: contract.dataset.name });
        if (!verdict.ok) refuse("query", verdict.message);
        else guarded.set(rule.id, { text: scopeQuery(verdict), columns: [] });
      }
    }
  });
  return guarded;
};

/** The dataset as a query rule reads it: the table, or its first rows under a sample limit. */
const DATASET_ROWS = "covenant_dataset";
const DATASET_ROWS_MARK = "\u0000covenant_dataset_rows\u0000";

/**
 * A query rule with every mention of the dataset replaced by DATASET_ROWS, defined in front of it
 * by a WITH whose body (the table, sampled or not) the planner fills in, so a query reads
 * exactly the rows the other rules read, from the table the source resolved.
 */
const scopeQuery = (verdict: { sql: string; relations?: RelationRef[] }): string => {
  let sql = verdict.sql;
  for (const r of [...(verdict.relations ?? [])].sort((a, b) => b.start - a.start)) {
    const replacement = r.aliased ? DATASET_ROWS : `${DATASET_ROWS} AS ${quoteIdentifier(r.name)}`;
    sql = `${sql.slice(0, r.start)}${replacement}${sql.slice(r.end)}`;
  }
  const head = `${DATASET_ROWS} AS (${DATASET_ROWS_MARK})`;
  return /^with\s/i.test(sql) ? `WITH ${head}, ${sql.replace(/^with\s+/i, "")}` : `WITH ${head} ${sql}`;
};

/** How many offending values are read to find five different ones. */
const VALUE_SAMPLE_ROWS = 200;

export const quoteIdentifier = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** Collects positional parameters for one statement. */
type Binder = (value: unknown) => string;
const binder = (dialect: PlanDialect): { bind: Binder; params: unknown[] } => {
  const params: unknown[] = [];
  return {
    params,
    bind: (value) => {
      params.push(value);
      return dialect === "sqlite" ? "?" : `$${params.length}`;
    },
  };
};

/** A number written into SQL: contract bounds are finite numbers (zod), never text. */
const num = (n: number): string => {
  if (!Number.isFinite(n)) throw new CovenantError("invalid_input", `${n} is not a finite number`);
  return `(${String(n)})`;
};

const TEXT_TYPE: Record<PlanDialect, string> = { postgres: "text", duckdb: "VARCHAR", sqlite: "TEXT" };
const NUMERIC_TEXT = "^\\s*[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?\\s*$";
const UUID_TEXT = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

const asText = (dialect: PlanDialect, col: string): string => `CAST(${col} AS ${TEXT_TYPE[dialect]})`;

const regexMatch = (dialect: PlanDialect, text: string, pattern: string): string => {
  switch (dialect) {
    case "postgres":
      return `(${text} ~ ${pattern})`;
    case "duckdb":
      return `regexp_matches(${text}, ${pattern})`;
    case "sqlite":
      // REGEXP is the JavaScript function the SQLite source registers (patterns are checked beforehand).
      return `(${text} REGEXP ${pattern})`;
  }
};

const observedFamily = (dialect: PlanDialect, column: ObservedColumn): TypeFamily =>
  normalizeType(column.type, dialect === "sqlite" ? "sqlite" : "postgres").family;

/** The column as a number, NULL when its value is not numeric (such values fail a range rule). */
const numericValue = (dialect: PlanDialect, col: string, column: ObservedColumn, bind: Binder): string => {
  const family = observedFamily(dialect, column);
  switch (dialect) {
    case "sqlite":
      // SQLite stores anything anywhere: judge the stored value, whatever the declared type.
      // Inlined, not bound: the expression appears several times and SQLite's `?` are positional.
      // A constant without quotes; SQLite string literals have no escapes but ''.
      return `(CASE WHEN typeof(${col}) IN ('integer', 'real') THEN ${col} WHEN typeof(${col}) = 'text' AND ${regexMatch(dialect, col, `'${NUMERIC_TEXT}'`)} THEN CAST(${col} AS REAL) END)`;
    case "postgres":
      if (family === "integer" || family === "number") return col;
      return `(CASE WHEN ${asText(dialect, col)} ~ ${bind(NUMERIC_TEXT)} THEN CAST(${asText(dialect, col)} AS double precision) END)`;
    case "duckdb":
      if (family === "integer" || family === "number") return col;
      return `TRY_CAST(${col} AS DOUBLE)`;
  }
};

/** A number as a contract writes it (accepted values are kept as text): safe to inline as SQL. */
const NUMBER_LITERAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A non-null value outside the accepted ones. Values are compared as text, as the row checks do,
 * and numbers also by value: a numeric(12,2) 10.50 or a REAL 1.0 is the accepted 10.5 or 1, which
 * their text forms ("10.50", "1.0") are not. SQLite has no boolean type and stores true and false
 * as the integers 1 and 0, so those are the accepted `true` and `false` there.
 */
const notAccepted = (
  dialect: PlanDialect,
  col: string,
  observed: ObservedColumn,
  values: readonly string[],
  bind: Binder,
): string => {
  const parts = [
    `${col} IS NOT NULL`,
    `${asText(dialect, col)} NOT IN (${values.map((v) => bind(v)).join(", ")})`,
  ];
  const numbers = values.filter((v) => NUMBER_LITERAL.test(v)).map((v) => `(${v})`);
  const family = observedFamily(dialect, observed);
  if (numbers.length > 0) {
    if (dialect === "sqlite") {
      parts.push(`NOT (typeof(${col}) IN ('integer', 'real') AND ${col} IN (${numbers.join(", ")}))`);
    } else if (family === "integer" || family === "number") {
      parts.push(`NOT (${col} IN (${numbers.join(", ")}))`);
    }
  }
  if (dialect === "sqlite") {
    const bits = [
      ...(values.some((v) => v.toLowerCase() === "true") ? ["1"] : []),
      ...(values.some((v) => v.toLowerCase() === "false") ? ["0"] : []),
    ];
    if (bits.length > 0) parts.push(`NOT (typeof(${col}) = 'integer' AND ${col} IN (${bits.join(", ")}))`);
  }
  return parts.join(" AND ");
};

const textLength = (dialect: PlanDialect, col: string): string =>
  dialect === "postgres" ? `char_length(${asText(dialect, col)})` : `length(${asText(dialect, col)})`;

/** SQLite's typeof() of a stored value by the contract's family; undefined when any value fits. */
const sqliteFits = (family: TypeFamily, col: string, bind: Binder): string | undefined => {
  switch (family) {
    case "integer":
      return `typeof(${col}) = 'integer'`;
    case "number":
      return `typeof(${col}) IN ('integer', 'real')`;
    case "string":
      return `typeof(${col}) = 'text'`;
    case "boolean":
      return `(typeof(${col}) = 'integer' AND ${col} IN (0, 1))`;
    case "date":
      return `(typeof(${col}) = 'text' AND date(${col}) IS ${col})`;
    case "timestamp":
      return `(typeof(${col}) IN ('integer', 'real') OR (typeof(${col}) = 'text' AND julianday(${col}) IS NOT NULL))`;
    case "uuid":
      return `((typeof(${col}) = 'text' AND ${col} REGEXP ${bind(UUID_TEXT)}) OR (typeof(${col}) = 'blob' AND length(${col}) = 16))`;
    case "binary":
      return `typeof(${col}) IN ('blob', 'text')`;
    case "json":
    case "other":
      return undefined;
  }
};

const bounds = (min: number | undefined, max: number | undefined): string =>
  `[${min ?? "-inf"}, ${max ?? "+inf"}]`;

const outside = (value: string, min: number | undefined, max: number | undefined): string => {
  const parts = [
    ...(min === undefined ? [] : [`${value} < ${num(min)}`]),
    ...(max === undefined ? [] : [`${value} > ${num(max)}`]),
  ];
  return parts.length === 0 ? "FALSE" : parts.join(" OR ");
};

const count = (value: unknown): number => {
  if (value === null || value === undefined) return 0;
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) ? n : 0;
};

const rowJudgement =
  (pass: string, fail: (n: number) => string) =>
  ({ value }: Figure): Judgement => {
    const failed = count(value);
    return { failed_rows: failed, failed: failed > 0, message: failed === 0 ? pass : fail(failed) };
  };

/** Text forms of timestamps the sources return: ISO 8601, `YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM]]`. */
const TIMESTAMP_TEXT =
  /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Reads a timestamp as the sources return it; without a zone it is taken as UTC. Numbers are Unix
 * epochs (seconds, or milliseconds when too large to be seconds), as SQLite often stores them.
 */
export const parseTimestamp = (value: unknown): number | undefined => {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  if (typeof value === "number" || typeof value === "bigint") {
    const n = Number(value);
    if (!Number.isFinite(n)) return undefined;
    return Math.abs(n) >= 1e11 ? n : n * 1000;
  }
  if (typeof value !== "string") return undefined;
  const m = TIMESTAMP_TEXT.exec(value.trim());
  if (!m) return undefined;
  const [, date, hm, ss, frac, zone] = m;
  let offset = "Z";
  if (zone && zone.toUpperCase() !== "Z") {
    const digits = zone.slice(1).replace(":", "");
    offset = `${zone[0]}${digits.slice(0, 2)}:${(digits.slice(2) || "00").padEnd(2, "0")}`;
  }
  const ms = (frac ?? "").slice(0, 3).padEnd(3, "0");
  const t = Date.parse(`${date}T${hm ?? "00:00"}:${ss ?? "00"}.${ms}${offset}`);
  return Number.isNaN(t) ? undefined : t;
};

const round2 = (n: number): number => Math.round(n * 100) / 100;

/**
 * Compiles every check of the contract for one dialect. Rules refused by the guards throw
 * CovenantError("invalid_input"); rules naming a column the table lacks are not evaluated.
 */
export const planValidation = (contract: Contract, options: PlanOptions): ValidationPlan => {
  const guarded = guardContractRules(contract);
  const { dialect, table, tableRef, sampleLimit, now } = options;
  if (sampleLimit !== undefined && !(Number.isInteger(sampleLimit) && sampleLimit > 0)) {
    throw new CovenantError("invalid_input", `sample limit must be a positive integer, got ${sampleLimit}`);
  }
  const from =
    sampleLimit === undefined
      ? `${tableRef} AS covenant_rows`
      : `(SELECT * FROM ${tableRef} LIMIT ${sampleLimit}) AS covenant_rows`;
  const byName = new Map(table.columns.map((c) => [c.name.toLowerCase(), c]));
  const find = (name: string): ObservedColumn | undefined => byName.get(name.toLowerCase());
  const missing = (name: string) => `column ${name} is not in ${table.name} (see the schema results)`;
  const unreadColumns = (names: string[]) => missingColumnsReason(contract, table.name, names);

  // Offending rows are identified by their key when the table has one, else shown whole.
  const keyColumns = (table.primaryKey ?? []).filter((k) => find(k) !== undefined);
  const rowSelect =
    keyColumns.length > 0 ? keyColumns.map((k) => quoteIdentifier(find(k)?.name ?? k)).join(", ") : "*";

  const scan = binder(dialect);
  const slots: string[] = [];
  const checks: PlannedCheck[] = [];

  /** A per-row failing predicate, built once per statement (its parameters are numbered per statement). */
  type Predicate = (bind: Binder) => string;
  const addSlot = (expression: string): string => {
    const slot = `c${slots.length}`;
    slots.push(`${expression} AS ${slot}`);
    return slot;
  };
  const sumOf = (predicate: Predicate): string =>
    addSlot(`coalesce(sum(CASE WHEN ${predicate(scan.bind)} THEN 1 ELSE 0 END), 0)`);
  // Offending values are fetched with room to spare, so the runner can keep five different ones
  // without a DISTINCT that would read every failing row; offending rows are five rows.
  const sampleQuery = (select: string, predicate: Predicate, limit = MAX_SAMPLE_VALUES): SqlText => {
    const b = binder(dialect);
    return {
      sql: `SELECT ${select} FROM ${from} WHERE ${predicate(b.bind)} LIMIT ${limit}`,
      params: b.params,
    };
  };

  type RowCheck = {
    rule_id: string;
    kind: RuleKind;
    column: string;
    predicate: (col: string, observed: ObservedColumn, bind: Binder) => string;
    /** Offending values are the column's; null checks show the rows' keys instead. */
    samplesAreRows?: boolean;
    pass: string;
    fail: (n: number) => string;
  };
  const addRowCheck = (c: RowCheck) => {
    const observed = find(c.column);
    if (!observed) {
      checks.push({ ...head(c), notEvaluated: missing(c.column), judge: notJudged });
      return;
    }
    const col = quoteIdentifier(observed.name);
    const predicate: Predicate = (bind) => c.predicate(col, observed, bind);
    checks.push({
      ...head(c),
      slot: sumOf(predicate),
      samples: c.samplesAreRows
        ? sampleQuery(rowSelect, predicate)
        : sampleQuery(`${col} AS value`, predicate, VALUE_SAMPLE_ROWS),
      ...(c.samplesAreRows ? { samplesAreRows: true } : {}),
      judge: rowJudgement(c.pass, c.fail),
    });
  };
  const addUniqueCheck = (rule_id: string, kind: RuleKind, name: string) => {
    const observed = find(name);
    if (!observed) {
      checks.push({ rule_id, kind, column: name, notEvaluated: missing(name), judge: notJudged });
      return;
    }
    const col = quoteIdentifier(observed.name);
    checks.push({
      rule_id,
      kind,
      column: name,
      slot: addSlot(`count(${col}) - count(DISTINCT ${col})`),
      samples: {
        sql: `SELECT ${col} AS value FROM ${from} WHERE ${col} IS NOT NULL GROUP BY ${col} HAVING count(*) > 1 ORDER BY count(*) DESC, ${col} LIMIT ${MAX_SAMPLE_VALUES}`,
        params: [],
      },
      judge: rowJudgement(`${name} values are unique`, (n) => `${n} row(s) repeat a value of ${name}`),
    });
  };

  // Column promises, in the order evaluateRows reports them.
  for (const column of contract.schema.columns) addColumnChecks(column);

  function addColumnChecks(column: ContractColumn) {
    const name = column.name;
    if (column.required) {
      addRowCheck({
        rule_id: `column:${name}:required`,
        kind: "required",
        column: name,
        predicate: (col) => `${col} IS NULL`,
        samplesAreRows: true,
        pass: `${name} is never null`,
        fail: (n) => `${n} row(s) have no value for required column ${name}`,
      });
    }
    // The values are judged where the column's type does not enforce the contract's (see
    // typeKeeping): SQLite columns, file columns for a type with a length.
    const type = normalizeType(column.type);
    const observedColumn = find(name);
    const judged =
      !type.array &&
      type.family !== "json" &&
      type.family !== "other" &&
      (observedColumn === undefined
        ? dialect === "sqlite"
        : observedTypeKeeping(
            column.type,
            observedColumn,
            table,
            dialect === "sqlite" ? "sqlite" : "postgres",
          ) === "values");
    if (judged) {
      const family = type.family;
      const length = family === "string" ? type.length : undefined;
      const tooLong = (col: string) =>
        length === undefined ? "FALSE" : `${textLength(dialect, col)} > ${num(length)}`;
      addRowCheck({
        rule_id: `column:${name}:type`,
        kind: "type",
        column: name,
        predicate: (col, _o, bind) => {
          const fits = dialect === "sqlite" ? sqliteFits(family, col, bind) : undefined;
          return `${col} IS NOT NULL AND (${fits === undefined ? "FALSE" : `NOT (${fits})`} OR ${tooLong(col)})`;
        },
        pass: `${name} values are ${column.type}`,
        fail: (n) =>
          `${n} row(s) have a ${name} value that is not ${typeDescription(family, length)} (${column.type})`,
      });
    }
    const accepted = column.accepted_values;
    if (accepted) {
      addRowCheck({
        rule_id: `column:${name}:accepted_values`,
        kind: "accepted_values",
        column: name,
        predicate: (col, observed, bind) => notAccepted(dialect, col, observed, accepted, bind),
        pass: `${name} values are all accepted`,
        fail: (n) => `${n} row(s) have a ${name} value outside ${accepted.join(", ")}`,
      });
    }
    if (column.unique) addUniqueCheck(`column:${name}:unique`, "unique", name);
  }

  addPrimaryKeyChecks(contract.schema.primary_key ?? []);

  /**
   * The contract's key, whole and unique, as evaluateRows judges it. A one-column key is counted
   * in the scan; a composite one by a query of its own over the groups of repeated keys (SQLite
   * has no count(DISTINCT a, b)).
   */
  function addPrimaryKeyChecks(key: readonly string[]) {
    if (key.length === 0) return;
    const messages = primaryKeyMessages(key);
    const base = { kind: "primary_key" as const, ...(key.length === 1 ? { column: key[0] as string } : {}) };
    const absent = key.filter((k) => !find(k));
    if (absent.length > 0) {
      const reason = absent.map(missing).join("; ");
      for (const rule_id of [PRIMARY_KEY_RULES.notNull, PRIMARY_KEY_RULES.unique])
        checks.push({ ...base, rule_id, notEvaluated: reason, judge: notJudged });
      return;
    }
    const cols = key.map((k) => quoteIdentifier(find(k)?.name ?? k));
    const partMissing: Predicate = () => cols.map((c) => `${c} IS NULL`).join(" OR ");
    const whole = cols.map((c) => `${c} IS NOT NULL`).join(" AND ");
    // Rows without their key are shown by the table's own key when it has another one, else whole.
    const sameKey =
      keyColumns.length === key.length &&
      keyColumns.every((k, i) => k.toLowerCase() === key[i]?.toLowerCase());
    checks.push({
      ...base,
      rule_id: PRIMARY_KEY_RULES.notNull,
      slot: sumOf(partMissing),
      samples: sampleQuery(sameKey ? "*" : rowSelect, partMissing),
      samplesAreRows: true,
      judge: rowJudgement(messages.notNullPass, messages.notNullFail),
    });
    const grouped = `FROM ${from} WHERE ${whole} GROUP BY ${cols.join(", ")} HAVING count(*) > 1`;
    const repeats: SqlText = {
      sql:
        key.length === 1
          ? `SELECT ${cols[0]} AS value ${grouped} ORDER BY count(*) DESC, ${cols[0]} LIMIT ${MAX_SAMPLE_VALUES}`
          : `SELECT ${cols.join(", ")} ${grouped} ORDER BY count(*) DESC, ${cols.join(", ")} LIMIT ${MAX_SAMPLE_VALUES}`,
      params: [],
    };
    checks.push({
      ...base,
      rule_id: PRIMARY_KEY_RULES.unique,
      ...(key.length === 1
        ? { slot: addSlot(`count(${cols[0]}) - count(DISTINCT ${cols[0]})`) }
        : {
            query: {
              sql: `SELECT coalesce(sum(covenant_n - 1), 0) AS value FROM (SELECT count(*) AS covenant_n ${grouped}) AS covenant_repeats`,
              params: [],
            },
          }),
      samples: repeats,
      ...(key.length === 1 ? {} : { samplesAreRows: true }),
      judge: rowJudgement(messages.uniquePass, messages.uniqueFail),
    });
  }

  // Quality rules, in the contract's order.
  for (const rule of contract.quality ?? []) addQualityRule(rule);

  function addQualityRule(rule: QualityRule) {
    const decided = options.notEvaluated?.get(rule.id);
    if (decided !== undefined) {
      const kind: RuleKind = rule.type === "custom" ? "custom" : (rule.type as RuleKind);
      checks.push({
        rule_id: rule.id,
        kind,
        ...(rule.column ? { column: rule.column } : {}),
        notEvaluated: decided,
        judge: notJudged,
      });
      return;
    }
    const column = rule.column ?? "";
    const type: string = rule.type;
    const { min, max } = rule;
    switch (type) {
      case "not_null":
        return addRowCheck({
          rule_id: rule.id,
          kind: "not_null",
          column,
          predicate: (col) => `${col} IS NULL`,
          samplesAreRows: true,
          pass: `${column} is never null`,
          fail: (n) => `${n} row(s) have a null ${column}`,
        });
      case "unique":
        return addUniqueCheck(rule.id, "unique", column);
      case "accepted_values": {
        const values = rule.values ?? [];
        return addRowCheck({
          rule_id: rule.id,
          kind: "accepted_values",
          column,
          predicate: (col, observed, bind) => notAccepted(dialect, col, observed, values, bind),
          pass: `${column} values are all accepted`,
          fail: (n) => `${n} row(s) have a ${column} value outside ${values.join(", ")}`,
        });
      }
      case "regex": {
        const pattern = guarded.get(rule.id)?.text ?? "";
        return addRowCheck({
          rule_id: rule.id,
          kind: "regex",
          column,
          predicate: (col, _o, bind) =>
            `${col} IS NOT NULL AND NOT ${regexMatch(dialect, asText(dialect, col), bind(pattern))}`,
          pass: `${column} values match ${pattern}`,
          fail: (n) => `${n} row(s) have a ${column} value not matching ${pattern}`,
        });
      }
      case "range":
        return addRowCheck({
          rule_id: rule.id,
          kind: "range",
          column,
          predicate: (col, observed, bind) => {
            const v = numericValue(dialect, col, observed, bind);
            return `${col} IS NOT NULL AND (${v} IS NULL OR ${outside(v, min, max)})`;
          },
          pass: `${column} values are within ${bounds(min, max)}`,
          fail: (n) => `${n} row(s) have a ${column} value outside ${bounds(min, max)}`,
        });
      case "length":
        return addRowCheck({
          rule_id: rule.id,
          kind: "length",
          column,
          predicate: (col) => `${col} IS NOT NULL AND (${outside(textLength(dialect, col), min, max)})`,
          pass: `${column} values have a length within ${bounds(min ?? 0, max)}`,
          fail: (n) => `${n} row(s) have a ${column} value whose length is outside ${bounds(min ?? 0, max)}`,
        });
      case "row_count": {
        const limited = sampleLimit === undefined ? "" : ` (counted on the first ${sampleLimit} rows)`;
        checks.push({
          rule_id: rule.id,
          kind: "row_count",
          slot: "n",
          judge: ({ rows }) => {
            const ok = (min === undefined || rows >= min) && (max === undefined || rows <= max);
            return {
              failed: !ok,
              failed_rows: ok ? 0 : rows,
              message: ok
                ? `${rows} rows, within ${bounds(min ?? 0, max)}`
                : `${rows} rows, outside ${bounds(min ?? 0, max)}${limited}`,
              ...(ok ? {} : { sample_values: [rows] }),
            };
          },
        });
        return;
      }
      case "sql": {
        const { text: sql = "", columns: reads = [] } = guarded.get(rule.id) ?? {};
        const head = { rule_id: rule.id, kind: "sql" as const, ...(rule.column ? { column } : {}) };
        const absent = reads.filter((name) => !find(name));
        if (absent.length > 0) {
          checks.push({ ...head, notEvaluated: unreadColumns(absent), judge: notJudged });
          return;
        }
        if (rule.expression !== undefined) {
          // CHECK-constraint semantics: a row fails where NOT (expression) is TRUE; NULL passes.
          const predicate: Predicate = () => `NOT (${sql})`;
          checks.push({
            ...head,
            probe: {
              sql: `SELECT CASE WHEN NOT (${sql}) THEN 1 ELSE 0 END AS probe FROM ${from} LIMIT 0`,
              params: [],
            },
            slot: sumOf(predicate),
            samples: sampleQuery(rowSelect, predicate),
            samplesAreRows: true,
            judge: rowJudgement(`every row satisfies ${sql}`, (n) => `${n} row(s) break ${sql}`),
          });
        } else {
          const rows =
            sampleLimit === undefined
              ? `SELECT * FROM ${tableRef}`
              : `SELECT * FROM ${tableRef} LIMIT ${sampleLimit}`;
          checks.push({
            ...head,
            query: { sql: sql.replace(DATASET_ROWS_MARK, rows), params: [] },
            judge: ({ value }) => {
              const n = count(value);
              return {
                failed: n !== 0,
                failed_rows: n,
                message: n === 0 ? "the query returned 0" : `the query returned ${n}; it must return 0`,
              };
            },
          });
        }
        return;
      }
      default:
        checks.push({
          rule_id: rule.id,
          kind: type === "custom" ? "custom" : (type as RuleKind),
          ...(rule.column ? { column } : {}),
          notEvaluated:
            type === "custom"
              ? `custom rules run in their own engine (${rule.engine ?? "unspecified"})`
              : `rule type ${type} cannot be evaluated in a data source`,
          judge: notJudged,
        });
    }
  }

  // SLAs.
  const freshness = contract.sla?.freshness;
  if (freshness) {
    const observed = find(freshness.column);
    const base = { rule_id: "sla:freshness", kind: "freshness" as const, column: freshness.column };
    if (!observed) checks.push({ ...base, notEvaluated: missing(freshness.column), judge: notJudged });
    else {
      const col = quoteIdentifier(observed.name);
      // The newest row of the whole table, whatever the sample limit.
      const planned =
        sampleLimit === undefined
          ? { slot: addSlot(`max(${col})`) }
          : { query: { sql: `SELECT max(${col}) AS value FROM ${tableRef}`, params: [] } };
      const maxLag = freshness.max_lag_minutes;
      checks.push({
        ...base,
        ...planned,
        judge: ({ value }) => {
          if (value === null || value === undefined) {
            return {
              failed: true,
              failed_rows: 0,
              message: `no ${freshness.column} value: ${table.name} has no rows, or ${freshness.column} is always null`,
              observed: { max_value: null, lag_minutes: null, max_lag_minutes: maxLag },
            };
          }
          const at = parseTimestamp(value);
          if (at === undefined) {
            return {
              failed: true,
              failed_rows: 0,
              message: `the newest ${freshness.column} (${String(value)}) cannot be read as a timestamp: store ISO 8601 text or a timestamp type`,
              observed: { max_value: value, lag_minutes: null, max_lag_minutes: maxLag },
              sample_values: [value],
            };
          }
          const lag = round2((now.getTime() - at) / 60_000);
          const failed = lag > maxLag;
          return {
            failed,
            failed_rows: 0,
            message: failed
              ? `the newest ${freshness.column} is ${lag} minutes old, more than the ${maxLag} allowed`
              : `the newest ${freshness.column} is ${lag} minutes old (at most ${maxLag})`,
            observed: { max_value: value, lag_minutes: lag, max_lag_minutes: maxLag },
            ...(failed ? { sample_values: [value] } : {}),
          };
        },
      });
    }
  }
  const target = contract.sla?.completeness_pct;
  if (target !== undefined) {
    const required = contract.schema.columns.filter((c) => c.required).map((c) => c.name);
    const absent = required.filter((name) => !find(name));
    const base = { rule_id: "sla:completeness", kind: "completeness" as const };
    if (absent.length > 0) {
      checks.push({ ...base, notEvaluated: absent.map(missing).join("; "), judge: notJudged });
    } else {
      const filled = required.map((name) => `${quoteIdentifier(find(name)?.name ?? name)} IS NOT NULL`);
      const complete = filled.length === 0 ? "TRUE" : filled.join(" AND ");
      const incomplete: Predicate = () => `NOT (${complete})`;
      checks.push({
        ...base,
        slot: sumOf(incomplete),
        samples: sampleQuery(rowSelect, incomplete),
        samplesAreRows: true,
        judge: ({ rows, value }) => {
          const bad = count(value);
          if (rows === 0) {
            return {
              failed: false,
              failed_rows: 0,
              message: `${table.name} has no rows: completeness is vacuously 100%`,
              observed: { completeness_pct: 100, complete_rows: 0, target_pct: target },
            };
          }
          const pct = round2(((rows - bad) / rows) * 100);
          const failed = (rows - bad) / rows < target / 100;
          const columns = required.join(", ");
          return {
            failed,
            failed_rows: failed ? bad : 0,
            message: failed
              ? `${pct}% of rows have every required column (${columns}) filled, below ${target}%: ${bad} row(s) lack one`
              : `${pct}% of rows have every required column filled (at least ${target}%)`,
            observed: { completeness_pct: pct, complete_rows: rows - bad, target_pct: target },
          };
        },
      });
    }
  }

  return {
    scan: { sql: `SELECT ${["count(*) AS n", ...slots].join(", ")} FROM ${from}`, params: scan.params },
    checks,
  };

  function head(c: { rule_id: string; kind: RuleKind; column: string }) {
    return { rule_id: c.rule_id, kind: c.kind, column: c.column };
  }
};

/**
 * Why a rule reading columns the table lacks is not evaluated: those the contract declares are
 * also reported by the schema results; the others are only named by the rule.
 */
export const missingColumnsReason = (contract: Contract, table: string, names: readonly string[]): string => {
  const declared = new Set(contract.schema.columns.map((c) => c.name.toLowerCase()));
  const listed = names.join(", ");
  const undeclared = names.filter((n) => !declared.has(n.toLowerCase()));
  const schema =
    undeclared.length === 0
      ? " (see the schema results)"
      : `; the contract does not declare ${undeclared.join(", ")} either: fix the rule or add the column`;
  return `the rule reads ${names.length === 1 ? "column" : "columns"} ${listed}, which ${table} does not have${schema}`;
};

const notJudged = (): Judgement => ({ failed: false, failed_rows: 0, message: "not evaluated" });

/** The result of a planned check once its figure (and, when failing, its samples) are known. */
export const checkResult = (check: PlannedCheck, figure: Figure, samples: unknown[] = []): RuleResult => {
  if (check.notEvaluated !== undefined) return notEvaluatedResult(check, check.notEvaluated);
  const j = check.judge(figure);
  return {
    ...resultHead(check),
    status: j.failed ? "failed" : "passed",
    failed_rows: j.failed_rows,
    message: j.message,
    sample_values: j.failed ? (j.sample_values ?? samples).slice(0, MAX_SAMPLE_VALUES) : [],
    sample_rows: [],
    ...(j.observed ? { observed: j.observed } : {}),
  };
};
