import { renderJinja } from "../dbt/render-jinja.ts";
import { parsePostgresQuery } from "./parse-postgres-query.ts";
import { parseWarehouseQuery, WAREHOUSE_DATABASES } from "./parse-warehouse-query.ts";
import type { Query } from "./query.ts";

export type ParsedQuery = { ok: true; query: Query } | { ok: false; error: string; line?: number };

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

/**
 * A model's SQL (Jinja included) parsed into the query lineage reads: Jinja rendered to stubs,
 * then the dialect's real parser. The Postgres parser must be loaded (`loadPostgresParser`).
 */
export const parseModelQuery = (
  sql: string,
  dialect: string | undefined,
  cache?: Map<string, ParsedQuery>,
): ParsedQuery => {
  const key = `${dialect ?? ""}\u0000${sql}`;
  const cached = cache?.get(key);
  if (cached) return cached;
  const rendered = renderJinja(sql, { macroArgs: true });
  let result: ParsedQuery;
  if (rendered.unterminatedAt !== undefined) {
    result = { ok: false, error: "an unterminated Jinja tag", line: rendered.unterminatedAt };
  } else {
    const errors: string[] = [];
    result = { ok: false, error: "" };
    for (const parser of parsersFor(dialect)) {
      try {
        const query =
          parser === "postgres"
            ? parsePostgresQuery(rendered.sql)
            : parseWarehouseQuery(rendered.sql, parser);
        result = { ok: true, query };
        break;
      } catch (error) {
        errors.push(`${parser}: ${messageOf(error)}`);
      }
    }
    if (!result.ok)
      result = { ok: false, error: `the SQL does not parse after Jinja is rendered (${errors[0]})` };
  }
  cache?.set(key, result);
  return result;
};
