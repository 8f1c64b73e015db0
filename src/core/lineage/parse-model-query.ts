import { type DbtModelContext, expandDbtModel } from "../dbt/expand-dbt-model.ts";
import { renderJinja } from "../dbt/render-jinja.ts";
import { parsePostgresQuery } from "./parse-postgres-query.ts";
import { parseWarehouseQuery, WAREHOUSE_DATABASES } from "./parse-warehouse-query.ts";
import { portableSql } from "./portable-sql.ts";
import type { Query } from "./query.ts";

export type ParsedQuery =
  | {
      ok: true;
      query: Query;
      /** Other renders of the same model (`is_incremental()` true): their reads count too. */
      variants?: Query[];
      /** The model's Jinja was evaluated (its macros expanded), not rendered to stubs. */
      expanded?: boolean;
    }
  | { ok: false; error: string; line?: number };

/** What evaluating a model's Jinja may need beyond its SQL (see expandDbtModel). */
export type ModelJinja = {
  macros?: string;
  vars?: Readonly<Record<string, unknown>>;
  /** dbt's `model` context variable, as far as the project's files say it. */
  model?: DbtModelContext;
  /** The columns of a relation by its stub, when known (dbt_utils.star, union_relations). */
  columnsOf?: (stub: string) => readonly string[] | undefined;
};

/** Dialects the real Postgres parser reads; the others go to node-sql-parser. */
const POSTGRES_FAMILY = new Set(["postgres", "postgresql", "duckdb", "materialize", "redshift", "greenplum"]);

/** Which parsers to try, the dialect's own first; unknown dialects try Postgres, then the warehouses. */
const parsersFor = (dialect: string | undefined): string[] => {
  if (dialect === undefined) return ["postgres", "bigquery", "snowflake"];
  if (POSTGRES_FAMILY.has(dialect)) return dialect === "redshift" ? ["postgres", "redshift"] : ["postgres"];
  if (WAREHOUSE_DATABASES[dialect]) return [dialect, "postgres"];
  return ["postgres", "bigquery", "snowflake"];
};

const messageOf = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split("\n")[0]!.slice(0, 200);

/** Rendered SQL through the dialect's parsers: the first that reads it, else the first error. */
const parseRendered = (
  sql: string,
  dialect: string | undefined,
  fastestFirst = false,
): { query: Query } | { error: string } => {
  const errors: string[] = [];
  const portable = portableSql(sql, dialect);
  const parsers = parsersFor(dialect);
  // Only the column references of a second render are read: the fastest parser may go first.
  if (fastestFirst && parsers.includes("postgres"))
    parsers.unshift(...parsers.splice(parsers.indexOf("postgres"), 1));
  // As written first; then rewritten into forms with the same column references.
  for (const text of portable === sql ? [sql] : [sql, portable])
    for (const parser of parsers) {
      try {
        return {
          query: parser === "postgres" ? parsePostgresQuery(text) : parseWarehouseQuery(text, parser),
        };
      } catch (error) {
        errors.push(`${parser}: ${messageOf(error)}`);
      }
    }
  return { error: errors[0]! };
};

