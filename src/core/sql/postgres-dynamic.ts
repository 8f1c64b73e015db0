import { parsePlPgSQLSync } from "libpg-query";
import type { SourceLocation } from "../model/schema.ts";
import type { Applier } from "./apply.ts";

// biome-ignore lint/suspicious/noExplicitAny: untyped JSON AST from the parser
type Node = any;

/** The statement being inspected: its text and where it starts. */
type Source = { sql: string; file: string; line: number };

/**
 * Built-in functions a migration calls that cannot change a schema (sequence values, settings,
 * locks, clocks, formatting), so `SELECT setval(…)` or a pg_dump preamble is not "code Covenant
 * cannot follow". Anything schema-qualified with pg_catalog is a built-in too.
 */
const READ_ONLY_BUILTINS = new Set(
  (
    "now setval nextval currval lastval set_config current_setting version pg_sleep " +
    "pg_advisory_lock pg_advisory_unlock pg_advisory_unlock_all pg_advisory_xact_lock pg_try_advisory_lock " +
    "pg_try_advisory_xact_lock pg_notify pg_get_serial_sequence txid_current clock_timestamp " +
    "statement_timestamp transaction_timestamp timeofday count sum min max avg bool_and bool_or every " +
    "coalesce nullif greatest least lower upper length char_length octet_length substr substring trim " +
    "btrim ltrim rtrim replace concat concat_ws format to_char to_date to_timestamp to_number date_trunc " +
    "date_part extract age random gen_random_uuid uuid_generate_v4 uuid_generate_v1 md5 sha256 encode " +
    "decode array_agg string_agg array_length array_to_string string_to_array unnest generate_series " +
    "json_build_object jsonb_build_object json_agg jsonb_agg to_json to_jsonb jsonb_set row_number rank " +
    "quote_ident quote_literal quote_nullable regexp_replace regexp_matches split_part left right lpad " +
    "rpad position strpos abs round floor ceil trunc mod power sqrt has_table_privilege " +
    "has_schema_privilege has_column_privilege obj_description col_description pg_table_is_visible " +
    "current_schema current_database current_user session_user inet_client_addr pg_backend_pid"
  ).split(" "),
);

/** Text that may change a schema, in a function body. */
const SCHEMA_CHANGING = /\b(?:alter|drop|create|rename|execute|truncate)\b/i;

const MAX_NESTING = 3;

const strs = (list: Node[] | undefined): string[] =>
  (list ?? []).map((n: Node) => n?.String?.sval).filter((s: unknown): s is string => typeof s === "string");

const defElem = (options: Node[] | undefined, name: string): Node =>
  (options ?? []).find((o: Node) => o?.DefElem?.defname === name)?.DefElem?.arg;

/** A literal SQL string `'…'`, or `format('…')` with no argument and no placeholder. */
const literalSql = (expr: string): string | undefined => {
  const plain = /^\s*'((?:[^']|'')*)'\s*$/.exec(expr)?.[1];
  if (plain !== undefined) return plain.replaceAll("''", "'");
  const format = /^\s*format\s*\(\s*'((?:[^']|'')*)'\s*\)\s*$/i.exec(expr)?.[1];
  if (format !== undefined && !/%[^%]/.test(format.replaceAll("%%", "")))
    return format.replaceAll("''", "'").replaceAll("%%", "%");
  return undefined;
};

const walk = (node: Node, visit: (key: string, value: Node) => boolean | undefined): void => {
  if (node === null || typeof node !== "object") return;
  if (Array.isArray(node)) {
    for (const x of node) walk(x, visit);
    return;
  }
  // for…in rather than Object.entries: no array per node (parser JSON has no inherited keys).
  for (const key in node) {
    const value = node[key];
    if (!visit(key, value)) walk(value, visit);
  }
};

/**
 * Code a Postgres migration runs that the replay cannot read as DDL: DO blocks, function and
 * procedure calls, triggers, COPY … PROGRAM. What can be followed is replayed (plain statements
 * of a PL/pgSQL DO block, literal EXECUTE strings); the rest is recorded as unverifiable with the
 * names its text (and the called functions' bodies) mention.
 */
export class PostgresDynamic {
  private readonly app: Applier;
  private readonly replayNested: (sql: string, at: SourceLocation) => void;
  /** Functions and procedures defined by the replayed migrations (by unqualified, lower-case name). */
  private readonly functions = new Map<string, { body: string; changesSchema: boolean }>();
  private depth = 0;

  constructor(app: Applier, replayNested: (sql: string, at: SourceLocation) => void) {
    this.app = app;
    this.replayNested = (sql, at) => {
      if (this.depth >= MAX_NESTING) {
        this.unverifiable(at, "EXECUTE strings nested too deeply to follow", sql);
        return;
      }
      this.depth++;
      try {
        replayNested(sql, at);
      } finally {
        this.depth--;
      }
    };
  }

