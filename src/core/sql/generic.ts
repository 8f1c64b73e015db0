import { cloneColumn, cloneTable, cloneType } from "../model/clone-schema.ts";
import type { Dialect } from "../model/contract-levels.ts";
import { normalizeType } from "../model/normalize-type.ts";
import type { Column, ForeignKey, SourceLocation, TableSchema, UniqueConstraint } from "../model/schema.ts";
import type { Applier, PrimaryKey } from "./apply.ts";
import type { Statement } from "./split.ts";

/**
 * DDL for MySQL, MariaDB, SQLite, BigQuery and Snowflake, read with a small tokenizer-based
 * parser. General-purpose SQL parsers miss much of this DDL (MySQL CHANGE / MODIFY, table
 * options, SQLite's type-less columns and RENAME COLUMN), so only the statements that shape
 * tables are parsed, precisely; everything else is left alone.
 */

type TokenKind = "word" | "ident" | "string" | "number" | "punct";
type Token = { kind: TokenKind; value: string; upper: string; start: number; end: number };

class ParseError extends Error {
  readonly pos: number;
  constructor(message: string, pos: number) {
    super(message);
    this.pos = pos;
  }
}

const isWordCode = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36 || c >= 128;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

export const tokenize = (sql: string, dialect: Dialect): Token[] => {
  const tokens: Token[] = [];
  const n = sql.length;
  const mysql = dialect === "mysql" || dialect === "mariadb";
  const backslash = mysql || dialect === "bigquery" || dialect === "snowflake";
  let i = 0;
  while (i < n) {
    const code = sql.charCodeAt(i);
    if (code === 32 || (code >= 9 && code <= 13)) {
      i++;
      continue;
    }
    const c = sql[i] as string;
    if ((c === "-" && sql[i + 1] === "-") || (c === "#" && (mysql || dialect === "bigquery"))) {
      while (i < n && sql[i] !== "\n") i++;
      continue;
    }
    if (c === "/" && sql[i + 1] === "*") {
      if (mysql && (sql[i + 2] === "!" || (sql[i + 2] === "M" && sql[i + 3] === "!"))) {
        i += sql[i + 2] === "M" ? 4 : 3;
        while (i < n && isDigit(sql.charCodeAt(i))) i++;
        continue;
      }
      const close = sql.indexOf("*/", i + 2);
      i = close < 0 ? n : close + 2;
      continue;
    }
    if (c === "*" && sql[i + 1] === "/" && mysql) {
      i += 2;
      continue;
    }
    const start = i;
    if (c === "'" || c === '"' || c === "`" || (c === "[" && dialect === "sqlite")) {
      const close = c === "[" ? "]" : c;
      let value = "";
      i++;
      let from = i;
      while (i < n) {
        const d = sql[i] as string;
        if (backslash && d === "\\" && c !== "`") {
          value += sql.slice(from, i) + (sql[i + 1] ?? "");
          i += 2;
          from = i;
          continue;
        }
        if (d === close) {
          if (close !== "]" && sql[i + 1] === close) {
            value += sql.slice(from, i + 1);
            i += 2;
            from = i;
            continue;
          }
          value += sql.slice(from, i);
          i++;
          from = -1;
          break;
        }
        i++;
      }
      if (from >= 0) value += sql.slice(from, i);
      // A double-quoted string is an identifier, except in MySQL/BigQuery where it is a string.
      const kind: TokenKind =
        c === "'" || (c === '"' && (mysql || dialect === "bigquery")) ? "string" : "ident";
      tokens.push({ kind, value, upper: value.toUpperCase(), start, end: i });
      continue;
    }
    if (isDigit(code) || (code === 46 && isDigit(sql.charCodeAt(i + 1)))) {
      while (i < n && (isWordCode(sql.charCodeAt(i)) || sql.charCodeAt(i) === 46)) i++;
      const value = sql.slice(start, i);
      tokens.push({ kind: "number", value, upper: value.toUpperCase(), start, end: i });
      continue;
    }
    if (isWordCode(code)) {
      while (i < n && isWordCode(sql.charCodeAt(i))) i++;
      const value = sql.slice(start, i);
      tokens.push({ kind: "word", value, upper: value.toUpperCase(), start, end: i });
      continue;
    }
    i++;
    tokens.push({ kind: "punct", value: c, upper: c, start, end: i });
  }
  return tokens;
};

const COLUMN_STOP = new Set([
  "NOT",
  "NULL",
  "DEFAULT",
  "PRIMARY",
  "UNIQUE",
  "REFERENCES",
  "CHECK",
  "CONSTRAINT",
  "COLLATE",
  "AUTO_INCREMENT",
  "AUTOINCREMENT",
  "COMMENT",
  "ON",
  "GENERATED",
  "AS",
  "KEY",
  "CHARSET",
  "INVISIBLE",
  "VISIBLE",
  "STORED",
  "VIRTUAL",
  "COLUMN_FORMAT",
  "STORAGE",
  "SRID",
  "FIRST",
  "AFTER",
  "IDENTITY",
  "OPTIONS",
  "MASKING",
  "TAG",
]);

const IGNORED_ALTER = new Set([
  "ENGINE",
  "AUTO_INCREMENT",
  "DEFAULT",
  "CHARACTER",
  "CHARSET",
  "COLLATE",
  "CONVERT",
  "COMMENT",
  "ROW_FORMAT",
  "ORDER",
  "LOCK",
  "ALGORITHM",
  "FORCE",
  "ENABLE",
  "DISABLE",
  "DISCARD",
  "IMPORT",
  "PARTITION",
  "COALESCE",
  "REORGANIZE",
  "ANALYZE",
  "CHECK",
  "OPTIMIZE",
  "REBUILD",
  "REPAIR",
  "REMOVE",
  "TRUNCATE",
  "EXCHANGE",
  "KEY_BLOCK_SIZE",
  "PACK_KEYS",
  "STATS_PERSISTENT",
  "STATS_AUTO_RECALC",
  "STATS_SAMPLE_PAGES",
  "CHECKSUM",
  "DELAY_KEY_WRITE",
  "INSERT_METHOD",
  "MAX_ROWS",
  "MIN_ROWS",
  "AVG_ROW_LENGTH",
  "TABLESPACE",
  "UNION",
  "SET",
  "UNSET",
  "CLUSTER",
  "RESUME",
  "SUSPEND",
  "OWNER",
  "WITH",
  "PAGE_CHECKSUM",
  "TRANSACTIONAL",
  "ENCRYPTED",
  "ENCRYPTION",
  "COMPRESSION",
  "DATA",
  "INDEX",
]);

type Cursor = { tokens: Token[]; i: number };

const peek = (c: Cursor, k = 0): Token | undefined => c.tokens[c.i + k];
const isWord = (t: Token | undefined, ...words: string[]): boolean =>
  t?.kind === "word" && words.includes(t.upper);