/** Package macros that write several columns (a stub reads them as one). */
const WRITES_COLUMNS = /\b(?:un)?pivot\s*\(/;

/**
 * Jinja beyond ref/source/config/this: a tag, or an expression using something else. A `var()`
 * is evaluated too: its value (dbt_project.yml's, `--vars`) may name a column, which a stub would
 * read as nothing.
 */
const hasJinjaLogic = (sql: string): boolean =>
  /\{%-?\s*(?!raw\b)\w/.test(sql) ||
  [...sql.matchAll(/\{\{-?\s*([\w.]+)/g)].some((m) => !/^(ref|source|config|this)$/.test(m[1]!));

/**
 * A model's Jinja evaluated (its macros expanded) and parsed: with `is_incremental()` both renders
 * are read. Undefined when the model has no Jinja to evaluate.
 */
const parseExpanded = (
  sql: string,
  dialect: string | undefined,
  jinja: ModelJinja,
): { parsed: ParsedQuery; readColumns: boolean } | undefined => {
  if (!hasJinjaLogic(sql)) return undefined;
  const uses = (pattern: RegExp) => pattern.test(sql) || pattern.test(jinja.macros ?? "");
  // The first run, then each other way dbt may build the model: incremental, full refresh.
  const renders = [
    { incremental: false, fullRefresh: false },
    ...(uses(/\bis_incremental\s*\(|\bshould_full_refresh\s*\(/)
      ? [{ incremental: true, fullRefresh: false }]
      : []),
    ...(uses(/\bflags\s*\.\s*FULL_REFRESH\b/) ? [{ incremental: true, fullRefresh: true }] : []),
  ];
  const queries: Query[] = [];
  let readColumns = false;
  const seen = new Set<string>();
  for (const render of renders) {
    const variant = render !== renders[0];
    const expanded = expandDbtModel({
      sql,
      ...(jinja.macros ? { macros: jinja.macros } : {}),
      ...(jinja.vars ? { vars: jinja.vars } : {}),
      ...(jinja.model ? { model: jinja.model } : {}),
      ...(dialect ? { dialect } : {}),
      ...(jinja.columnsOf ? { columnsOf: jinja.columnsOf } : {}),
      ...render,
    });
    if (!expanded.ok)
      return {
        parsed: { ok: false, error: `its Jinja cannot be evaluated: ${expanded.error}` },
        readColumns,
      };
    readColumns ||= expanded.readColumns.length > 0;
    // Most models render the same every way: one parse.
    if (seen.has(expanded.sql)) continue;
    seen.add(expanded.sql);
    const result = parseRendered(expanded.sql, dialect, variant);
    if ("error" in result)
      return {
        parsed: { ok: false, error: `the SQL does not parse once its macros are expanded (${result.error})` },
        readColumns,
      };
    queries.push(result.query);
  }
  const [query, ...variants] = queries;
  return {
    parsed: { ok: true, query: query!, expanded: true, ...(variants.length > 0 ? { variants } : {}) },
    readColumns,
  };
};

/**
 * A model's SQL (Jinja included) parsed into the query lineage reads: Jinja rendered to stubs,
 * then the dialect's real parser; when that fails, the Jinja evaluated with the project's macros
 * and the dbt packages' known ones. The Postgres parser must be loaded (`loadPostgresParser`).
 */
export const parseModelQuery = (
  sql: string,
  dialect: string | undefined,
  cache?: Map<string, ParsedQuery>,
  jinja: ModelJinja = {},
): ParsedQuery => {
  const key = `${dialect ?? ""}\u0000${sql}\u0000${jinja.macros ?? ""}\u0000${jinja.vars ? JSON.stringify(jinja.vars) : ""}\u0000${jinja.model ? JSON.stringify(jinja.model) : ""}`;
  const cached = cache?.get(key);
  if (cached) return cached;
  const rendered = renderJinja(sql, { macroArgs: true });
  let result: ParsedQuery;
  if (rendered.unterminatedAt !== undefined) {
    result = { ok: false, error: "an unterminated Jinja tag", line: rendered.unterminatedAt };
  } else {
    // Evaluated first where there is Jinja to evaluate: stubs keep every branch of an `if` and
    // read a macro writing a select list as one column.
    const expanded = parseExpanded(sql, dialect, jinja);
    if (expanded?.parsed.ok || (expanded && (jinja.macros || WRITES_COLUMNS.test(sql)))) {
      // A project macro Covenant cannot expand may write anything, a pivot many columns: the
      // stubs would read either as one column, so the lineage is unknown.
      result = expanded.parsed;
      // Read through upstream columns: valid only while they stay the same.
      if (expanded.readColumns) return result;
    } else {
      const stubbed = parseRendered(rendered.sql, dialect);
      if ("query" in stubbed) result = { ok: true, query: stubbed.query };
      else
        result = expanded?.parsed ?? {
          ok: false,
          error: `the SQL does not parse after Jinja is rendered (${stubbed.error})`,
        };
    }
  }
  cache?.set(key, result);
  return result;
};