  private unverifiable(at: SourceLocation, why: string, text: string): void {
    this.app.unverifiable(
      "dynamic",
      at,
      `This statement runs code Covenant cannot follow (${why}); its effect on the schema was not analysed.`,
      text,
    );
  }

  /** Inspects one parsed statement whose kind the replay does not otherwise handle. */
  inspect(kind: string, node: Node, src: Source): void {
    const at = { file: src.file, line: src.line };
    switch (kind) {
      case "DoStmt":
        this.doStmt(node, src);
        return;
      case "CreateFunctionStmt": {
        const body = strs(defElem(node.options, "as")?.List?.items).join("\n");
        const name = strs(node.funcname).pop()?.toLowerCase();
        if (name) this.functions.set(name, { body, changesSchema: SCHEMA_CHANGING.test(body) });
        return;
      }
      case "CreateTrigStmt": {
        const name = strs(node.funcname).pop()?.toLowerCase() ?? "";
        const fn = this.functions.get(name);
        if (fn?.changesSchema)
          this.unverifiable(at, `trigger function ${name}() may change schemas`, `${src.sql}\n${fn.body}`);
        return;
      }
      case "CopyStmt":
        if (node.is_program) this.unverifiable(at, "COPY … PROGRAM runs a program", src.sql);
        return;
      case "SelectStmt":
      case "InsertStmt":
      case "UpdateStmt":
      case "DeleteStmt":
      case "CallStmt":
        this.calls(node, src, kind === "CallStmt");
        return;
      default:
        return;
    }
  }

  private calls(node: Node, src: Source, procedure: boolean): void {
    const at = { file: src.file, line: src.line };
    walk(node, (key, value) => {
      if (key !== "FuncCall" && key !== "funccall") return false;
      const parts = strs(value?.funcname).map((p) => p.toLowerCase());
      const name = parts[parts.length - 1] ?? "";
      const schema = parts.length > 1 ? parts[parts.length - 2] : undefined;
      const fn = this.functions.get(name);
      if (fn) {
        if (fn.changesSchema)
          this.unverifiable(
            at,
            `${name}() is defined by a migration and may change schemas`,
            `${src.sql}\n${fn.body}`,
          );
      } else if (procedure || (schema !== "pg_catalog" && !READ_ONLY_BUILTINS.has(name))) {
        this.unverifiable(
          at,
          `${procedure ? "procedure" : "function"} ${parts.join(".")}() is not defined by these migrations`,
          src.sql,
        );
      }
      return false;
    });
  }

  private doStmt(node: Node, src: Source): void {
    const body: string = defElem(node.args, "as")?.String?.sval ?? "";
    const language = (defElem(node.args, "language")?.String?.sval ?? "plpgsql").toLowerCase();
    this.doBlock(body, language, src);
  }

  /** A DO block's body in `language`: its PL/pgSQL statements replayed where they can be followed. */
  doBlock(body: string, language: string, src: Source): void {
    const at = { file: src.file, line: src.line };
    if (language !== "plpgsql") {
      this.unverifiable(at, `a DO block in ${language}`, body);
      return;
    }
    let tree: Node;
    try {
      tree = parsePlPgSQLSync(
        `CREATE FUNCTION covenant_do() RETURNS void LANGUAGE plpgsql AS $covenant$${body}$covenant$`,
      );
    } catch (error) {
      this.unverifiable(at, `a DO block that does not parse as PL/pgSQL: ${(error as Error).message}`, body);
      return;
    }
    const lineOf = (n: Node) => ({ file: src.file, line: src.line + Math.max(0, (n?.lineno ?? 1) - 1) });
    walk(tree, (key, value) => {
      switch (key) {
        case "PLpgSQL_stmt_execsql":
        case "PLpgSQL_stmt_perform": {
          const query = (value.sqlstmt ?? value.expr)?.PLpgSQL_expr?.query;
          if (typeof query === "string") this.replayNested(query, lineOf(value));
          return true;
        }
        case "PLpgSQL_stmt_dynexecute":
        case "PLpgSQL_stmt_dynfors": {
          const query = value.query?.PLpgSQL_expr?.query ?? "";
          const sql = literalSql(query);
          if (sql !== undefined && key === "PLpgSQL_stmt_dynexecute") this.replayNested(sql, lineOf(value));
          else if (sql === undefined) this.unverifiable(lineOf(value), "EXECUTE of a computed string", body);
          return true;
        }
        default:
          return false;
      }
    });
  }
}