const isPunct = (t: Token | undefined, p: string): boolean => t?.kind === "punct" && t.value === p;
const accept = (c: Cursor, ...words: string[]): boolean => {
  if (isWord(peek(c), ...words)) {
    c.i++;
    return true;
  }
  return false;
};
const acceptSeq = (c: Cursor, ...words: string[]): boolean => {
  for (let k = 0; k < words.length; k++) if (!isWord(peek(c, k), words[k] as string)) return false;
  c.i += words.length;
  return true;
};
const acceptPunct = (c: Cursor, p: string): boolean => {
  if (isPunct(peek(c), p)) {
    c.i++;
    return true;
  }
  return false;
};
function fail(c: Cursor, what: string): never {
  const t = peek(c) ?? c.tokens[c.tokens.length - 1];
  throw new ParseError(`${what}${t ? ` near '${t.value}'` : " at end of statement"}`, t?.start ?? 0);
}
const expectPunct = (c: Cursor, p: string): void => {
  if (!acceptPunct(c, p)) fail(c, `expected '${p}'`);
};
const expectWord = (c: Cursor, w: string): void => {
  if (!accept(c, w)) fail(c, `expected ${w}`);
};
const name = (c: Cursor): string => {
  const t = peek(c);
  if (t && (t.kind === "word" || t.kind === "ident" || t.kind === "string")) {
    c.i++;
    return t.value;
  }
  return fail(c, "expected a name");
};
const qualifiedName = (c: Cursor): string[] => {
  const parts = [name(c)];
  while (isPunct(peek(c), ".")) {
    c.i++;
    parts.push(name(c));
  }
  return parts;
};
/** Skips a balanced parenthesised group starting at '('. */
const skipGroup = (c: Cursor): void => {
  let depth = 0;
  do {
    const t = peek(c);
    if (!t) return;
    if (isPunct(t, "(")) depth++;
    else if (isPunct(t, ")")) depth--;
    c.i++;
  } while (depth > 0);
};
/** Skips to the next top-level ',' or ')' (not consumed). */
const skipItem = (c: Cursor): void => {
  for (;;) {
    const t = peek(c);
    if (!t || isPunct(t, ",") || isPunct(t, ")")) return;
    if (isPunct(t, "(")) skipGroup(c);
    else c.i++;
  }
};
/** `(a, b(10) DESC, …)`: the column names; undefined when an item is an expression. */
const columnList = (c: Cursor): string[] | undefined => {
  expectPunct(c, "(");
  const cols: string[] = [];
  let expression = false;
  for (;;) {
    const t = peek(c);
    if (!t) fail(c, "unterminated column list");
    if (isPunct(t, "(")) {
      expression = true;
      skipItem(c);
    } else {
      cols.push(name(c));
      skipItem(c);
    }
    if (acceptPunct(c, ",")) continue;
    expectPunct(c, ")");
    return expression ? undefined : cols;
  }
};

/** `a`, `"a"`, `t.a`: a column reference and nothing else (no literal, call or operator); its column name. */
const plainColumnRef = (c: Cursor): string | undefined => {
  const parts: string[] = [];
  for (;;) {
    const t = peek(c);
    if (!t || (t.kind !== "word" && t.kind !== "ident")) return undefined;
    if (t.kind === "word" && ["NULL", "TRUE", "FALSE", "CASE", "CAST", "NOT", "DISTINCT"].includes(t.upper))
      return undefined;
    parts.push(t.value);
    c.i++;
    if (!acceptPunct(c, ".")) break;
  }
  const next = peek(c);
  if (next && !isPunct(next, ",") && !isWord(next, "FROM", "AS")) return undefined;
  return parts[parts.length - 1];
};

type ColumnResult = {
  column: Column;
  pk: boolean;
  unique?: string | true;
  fk?: ForeignKey;
};

