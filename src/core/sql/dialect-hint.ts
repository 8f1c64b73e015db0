import { parseSync } from "libpg-query";
import type { Dialect } from "../model/contract-levels.ts";
import type { Finding } from "../model/finding.ts";
import { emptySchemaState } from "../model/schema.ts";
import { Applier } from "./apply.ts";
import { GenericReplayer } from "./generic.ts";
import type { Statement } from "./split.ts";

/**
 * Constructs only PostgreSQL reads. The MySQL/SQLite reader is deliberately lenient (it skips
 * what does not shape tables), so on its own it would accept a PostgreSQL file in silence.
 */
const POSTGRES_ONLY =
  /::\s*[a-z_]|\$[a-z_]*\$|\b(?:bigserial|smallserial|timestamptz|timetz|jsonb|bytea|tsvector|inet|cidr|citext)\b|\bcreate\s+type\b[\s\S]*\bas\s+enum\b|\bcreate\s+(?:extension|domain)\b|\balter\s+column\s+\S+\s+(?:set\s+data\s+)?type\b|\blanguage\s+plpgsql\b/i;
/** MySQL marks SQLite rejects (it takes backticks and any type name, UNSIGNED included). */
const MYSQL_NOT_SQLITE = /\bengine\s*=|\bauto_increment\b|\bcharset\s*=|\bmodify\s+column\b/i;
const MYSQL_ONLY = /`|\bunsigned\b|\bengine\s*=|\bauto_increment\b|\bcharset\s*=|\bmodify\s+column\b/i;
const SQLITE_ONLY = /\bautoincrement\b|\bwithout\s+rowid\b|^\s*pragma\b/i;

const LABEL: Record<Dialect, string> = {
  postgres: "PostgreSQL",
  mysql: "MySQL",
  mariadb: "MariaDB",
  sqlite: "SQLite",
  bigquery: "BigQuery",
  snowflake: "Snowflake",
};

const parsesAsPostgres = (sql: string): boolean => {
  try {
    parseSync(sql);
    return true;
  } catch {
    return false;
  }
};

const parsesAsGeneric = (sql: string, dialect: Dialect): boolean => {
  const app = new Applier(emptySchemaState(), dialect);
  new GenericReplayer(app, dialect).statement({ sql, file: "", line: 1, endLine: 1 });
  return app.unparsed === 0;
};

/** Marks of another dialect, which the configured one would reject. */
const foreign = (sql: string, dialect: Dialect): boolean => {
  // Warehouses (BigQuery, Snowflake) share much of PostgreSQL's syntax: no marks for them.
  if (dialect !== "mysql" && dialect !== "mariadb" && dialect !== "sqlite") return false;
  if (POSTGRES_ONLY.test(sql)) return true;
  if (dialect === "mysql" || dialect === "mariadb") return SQLITE_ONLY.test(sql);
  return dialect === "sqlite" && MYSQL_NOT_SQLITE.test(sql);
};

/** Does the statement read in that dialect: its parser accepts it and it bears no other dialect's marks? */
const reads = (sql: string, dialect: Dialect): boolean =>
  dialect === "postgres" ? parsesAsPostgres(sql) : !foreign(sql, dialect) && parsesAsGeneric(sql, dialect);

/**
 * The lenient reader accepts almost anything, so MySQL or SQLite is only proposed when the
 * statements bear its marks; the PostgreSQL parser is strict enough to be evidence itself.
 */
const evidence = (statements: readonly Statement[], dialect: Dialect): boolean =>
  dialect === "postgres" ||
  statements.some((st) => (dialect === "sqlite" ? SQLITE_ONLY : MYSQL_ONLY).test(st.sql));

const CANDIDATES: Dialect[] = ["postgres", "mysql", "sqlite"];

/**
 * When most statements of a file do not read in the configured dialect, says so and names the
 * dialect they do read in: a wrong dialect otherwise shows up only as a pile of parse errors,
 * or, with a lenient reader, as nothing at all.
 */
export const dialectHint = ({
  file,
  dialect,
  statements,
  unparsed,
}: {
  file: string;
  dialect: Dialect;
  statements: readonly Statement[];
  /** Statements the dialect's parser failed on. */
  unparsed: ReadonlySet<Statement>;
}): Finding | undefined => {
  if (statements.length === 0) return undefined;
  const failing = statements.filter((st) => unparsed.has(st) || foreign(st.sql, dialect));
  if (failing.length * 2 <= statements.length) return undefined;
  const better = CANDIDATES.filter((other) => other !== dialect)
    .map((other) => ({ other, count: failing.filter((st) => reads(st.sql, other)).length }))
    .filter(({ other, count }) => count * 2 > failing.length && evidence(failing, other))
    .sort((a, b) => b.count - a.count)[0];
  // Statements no dialect reads are plain parse errors, reported as such.
  if (!better) return undefined;
  return {
    rule: "sql-dialect-mismatch",
    severity: "warning",
    file,
    line: failing[0]?.line ?? 1,
    message: `${failing.length} of ${statements.length} statements of this file do not read as ${LABEL[dialect]}: the dialect looks wrong; they read as ${LABEL[better.other]} (${better.count} of ${failing.length}). Set \`dialect: ${better.other}\` for this migrations path in .github/covenant.yml (or pass \`--dialect ${better.other}\`).`,
  };
};