const unqualified = (name: string): string =>
  (name.split(".").pop() ?? "").replace(/^[`"]|[`"]$/g, "").toLowerCase();

/** Translates one non-Postgres migration file's statements into schema mutations. */
export class GenericReplayer {
  private readonly app: Applier;
  private readonly dialect: Dialect;
  private readonly mysql: boolean;
  private readonly sqlite: boolean;
  private st!: Statement;
  private c!: Cursor;

  constructor(app: Applier, dialect: Dialect) {
    this.app = app;
    this.dialect = dialect;
    this.mysql = dialect === "mysql" || dialect === "mariadb";
    this.sqlite = dialect === "sqlite";
  }

  /** Procedures and functions the replayed migrations define, by lower-case unqualified name. */
  private readonly routines = new Map<string, string>();
  /** `SET @var = …` statements of the current file: what a PREPARE usually runs. */
  private userVariables: string[] = [];

  beginFile(): void {
    this.userVariables = [];
  }

  /**
   * MySQL runs code the replay cannot read as DDL: PREPARE (of a string built at run time) and
   * CALL of a stored procedure. Recorded as unverifiable with the names of the text it runs.
   */
  private dynamic(head: string | undefined, st: Statement): boolean {
    if (!this.mysql) return false;
    if (head === "SET" && /^\s*SET\s+@/i.test(st.sql)) this.userVariables.push(st.sql);
    const routine =
      /^\s*CREATE\s+(?:DEFINER\s*=\s*\S+\s+)?(?:PROCEDURE|FUNCTION)\s+(?:IF\s+NOT\s+EXISTS\s+)?([`"\w$.]+)/i.exec(
        st.sql,
      )?.[1];
    if (routine) this.routines.set(unqualified(routine), st.sql);
    const at = { file: st.file, line: st.line };
    if (head === "PREPARE") {
      this.app.unverifiable(
        "dynamic",
        at,
        "This PREPARE runs a statement built at run time, which Covenant cannot follow; its effect on the schema was not analysed.",
        [st.sql, ...this.userVariables].join("\n"),
      );
      return true;
    }
    if (head === "CALL") {
      const name = /^\s*CALL\s+([`"\w$.]+)/i.exec(st.sql)?.[1] ?? "";
      const body = this.routines.get(unqualified(name));
      // A procedure defined here whose body cannot change a schema is followed well enough.
      if (
        body !== undefined &&
        !/\b(?:alter|drop|create|rename|prepare|execute|truncate)\b/i.test(body.replace(/^\s*CREATE\b/i, ""))
      )
        return true;
      this.app.unverifiable(
        "dynamic",
        at,
        `This CALL runs procedure ${name}, which Covenant does not follow; its effect on the schema was not analysed.`,
        [st.sql, body ?? ""].join("\n"),
      );
      return true;
    }
    return false;
  }

  statement(st: Statement): void {
    const head = /^(?:\s|\/\*!?\d*|\*\/|\(|--[^\n]*\n)*([A-Za-z]+)/.exec(st.sql)?.[1]?.toUpperCase();
    if (this.dynamic(head, st)) return;
    if (head !== "CREATE" && head !== "ALTER" && head !== "DROP" && head !== "RENAME" && head !== "INSERT")
      return;
    // Only INSERT … SELECT can be a rebuild's copy; seed data is not even tokenized.
    if (head === "INSERT" && !/\bselect\b/i.test(st.sql)) return;
    this.st = st;
    this.newlines = undefined;
    this.c = { tokens: tokenize(st.sql, this.dialect), i: 0 };
    try {
      this.dispatch();
    } catch (error) {
      if (head === "INSERT") return;
      const pos = error instanceof ParseError ? error.pos : 0;
      this.app.unverifiable(
        "parse-error",
        this.at(pos),
        `Could not understand this ${head} statement (${(error as Error).message}); it was skipped and analysis continued.`,
        st.sql,
      );
    }
  }

  private newlines: number[] | undefined;

  private at(pos: number): SourceLocation {
    if (!this.newlines) {
      this.newlines = [];
      const sql = this.st.sql;
      for (let i = sql.indexOf("\n"); i >= 0; i = sql.indexOf("\n", i + 1)) this.newlines.push(i);
    }
    // Lines before `pos` = newlines at offsets below it (binary search).
    let lo = 0;
    let hi = this.newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.newlines[mid] as number) < pos) lo = mid + 1;
      else hi = mid;
    }
    return { file: this.st.file, line: this.st.line + lo };
  }

  private get loc(): SourceLocation {
    return { file: this.st.file, line: this.st.line };
  }

  private tableName(parts: string[]): string {
    const lower = parts.map((p) => p.toLowerCase());
    if (this.sqlite) {
      const [schema, table] =
        lower.length > 1 ? [lower[lower.length - 2], lower[lower.length - 1]] : ["main", lower[0]];
      return `${schema === "temp" || schema === "temporary" ? "main" : schema}.${table}`;
    }
    return lower.join(".");
  }

  private dispatch(): void {
    const c = this.c;
    if (accept(c, "INSERT")) {
      this.insertSelect();
      return;
    }
    if (accept(c, "CREATE")) {
      this.create();
      return;
    }
    if (accept(c, "ALTER")) {
      accept(c, "ONLINE", "OFFLINE");
      accept(c, "IGNORE");
      if (!accept(c, "TABLE")) return;
      accept(c, "ONLY");
      const ifExists = acceptSeq(c, "IF", "EXISTS");
      this.alterTable(this.tableName(qualifiedName(c)), ifExists);
      return;
    }
    if (accept(c, "DROP")) {
      accept(c, "TEMPORARY");
      if (accept(c, "TABLE", "VIEW")) {
        const ifExists = acceptSeq(c, "IF", "EXISTS");
        do this.app.dropTable(this.tableName(qualifiedName(c)), { ifExists }, this.loc);
        while (acceptPunct(c, ","));
        return;
      }
      if (accept(c, "INDEX")) {
        accept(c, "ONLINE", "OFFLINE");
        const ifExists = acceptSeq(c, "IF", "EXISTS");
        const parts = qualifiedName(c);
        const index = parts[parts.length - 1] as string;
        let table: TableSchema | undefined;
        if (accept(c, "ON")) table = this.app.table(this.tableName(qualifiedName(c)));
        else table = this.app.tableOfIndex(index) ?? this.tableOfIndexCi(index);
        if (table) this.app.dropConstraint(table.name, index, { kinds: ["unique"] }, this.loc);
        void ifExists;
      }
      return;
    }
    if (accept(c, "RENAME")) {
      if (!accept(c, "TABLE", "TABLES")) return;
      do {
        const from = this.tableName(qualifiedName(c));
        expectWord(c, "TO");
        const to = this.tableName(qualifiedName(c));
        this.app.renameTable(from, to, this.loc);
      } while (acceptPunct(c, ","));
    }
  }

  /**
   * `INSERT INTO t (a, b) SELECT x, y FROM s`, the copy step of a table rebuild: which column of t
   * takes which column of s. Only a select list of plain column references counts; any other
   * INSERT moves data, not shape, and is left alone without a finding.
   */
  private insertSelect(): void {
    const c = this.c;
    try {
      if (accept(c, "OR")) accept(c, "REPLACE", "IGNORE", "ABORT", "FAIL", "ROLLBACK");
      accept(c, "IGNORE");
      if (!accept(c, "INTO")) return;
      const target = this.tableName(qualifiedName(c));
      if (!isPunct(peek(c), "(")) return;
      const targets = columnList(c);
      if (!targets || !accept(c, "SELECT")) return;
      const sources: string[] = [];
      do {
        const ref = plainColumnRef(c);
        if (ref === undefined) return;
        sources.push(ref);
        // An alias does not matter: INSERT … SELECT maps by position.
        if (accept(c, "AS")) name(c);
      } while (acceptPunct(c, ","));
      if (!accept(c, "FROM")) return;
      const source = this.tableName(qualifiedName(c));
      if (accept(c, "AS")) name(c);
      else if (peek(c)?.kind === "word" && !isWord(peek(c), "WHERE", "ORDER", "LIMIT")) c.i++;
      // A join or a second table: a column could come from elsewhere.
      const rest = peek(c);
      if (rest && !isWord(rest, "WHERE", "ORDER", "LIMIT") && !isPunct(rest, ";")) return;
      if (sources.length !== targets.length) return;
      this.app.copyRows({
        target,
        source,
        columns: targets.map((to, i) => ({ to, from: sources[i] as string })),
      });
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
    }
  }

  private tableOfIndexCi(index: string): TableSchema | undefined {
    const lower = index.toLowerCase();
    for (const t of this.app.state.datasets.values()) {
      if (t.uniques.some((u) => u.name?.toLowerCase() === lower)) return t;
    }
    return undefined;
  }

  private create(): void {
    const c = this.c;
    let orReplace = false;
    let temporary = false;
    let unique = false;
    // Modifiers before the object kind: OR REPLACE, TEMP, ALGORITHM=…, DEFINER=`u`@`h`, SQL SECURITY …
    for (let guard = 0; guard < 40; guard++) {
      const t = peek(c);
      if (!t) return;
      if (t.kind === "word") {
        switch (t.upper) {
          case "TABLE":
            c.i++;
            this.createTable(temporary);
            return;
          case "VIEW":
            c.i++;
            this.createView(orReplace, temporary);
            return;
          case "INDEX":
            c.i++;
            if (unique) this.createUniqueIndex();
            return;
          case "VIRTUAL":
            if (isWord(peek(c, 1), "TABLE")) {
              c.i += 2;
              this.createVirtualTable();
              return;
            }
            return;
          case "REPLACE":
            orReplace = true;
            break;
          case "TEMP":
          case "TEMPORARY":
          case "VOLATILE":
          case "TRANSIENT":
            temporary = t.upper !== "TRANSIENT";
            break;
          case "UNIQUE":
            unique = true;
            break;
          case "TRIGGER":
          case "PROCEDURE":
          case "FUNCTION":
          case "EVENT":
          case "DATABASE":
          case "SCHEMA":
          case "SEQUENCE":
          case "USER":
          case "ROLE":
          case "STAGE":
          case "STREAM":
          case "TASK":
          case "PIPE":
            return;
          default:
            break;
        }
      }
      c.i++;
    }
  }

  private createTable(temporary: boolean): void {
    const c = this.c;
    const ifNotExists = acceptSeq(c, "IF", "NOT", "EXISTS");
    const parts = qualifiedName(c);
    const name = this.tableName(parts);
    const short = (parts[parts.length - 1] as string).toLowerCase();
    const location = this.loc;
    if (this.sqlite && parts.length > 1 && parts[0]?.toLowerCase() === "temp") temporary = true;
    const likeInParens = isPunct(peek(c), "(") && isWord(peek(c, 1), "LIKE");
    if (likeInParens) c.i += 2;
    if (likeInParens || accept(c, "LIKE")) {
      const source = this.app.table(this.tableName(qualifiedName(c)));
      if (!source) {
        this.app.warn(
          location,
          `CREATE TABLE ${name} LIKE a table not defined by earlier migrations; analysis continued.`,
        );
        return;
      }
      const copy = cloneTable(source);
      for (const col of copy.columns) col.location = location;
      this.app.createTable(
        {
          name,
          kind: "table",
          columns: copy.columns,
          columnsKnown: copy.columnsKnown,
          ...(copy.primaryKey ? { primaryKey: { ...copy.primaryKey, location } } : {}),
          uniques: copy.uniques,
          ifNotExists,
          temporary,
        },
        location,
      );
      return;
    }
    if (!isPunct(peek(c), "(")) {
      // CREATE TABLE … AS SELECT
      while (peek(c) && !isWord(peek(c), "AS", "SELECT")) c.i++;
      accept(c, "AS");
      const { columns, known } = this.selectColumns();
      this.app.createTable(
        { name, kind: "table", columns, columnsKnown: known, ifNotExists, temporary },
        location,
      );
      return;
    }
    c.i++;
    const columns: Column[] = [];
    const uniques: UniqueConstraint[] = [];
    const foreignKeys: ForeignKey[] = [];
    let primaryKey: PrimaryKey | undefined;
    let autoIndex = 0;
    const uniqueName = (explicit: string | undefined, cols: string[]): string => {
      if (explicit) return explicit;
      if (this.sqlite) return `sqlite_autoindex_${short}_${++autoIndex}`;
      if (this.mysql) {
        const base = cols[0] ?? "key";
        let candidate = base;
        for (let k = 2; uniques.some((u) => u.name?.toLowerCase() === candidate.toLowerCase()); k++)
          candidate = `${base}_${k}`;
        return candidate;
      }
      return `${short}_${cols.join("_")}_key`;
    };
    let fkCount = 0;
    const fkName = (explicit: string | undefined): string | undefined =>
      explicit ?? (this.mysql ? `${short}_ibfk_${++fkCount}` : undefined);
    for (;;) {
      const t = peek(c);
      if (!t) fail(c, "unterminated column list");
      const constraint = this.tableConstraint(name);
      if (constraint) {
        if (constraint.kind === "pk")
          primaryKey = {
            name: constraint.name ?? (this.mysql ? "PRIMARY" : undefined),
            columns: constraint.columns,
            location: this.at(t.start),
          } as PrimaryKey;
        else if (constraint.kind === "unique")
          uniques.push({
            name: uniqueName(constraint.name, constraint.columns),
            columns: constraint.columns,
            location: this.at(t.start),
          });
        else if (constraint.kind === "fk" && constraint.fk) {
          const fk = constraint.fk;
          const n = fkName(fk.name);
          if (n) fk.name = n;
          fk.location = this.at(t.start);
          foreignKeys.push(fk);
        }
      } else {
        const r = this.columnDef(name);
        columns.push(r.column);
        if (r.pk)
          primaryKey = {
            ...(this.mysql ? { name: "PRIMARY" } : {}),
            columns: [r.column.name],
            location: r.column.location,
          };
        if (r.unique)
          uniques.push({
            name: uniqueName(r.unique === true ? undefined : r.unique, [r.column.name]),
            columns: [r.column.name],
            location: r.column.location,
          });
        if (r.fk) {
          const n = fkName(r.fk.name);
          if (n) r.fk.name = n;
          foreignKeys.push(r.fk);
        }
      }
      if (acceptPunct(c, ",")) continue;
      expectPunct(c, ")");
      break;
    }
    // Table options: only SQLite's WITHOUT ROWID changes what we model.
    let withoutRowid = false;
    while (peek(c)) {
      if (acceptSeq(c, "WITHOUT", "ROWID")) withoutRowid = true;
      else c.i++;
    }
    const key = (s: string) => s.toLowerCase();
    if (primaryKey) {
      const pkCols = new Set(primaryKey.columns.map(key));
      // Postgres and MySQL make key columns NOT NULL; SQLite only in WITHOUT ROWID tables (a legacy quirk).
      if (!this.sqlite || withoutRowid)
        for (const col of columns) if (pkCols.has(key(col.name))) col.nullable = false;
      if (this.sqlite && primaryKey.columns.length > 0) {
        const col = columns.find((x) => key(x.name) === key(primaryKey?.columns[0] ?? ""));
        const isRowid =
          primaryKey.columns.length === 1 &&
          col?.type.raw.trim().toUpperCase() === "INTEGER" &&
          !withoutRowid;
        if (!isRowid) primaryKey.name ??= `sqlite_autoindex_${short}_${++autoIndex}`;
        // An INTEGER PRIMARY KEY is the rowid itself: inserting NULL assigns the next rowid, so it
        // never holds NULL, though PRAGMA table_info reports notnull = 0.
        else if (col) col.nullable = false;
      }
    }
    for (const fk of foreignKeys) {
      if (fk.references.columns.length === 0) {
        fk.references.columns =
          fk.references.dataset === name
            ? (primaryKey?.columns ?? [])
            : (this.app.table(fk.references.dataset)?.primaryKey?.columns ?? []);
      }
    }
    this.app.createTable(
      {
        name,
        kind: "table",
        columns,
        columnsKnown: true,
        uniques,
        foreignKeys,
        ifNotExists,
        temporary,
        ...(primaryKey ? { primaryKey } : {}),
      },
      location,
    );
  }

  private createVirtualTable(): void {
    const c = this.c;
    const ifNotExists = acceptSeq(c, "IF", "NOT", "EXISTS");
    const name = this.tableName(qualifiedName(c));
    expectWord(c, "USING");
    const module = name.length > 0 ? (peek(c)?.upper ?? "") : "";
    c.i++;
    const columns: Column[] = [];
    let known = module.startsWith("FTS");
    if (acceptPunct(c, "(")) {
      for (;;) {
        const t = peek(c);
        if (!t) break;
        const next = peek(c, 1);
        if (
          (t.kind === "word" || t.kind === "ident") &&
          (isPunct(next, ",") || isPunct(next, ")") || next?.kind === "word")
        ) {
          if (!isPunct(next, "="))
            columns.push({
              name: t.value,
              type: normalizeType("", this.dialect),
              nullable: true,
              location: this.loc,
            });
        }
        skipItem(c);
        if (acceptPunct(c, ",")) continue;
        break;
      }
    }
    if (!known) known = false;
    this.app.createTable({ name, kind: "table", columns, columnsKnown: known, ifNotExists }, this.loc);
  }

  /** A column definition at the cursor (name, type, constraints). */
  private columnDef(table: string): ColumnResult {
    const c = this.c;
    const first = peek(c);
    const colName = name(c);
    const location = first ? this.at(first.start) : this.loc;
    // Type: words up to the first constraint keyword, with its parameter list(s).
    let typeStart = -1;
    let typeEnd = -1;
    for (;;) {
      const t = peek(c);
      if (!t || isPunct(t, ",") || isPunct(t, ")")) break;
      if (t.kind === "word" && COLUMN_STOP.has(t.upper)) break;
      if (t.kind === "word" && (t.upper === "CHARACTER" || t.upper === "CHAR") && isWord(peek(c, 1), "SET"))
        break;
      if (t.kind === "string" && typeStart < 0) break;
      // MySQL `varchar(10) BINARY` (also ASCII / UNICODE) picks a collation or character set,
      // like COLLATE: an attribute after the type, not part of it. `BINARY(16)` alone is a type.
      if (
        this.mysql &&
        typeStart >= 0 &&
        t.kind === "word" &&
        (t.upper === "BINARY" || t.upper === "ASCII" || t.upper === "UNICODE")
      )
        break;
      if (isPunct(t, "(")) {
        if (typeStart < 0) break;
        skipGroup(c);
        typeEnd = (c.tokens[c.i - 1] as Token).end;
        continue;
      }
      if (isPunct(t, "<")) {
        // BigQuery ARRAY<…> / STRUCT<…>
        let depth = 0;
        do {
          const u = peek(c);
          if (!u) break;
          if (isPunct(u, "<")) depth++;
          else if (isPunct(u, ">")) depth--;
          c.i++;
        } while (depth > 0);
        typeEnd = (c.tokens[c.i - 1] as Token).end;
        continue;
      }
      if (typeStart < 0) typeStart = t.start;
      typeEnd = t.end;
      c.i++;
    }
    const rawType = typeStart < 0 ? "" : this.st.sql.slice(typeStart, typeEnd).replace(/\s+/g, " ");
    const type = normalizeType(rawType, this.dialect);
    const column: Column = { name: colName, type, nullable: true, location };
    if (type.values) column.acceptedValues = [...type.values];
    const result: ColumnResult = { column, pk: false };
    let constraintName: string | undefined;
    for (;;) {
      const t = peek(c);
      if (!t || isPunct(t, ",") || isPunct(t, ")")) break;
      if (accept(c, "CONSTRAINT")) {
        if (!isWord(peek(c), "PRIMARY", "UNIQUE", "NOT", "NULL", "CHECK", "REFERENCES", "DEFAULT", "FOREIGN"))
          constraintName = name(c);
        continue;
      }
      if (acceptSeq(c, "NOT", "NULL")) {
        column.nullable = false;
        this.skipConflictClause();
        continue;
      }
      if (accept(c, "NULL")) {
        column.nullable = true;
        continue;
      }
      if (accept(c, "DEFAULT")) {
        column.default = this.expression();
        continue;
      }
      if (acceptSeq(c, "PRIMARY", "KEY")) {
        result.pk = true;
        accept(c, "ASC", "DESC");
        this.skipConflictClause();
        accept(c, "AUTOINCREMENT");
        continue;
      }
      if (accept(c, "UNIQUE")) {
        accept(c, "KEY", "INDEX");
        result.unique = constraintName ?? true;
        this.skipConflictClause();
        continue;
      }
      if (accept(c, "KEY")) {
        // MySQL: a bare KEY on a column means PRIMARY KEY.
        result.pk = true;
        continue;
      }
      if (accept(c, "REFERENCES")) {
        const fk = this.references(table, [colName]);
        if (constraintName) fk.name = constraintName;
        fk.location = location;
        result.fk = fk;
        continue;
      }
      if (accept(c, "AUTO_INCREMENT", "AUTOINCREMENT", "IDENTITY")) {
        if (isPunct(peek(c), "(")) skipGroup(c);
        column.default ??= "auto_increment";
        continue;
      }
      if (accept(c, "GENERATED")) {
        if (acceptSeq(c, "ALWAYS") || acceptSeq(c, "BY", "DEFAULT")) {
          /* fallthrough to AS */
        }
        if (accept(c, "AS")) {
          if (isPunct(peek(c), "(")) {
            const start = peek(c)?.start ?? 0;
            skipGroup(c);
            column.default = `generated as ${this.st.sql.slice(start, (c.tokens[c.i - 1] as Token).end)}`;
          } else if (accept(c, "IDENTITY")) {
            column.default = "identity";
            if (isPunct(peek(c), "(")) skipGroup(c);
          }
        }
        continue;
      }
      if (accept(c, "AS")) {
        const start = peek(c)?.start ?? 0;
        if (isPunct(peek(c), "(")) skipGroup(c);
        column.default = `generated as ${this.st.sql.slice(start, (c.tokens[c.i - 1] as Token).end)}`;
        continue;
      }
      if (accept(c, "CHECK")) {
        if (isPunct(peek(c), "(")) skipGroup(c);
        continue;
      }
      if (acceptSeq(c, "ON", "UPDATE")) {
        this.expression();
        continue;
      }
      if (accept(c, "COLLATE", "COMMENT", "COLUMN_FORMAT", "STORAGE", "SRID", "CHARSET")) {
        acceptPunct(c, "=");
        c.i++;
        continue;
      }
      if (acceptSeq(c, "CHARACTER", "SET") || acceptSeq(c, "CHAR", "SET")) {
        c.i++;
        continue;
      }
      if (this.mysql && accept(c, "BINARY", "ASCII", "UNICODE")) continue;
      // Anything else (VISIBLE, STORED, OPTIONS(…), FIRST/AFTER in ALTER): no effect on shape.
      if (isWord(t, "FIRST", "AFTER")) break;
      if (isPunct(peek(c, 1), "(")) {
        c.i++;
        skipGroup(c);
      } else c.i++;
    }
    return result;
  }

  private skipConflictClause(): void {
    if (acceptSeq(this.c, "ON", "CONFLICT")) this.c.i++;
  }

  /** A default expression's source text. */
  private expression(): string {
    const c = this.c;
    const startTok = peek(c);
    if (!startTok) return "";
    if (isPunct(startTok, "(")) skipGroup(c);
    else {
      if (isPunct(startTok, "-") || isPunct(startTok, "+")) c.i++;
      c.i++;
      // Function call or typed literal: now(), CURRENT_TIMESTAMP(6), b'1', N'x', 'a'::text.
      if (isPunct(peek(c), "(")) skipGroup(c);
      while (isPunct(peek(c), ":") && isPunct(peek(c, 1), ":")) {
        c.i += 3;
        if (isPunct(peek(c), "(")) skipGroup(c);
      }
    }
    const end = (c.tokens[c.i - 1] as Token).end;
    return this.st.sql.slice(startTok.start, end);
  }

  private references(table: string, columns: string[]): ForeignKey {
    const c = this.c;
    const refTable = this.tableName(qualifiedName(c));
    const refColumns = isPunct(peek(c), "(") ? (columnList(c) ?? []) : [];
    // ON DELETE / ON UPDATE / MATCH / DEFERRABLE clauses do not change shape.
    for (;;) {
      if (acceptSeq(c, "ON", "DELETE") || acceptSeq(c, "ON", "UPDATE")) {
        if (!accept(c, "CASCADE", "RESTRICT")) {
          if (!acceptSeq(c, "SET", "NULL") && !acceptSeq(c, "SET", "DEFAULT")) acceptSeq(c, "NO", "ACTION");
        }
        continue;
      }
      if (accept(c, "MATCH")) {
        c.i++;
        continue;
      }
      if (acceptSeq(c, "NOT", "DEFERRABLE") || accept(c, "DEFERRABLE")) {
        if (accept(c, "INITIALLY")) c.i++;
        continue;
      }
      break;
    }
    void table;
    return { columns, references: { dataset: refTable, columns: refColumns } };
  }

  /** A table-level constraint at the cursor, or undefined when the item is a column. */
  private tableConstraint(
    table: string,
  ):
    | { kind: "pk" | "unique" | "fk" | "other"; name?: string; columns: string[]; fk?: ForeignKey }
    | undefined {
    const c = this.c;
    const save = c.i;
    let cname: string | undefined;
    const t = peek(c);
    if (t?.kind !== "word") return undefined;
    if (accept(c, "CONSTRAINT")) {
      if (!isWord(peek(c), "PRIMARY", "UNIQUE", "FOREIGN", "CHECK")) cname = name(c);
    }
    if (acceptSeq(c, "PRIMARY", "KEY")) {
      if (!isPunct(peek(c), "(")) {
        // MySQL index type or name before the column list.
        while (peek(c) && !isPunct(peek(c), "(")) c.i++;
      }
      const columns = columnList(c) ?? [];
      this.skipToItemEnd();
      return { kind: "pk", ...(cname ? { name: cname } : {}), columns };
    }
    if (accept(c, "UNIQUE")) {
      accept(c, "KEY", "INDEX");
      let indexName = cname;
      if (!isPunct(peek(c), "(") && !isWord(peek(c), "USING")) indexName = name(c);
      if (accept(c, "USING")) c.i++;
      const columns = columnList(c);
      this.skipToItemEnd();
      if (!columns) return { kind: "other", columns: [] };
      return { kind: "unique", ...(indexName ? { name: indexName } : {}), columns };
    }
    if (acceptSeq(c, "FOREIGN", "KEY")) {
      let fkName = cname;
      if (!isPunct(peek(c), "(")) fkName = name(c);
      const columns = columnList(c) ?? [];
      expectWord(c, "REFERENCES");
      const fk = this.references(table, columns);
      if (fkName) fk.name = fkName;
      this.skipToItemEnd();
      return { kind: "fk", columns, fk };
    }
    if (isWord(peek(c), "CHECK", "EXCLUDE")) {
      this.skipToItemEnd();
      return { kind: "other", columns: [] };
    }
    if (
      cname === undefined &&
      isWord(peek(c), "KEY", "INDEX", "FULLTEXT", "SPATIAL") &&
      // `key` can also be a column named key: an index definition is followed by a name or '('.
      !(peek(c, 1)?.kind === "word" && COLUMN_TYPE_WORDS.has(peek(c, 1)?.upper ?? ""))
    ) {
      this.skipToItemEnd();
      return { kind: "other", columns: [] };
    }
    c.i = save;
    return undefined;
  }

  private skipToItemEnd(): void {
    skipItem(this.c);
  }

  private createUniqueIndex(): void {
    const c = this.c;
    const ifNotExists = acceptSeq(c, "IF", "NOT", "EXISTS");
    const parts = qualifiedName(c);
    const index = parts[parts.length - 1] as string;
    if (accept(c, "USING")) c.i++;
    expectWord(c, "ON");
    const tableParts = qualifiedName(c);
    // SQLite puts the schema on the index name: CREATE INDEX main.i ON t(…).
    if (this.sqlite && parts.length > 1 && tableParts.length === 1) tableParts.unshift(parts[0] as string);
    const table = this.tableName(tableParts);
    if (accept(c, "USING")) c.i++;
    const columns = columnList(c);
    if (!columns) return;
    const t = this.app.table(table);
    if (!t) {
      this.app.warn(
        this.loc,
        `CREATE UNIQUE INDEX ${index} on ${table}, which is not defined by earlier migrations; analysis continued.`,
      );
      return;
    }
    // A partial unique index only constrains some rows.
    if (ifNotExists && t.uniques.some((u) => u.name?.toLowerCase() === index.toLowerCase())) return;
    this.app.addUnique(table, { name: index, columns }, this.loc);
  }

  private createView(orReplace: boolean, temporary: boolean): void {
    const c = this.c;
    const ifNotExists = acceptSeq(c, "IF", "NOT", "EXISTS");
    const name = this.tableName(qualifiedName(c));
    let aliases: string[] | undefined;
    if (isPunct(peek(c), "(")) aliases = columnList(c);
    while (peek(c) && !isWord(peek(c), "AS")) c.i++;
    expectWord(c, "AS");
    const { columns, known } = this.selectColumns();
    aliases?.forEach((a, i) => {
      const col = columns[i];
      if (col) col.name = a;
    });
    this.app.createTable(
      {
        name,
        kind: "view",
        columns,
        columnsKnown: known && columns.length > 0,
        orReplace,
        ifNotExists,
        temporary,
      },
      this.loc,
    );
  }

  /**
   * Output columns of the SELECT at the cursor, when they can be read off its select list. MySQL
   * and MariaDB give a plain column reference the source column's NOT NULL (in CREATE TABLE … AS
   * SELECT and in views) unless an outer join can fill it with NULL; SQLite and Postgres do not.
   */
  private selectColumns(): { columns: Column[]; known: boolean } {
    const c = this.c;
    while (acceptPunct(c, "(")) {
      /* parenthesised select */
    }
    if (!accept(c, "SELECT")) return { columns: [], known: false };
    accept(c, "DISTINCT", "ALL");
    const items: Token[][] = [];
    let current: Token[] = [];
    let depth = 0;
    for (;;) {
      const t = peek(c);
      if (!t) break;
      if (depth === 0 && isWord(t, "FROM")) break;
      if (isPunct(t, "(")) depth++;
      if (isPunct(t, ")")) depth--;
      if (depth < 0) break;
      c.i++;
      if (depth === 0 && isPunct(t, ",")) {
        items.push(current);
        current = [];
      } else current.push(t);
    }
    if (current.length > 0) items.push(current);
    // FROM: table [alias] [, | JOIN table [alias]]…
    const from = new Map<string, TableSchema | undefined>();
    const tables: Array<TableSchema | undefined> = [];
    // Tables on the NULL-filled side of a LEFT / RIGHT / FULL join.
    const outer = new Set<TableSchema | undefined>();
    let joinKind: string | undefined;
    if (accept(c, "FROM")) {
      for (;;) {
        const t = peek(c);
        if (!t || isPunct(t, "(")) {
          tables.push(undefined);
          break;
        }
        const parts = qualifiedName(c);
        const tbl = this.app.table(this.tableName(parts));
        if (joinKind === "LEFT" || joinKind === "FULL") outer.add(tbl);
        if (joinKind === "RIGHT" || joinKind === "FULL") for (const x of tables) outer.add(x);
        joinKind = undefined;
        tables.push(tbl);
        from.set((parts[parts.length - 1] as string).toLowerCase(), tbl);
        accept(c, "AS");
        const alias = peek(c);
        if (alias && (alias.kind === "ident" || (alias.kind === "word" && !JOIN_WORDS.has(alias.upper)))) {
          from.set(alias.value.toLowerCase(), tbl);
          c.i++;
        }
        let more = false;
        for (;;) {
          const u = peek(c);
          if (!u) break;
          if (isPunct(u, ",")) {
            c.i++;
            more = true;
            break;
          }
          if (isWord(u, "JOIN")) {
            c.i++;
            more = true;
            break;
          }
          if (isWord(u, "LEFT", "RIGHT", "FULL") && !isPunct(peek(c, 1), "(")) joinKind = u.upper;
          if (isWord(u, "WHERE", "GROUP", "ORDER", "LIMIT", "HAVING", "UNION", "WINDOW")) break;
          if (isPunct(u, "(")) skipGroup(c);
          else c.i++;
        }
        if (!more) break;
      }
    }
    const columns: Column[] = [];
    let known = true;
    const location = this.loc;
    const find = (t: TableSchema | undefined, col: string) => (t ? this.app.findColumn(t, col) : undefined);
    const keepsNotNull = (t: TableSchema | undefined, col: Column): boolean =>
      this.mysql && !col.nullable && !outer.has(t);
    for (const item of items) {
      const last = item[item.length - 1];
      if (!last) continue;
      if (isPunct(last, "*")) {
        const qualifier = item.length >= 3 ? item[item.length - 3]?.value.toLowerCase() : undefined;
        const sources = qualifier ? [from.get(qualifier)] : tables;
        if (sources.length === 0 || sources.some((t) => !t?.columnsKnown)) {
          known = false;
          continue;
        }
        for (const t of sources)
          for (const col of t?.columns ?? [])
            columns.push({ ...cloneColumn(col), nullable: !keepsNotNull(t, col), location });
        continue;
      }
      let name: string | undefined;
      let body = item;
      const prev = item[item.length - 2];
      if (
        item.length >= 2 &&
        (last.kind === "ident" || last.kind === "word" || last.kind === "string") &&
        (isWord(prev, "AS") ||
          prev?.kind === "ident" ||
          prev?.kind === "word" ||
          isPunct(prev, ")") ||
          prev?.kind === "string" ||
          prev?.kind === "number")
      ) {
        if (!(item.length >= 3 && isPunct(prev, "."))) {
          name = last.value;
          body = item.slice(0, isWord(prev, "AS") ? -2 : -1);
        }
      }
      let source: Column | undefined;
      let sourceTable: TableSchema | undefined;
      const isRef = body.every((t, k) =>
        k % 2 === 0 ? t.kind === "word" || t.kind === "ident" : isPunct(t, "."),
      );
      if (isRef && body.length > 0) {
        const colName = (body[body.length - 1] as Token).value;
        name ??= colName;
        if (body.length >= 3) {
          sourceTable = from.get((body[body.length - 3] as Token).value.toLowerCase());
          source = find(sourceTable, colName);
        } else
          for (const t of tables) {
            if (source) break;
            source = find(t, colName);
            sourceTable = t;
          }
      }
      if (name === undefined) name = body.map((t) => t.value).join("");
      columns.push({
        name,
        type: source ? cloneType(source.type) : normalizeType("", this.dialect),
        nullable: !(source && keepsNotNull(sourceTable, source)),
        location,
      });
    }
    return { columns, known };
  }

  private alterTable(table: string, ifExists: boolean): void {
    const c = this.c;
    if (!this.app.table(table)) {
      if (!ifExists)
        this.app.unknownTable(
          this.loc,
          `ALTER TABLE ${table}: the table is not defined by earlier migrations; statement skipped, analysis continued.`,
          table,
        );
      return;
    }
    let current = table;
    do {
      const t = peek(c);
      if (!t) return;
      const loc = this.at(t.start);
      current = this.alterAction(current, loc) ?? current;
      skipItem(c);
    } while (acceptPunct(c, ","));
  }

  /** One ALTER TABLE action; returns the table's new name after a RENAME. */
  private alterAction(table: string, loc: SourceLocation): string | undefined {
    const c = this.c;
    const app = this.app;
    const t = peek(c);
    if (accept(c, "ADD")) {
      const constraint = this.tableConstraint(table);
      if (constraint) {
        if (constraint.kind === "pk")
          app.setPrimaryKey(
            table,
            {
              name: constraint.name ?? (this.mysql ? "PRIMARY" : undefined),
              columns: constraint.columns,
            } as PrimaryKey,
            loc,
          );
        else if (constraint.kind === "unique") {
          const tbl = app.table(table);
          const base =
            constraint.name ??
            (this.mysql
              ? (constraint.columns[0] ?? "key")
              : `${table.split(".").pop()}_${constraint.columns.join("_")}_key`);
          let candidate = base;
          for (let k = 2; tbl?.uniques.some((u) => u.name?.toLowerCase() === candidate.toLowerCase()); k++)
            candidate = `${base}_${k}`;
          app.addUnique(table, { name: candidate, columns: constraint.columns }, loc);
        } else if (constraint.kind === "fk" && constraint.fk) {
          const tbl = app.table(table);
          if (!constraint.fk.name && this.mysql) {
            let k = 1;
            const short = table.split(".").pop();
            while (tbl?.foreignKeys.some((f) => f.name === `${short}_ibfk_${k}`)) k++;
            constraint.fk.name = `${short}_ibfk_${k}`;
          }
          app.addForeignKey(table, constraint.fk, loc);
        }
        return undefined;
      }
      accept(c, "COLUMN");
      const ifNotExists = acceptSeq(c, "IF", "NOT", "EXISTS");
      if (acceptPunct(c, "(")) {
        do this.addColumn(table, ifNotExists, loc);
        while (acceptPunct(c, ","));
        expectPunct(c, ")");
        return undefined;
      }
      this.addColumn(table, ifNotExists, loc);
      return undefined;
    }
    if (accept(c, "DROP")) {
      if (acceptSeq(c, "PRIMARY", "KEY")) {
        app.dropPrimaryKey(table, loc);
        return undefined;
      }
      if (accept(c, "INDEX", "KEY")) {
        const idx = name(c);
        app.dropConstraint(table, idx, { kinds: ["unique"] }, loc);
        return undefined;
      }
      if (acceptSeq(c, "FOREIGN", "KEY")) {
        const ifExists = acceptSeq(c, "IF", "EXISTS");
        const fk = name(c);
        if (!app.dropConstraint(table, fk, { kinds: ["fk"] }, loc) && !ifExists) {
          // MySQL keeps the index an FK created; nothing else to do.
        }
        return undefined;
      }
      if (accept(c, "CONSTRAINT", "CHECK")) {
        acceptSeq(c, "IF", "EXISTS");
        app.dropConstraint(table, name(c), {}, loc);
        return undefined;
      }
      if (accept(c, "PARTITION")) return undefined;
      accept(c, "COLUMN");
      const ifExists = acceptSeq(c, "IF", "EXISTS");
      app.dropColumn(table, name(c), { ifExists }, loc);
      return undefined;
    }
    if (accept(c, "CHANGE")) {
      accept(c, "COLUMN");
      acceptSeq(c, "IF", "EXISTS");
      const old = name(c);
      const r = this.columnDef(table);
      r.column.location = loc;
      this.replaceWith(table, old, r, loc);
      return undefined;
    }
    if (accept(c, "MODIFY")) {
      accept(c, "COLUMN");
      acceptSeq(c, "IF", "EXISTS");
      const r = this.columnDef(table);
      r.column.location = loc;
      this.replaceWith(table, r.column.name, r, loc);
      return undefined;
    }
    if (accept(c, "ALTER")) {
      accept(c, "COLUMN");
      const col = name(c);
      if (acceptSeq(c, "SET", "DEFAULT")) app.alterColumn(table, col, { default: this.expression() }, loc);
      else if (acceptSeq(c, "DROP", "DEFAULT")) app.alterColumn(table, col, { default: null }, loc);
      else if (acceptSeq(c, "SET", "NOT", "NULL")) app.alterColumn(table, col, { nullable: false }, loc);
      else if (acceptSeq(c, "DROP", "NOT", "NULL")) app.alterColumn(table, col, { nullable: true }, loc);
      else if (acceptSeq(c, "SET", "DATA", "TYPE") || accept(c, "TYPE")) {
        const start = peek(c)?.start ?? 0;
        skipItem(c);
        const raw = this.st.sql.slice(start, (c.tokens[c.i - 1] as Token).end).trim();
        app.alterColumn(table, col, { type: normalizeType(raw, this.dialect) }, loc);
      } else if (accept(c, "SET", "DROP")) {
        // SET VISIBLE / INVISIBLE / OPTIONS: no effect on shape.
      } else fail(c, `ALTER COLUMN ${col}: unsupported change`);
      return undefined;
    }
    if (accept(c, "RENAME")) {
      if (accept(c, "COLUMN")) {
        const from = name(c);
        expectWord(c, "TO");
        app.renameColumn(table, from, name(c), loc);
        return undefined;
      }
      if (accept(c, "INDEX", "KEY")) {
        const from = name(c);
        expectWord(c, "TO");
        app.renameConstraint(table, from, name(c), loc);
        return undefined;
      }
      if (accept(c, "TO", "AS") || !isWord(peek(c, 1), "TO")) {
        const parts = qualifiedName(c);
        // SQLite and MySQL keep a renamed table in its schema unless one is named.
        const to =
          this.sqlite && parts.length === 1
            ? `${table.split(".")[0]}.${(parts[0] as string).toLowerCase()}`
            : this.tableName(parts);
        app.renameTable(table, to, loc);
        return to;
      }
      // SQLite: RENAME a TO b (COLUMN is optional).
      const from = name(c);
      expectWord(c, "TO");
      app.renameColumn(table, from, name(c), loc);
      return undefined;
    }
    if (t && t.kind === "word" && IGNORED_ALTER.has(t.upper)) return undefined;
    if (t && t.kind === "word" && (t.upper === "MODIFY" || t.upper === "SWAP"))
      return fail(c, `${t.value} is not supported`);
    return fail(c, "unsupported ALTER TABLE action");
  }

  private addColumn(table: string, ifNotExists: boolean, loc: SourceLocation): void {
    const r = this.columnDef(table);
    r.column.location = loc;
    const tbl = this.app.table(table);
    const had = tbl ? this.app.findColumn(tbl, r.column.name) : undefined;
    this.app.addColumn(table, r.column, { ifNotExists }, loc);
    if (had) return;
    if (r.pk)
      this.app.setPrimaryKey(
        table,
        { ...(this.mysql ? { name: "PRIMARY" } : {}), columns: [r.column.name] },
        loc,
        !this.sqlite,
      );
    if (r.unique)
      this.app.addUnique(
        table,
        { name: r.unique === true ? r.column.name : r.unique, columns: [r.column.name] },
        loc,
      );
    if (r.fk) this.app.addForeignKey(table, r.fk, loc);
  }

  private replaceWith(table: string, old: string, r: ColumnResult, loc: SourceLocation): void {
    const tbl = this.app.table(table);
    if (tbl?.primaryKey?.columns.some((x) => x.toLowerCase() === old.toLowerCase()))
      r.column.nullable = false;
    this.app.replaceColumn(table, old, r.column, loc);
    if (r.pk) this.app.setPrimaryKey(table, { name: "PRIMARY", columns: [r.column.name] }, loc);
    if (r.unique)
      this.app.addUnique(
        table,
        { name: r.unique === true ? r.column.name : r.unique, columns: [r.column.name] },
        loc,
      );
  }
}

const JOIN_WORDS = new Set([
  "JOIN",
  "LEFT",
  "RIGHT",
  "INNER",
  "OUTER",
  "CROSS",
  "FULL",
  "NATURAL",
  "ON",
  "USING",
  "WHERE",
  "GROUP",
  "ORDER",
  "LIMIT",
  "HAVING",
  "UNION",
  "STRAIGHT_JOIN",
  "WINDOW",
]);

const COLUMN_TYPE_WORDS = new Set([
  "INT",
  "INTEGER",
  "BIGINT",
  "SMALLINT",
  "TINYINT",
  "VARCHAR",
  "CHAR",
  "TEXT",
  "BLOB",
  "DATE",
  "DATETIME",
  "TIMESTAMP",
  "BOOLEAN",
  "BOOL",
  "DECIMAL",
  "NUMERIC",
  "FLOAT",
  "DOUBLE",
  "REAL",
  "JSON",
  "VARBINARY",
  "BINARY",
  "ENUM",
  "MEDIUMTEXT",
  "LONGTEXT",
  "STRING",
]);
