import { loadModule, parseSync } from "libpg-query";
import { cloneColumn, cloneType } from "../model/clone-schema.ts";
import { normalizeType } from "../model/normalize-type.ts";
import type { Column, ForeignKey, SourceLocation, TableSchema, UniqueConstraint } from "../model/schema.ts";
import type { NormalizedType } from "../model/type-family.ts";
import type { Applier, PrimaryKey, TableSpec } from "./apply.ts";
import { PostgresDynamic } from "./postgres-dynamic.ts";
import type { Statement } from "./split.ts";
import { utf8Length } from "./utf8.ts";

// The libpg-query AST is consumed structurally: only the fields read here matter, and every
// access is guarded, so a shape we did not expect degrades into a finding, never a crash.
// biome-ignore lint/suspicious/noExplicitAny: untyped JSON AST from the parser
type Node = any;

let loaded: Promise<void> | undefined;
/** The Postgres parser is WASM and needs one asynchronous load per process. */
export const loadPostgresParser = (): Promise<void> => {
  loaded ??= loadModule();
  return loaded;
};

const NAMEDATALEN = 63;

/** Postgres' makeObjectName: the default name of an index or constraint, truncated like the server does. */
export const pgObjectName = (name1: string, name2: string | undefined, label: string): string => {
  const overhead = label.length + 1 + (name2 !== undefined ? 1 : 0);
  const avail = NAMEDATALEN - overhead;
  let n1 = name1.length;
  let n2 = name2?.length ?? 0;
  while (n1 + n2 > avail) {
    if (n1 > n2) n1--;
    else n2--;
  }
  return name2 !== undefined
    ? `${name1.slice(0, n1)}_${name2.slice(0, n2)}_${label}`
    : `${name1.slice(0, n1)}_${label}`;
};

const str = (n: Node): string | undefined => n?.String?.sval;
const strs = (list: Node[] | undefined): string[] =>
  (list ?? []).map(str).filter((s): s is string => s !== undefined);

const SERIALS: Record<string, string> = {
  serial: "integer",
  serial4: "integer",
  bigserial: "bigint",
  serial8: "bigint",
  smallserial: "smallint",
  serial2: "smallint",
};

const SHAPELESS_SUBTYPES = new Set([
  "AT_SetStatistics",
  "AT_SetOptions",
  "AT_ResetOptions",
  "AT_SetStorage",
  "AT_SetCompression",
  "AT_ClusterOn",
  "AT_DropCluster",
  "AT_SetLogged",
  "AT_SetUnLogged",
  "AT_SetRelOptions",
  "AT_ResetRelOptions",
  "AT_ReplaceRelOptions",
  "AT_EnableTrig",
  "AT_EnableAlwaysTrig",
  "AT_EnableReplicaTrig",
  "AT_DisableTrig",
  "AT_EnableTrigAll",
  "AT_DisableTrigAll",
  "AT_EnableTrigUser",
  "AT_DisableTrigUser",
  "AT_EnableRule",
  "AT_EnableAlwaysRule",
  "AT_EnableReplicaRule",
  "AT_DisableRule",
  "AT_ChangeOwner",
  "AT_SetTableSpace",
  "AT_SetAccessMethod",
  "AT_ValidateConstraint",
  "AT_AlterConstraint",
  "AT_ReplicaIdentity",
  "AT_EnableRowSecurity",
  "AT_DisableRowSecurity",
  "AT_ForceRowSecurity",
  "AT_NoForceRowSecurity",
  "AT_GenericOptions",
  "AT_AlterColumnGenericOptions",
  "AT_AddInherit",
  "AT_DropInherit",
  "AT_AddOf",
  "AT_DropOf",
  "AT_AttachPartition",
  "AT_DetachPartition",
  "AT_DetachPartitionFinalize",
  "AT_AddIdentity",
  "AT_SetIdentity",
  "AT_DropIdentity",
  "AT_SetExpression",
  "AT_DropExpression",
  "AT_SetWithoutOids",
  "AT_DropOids",
]);

/**
 * Maps parser byte offsets to lines of the statement (offsets are UTF-8 bytes). `base` is where
 * the statement starts in the text the parser read, when it read a batch of statements.
 */
class Source {
  readonly sql: string;
  readonly line: number;
  readonly file: string;
  private readonly base: number;
  private chars?: Int32Array;
  private newlines?: number[];
  private ascii?: boolean;

  constructor(st: Statement, base = 0) {
    this.sql = st.sql;
    this.line = st.line;
    this.file = st.file;
    this.base = base;
  }

  charIndex(parserOffset: number): number {
    const byteOffset = parserOffset - this.base;
    this.ascii ??= /^[\x00-\x7f]*$/.test(this.sql);
    if (this.ascii) return byteOffset;
    if (!this.chars) {
      const map: number[] = [];
      for (let i = 0; i < this.sql.length; i++) {
        const cp = this.sql.codePointAt(i) ?? 0;
        const len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        for (let k = 0; k < len; k++) map.push(i);
        if (cp >= 0x10000) i++;
      }
      map.push(this.sql.length);
      this.chars = Int32Array.from(map);
    }
    return this.chars[byteOffset] ?? this.sql.length;
  }

  at(parserOffset: number | undefined): SourceLocation {
    if (parserOffset === undefined || parserOffset < this.base) return { file: this.file, line: this.line };
    const end = this.charIndex(parserOffset);
    if (!this.newlines) {
      this.newlines = [];
      for (let i = this.sql.indexOf("\n"); i >= 0; i = this.sql.indexOf("\n", i + 1)) this.newlines.push(i);
    }
    let lo = 0;
    let hi = this.newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.newlines[mid] as number) < end) lo = mid + 1;
      else hi = mid;
    }
    return { file: this.file, line: this.line + lo };
  }

  get location(): SourceLocation {
    return { file: this.file, line: this.line };
  }
}

const minLocation = (node: Node): number => {
  let best = Number.POSITIVE_INFINITY;
  const walk = (n: Node): void => {
    if (n === null || typeof n !== "object") return;
    if (Array.isArray(n)) {
      for (const x of n) walk(x);
      return;
    }
    for (const k in n) {
      const v = n[k];
      if (k === "location" && typeof v === "number" && v >= 0 && v < best) best = v;
      else walk(v);
    }
  };
  walk(node);
  return best;
};

const STOP_WORDS = /^(not|null|constraint|primary|unique|references|check|collate|generated|default)$/i;

/** Text of an expression from the source, since the parser gives a start offset but no end. */
const exprText = (src: Source, node: Node): string => {
  const start = minLocation(node);
  if (!Number.isFinite(start)) return "?";
  const sql = src.sql;
  let i = src.charIndex(start);
  // A string literal's location can point after a prefix such as E or a type name.
  const from = i;
  let depth = 0;
  let first = true;
  while (i < sql.length) {
    const c = sql[i] as string;
    if (c === "'" || c === '"') {
      const close = c;
      i++;
      while (i < sql.length) {
        if (sql[i] === close) {
          if (sql[i + 1] === close) i += 2;
          else break;
        } else i++;
      }
      i++;
      first = false;
      continue;
    }
    if (c === "$") {
      const m = /^\$[A-Za-z_]*\$/.exec(sql.slice(i, i + 64));
      if (m) {
        const end = sql.indexOf(m[0], i + m[0].length);
        i = end < 0 ? sql.length : end + m[0].length;
        first = false;
        continue;
      }
    }
    if (c === "(") depth++;
    else if (c === ")") {
      if (depth === 0) break;
      depth--;
    } else if (c === "," && depth === 0) break;
    else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(sql.slice(i, i + 64));
      const word = m?.[0] ?? c;
      if (!first && depth === 0 && STOP_WORDS.test(word)) break;
      i += word.length;
      first = false;
      continue;
    }
    if (!/\s/.test(c)) first = false;
    i++;
  }
  return sql.slice(from, i).trim();
};

type Ctx = {
  app: Applier;
  searchPath: string[];
  /** Schema that unqualified CREATEs go to inside CREATE SCHEMA … CREATE TABLE. */
  createSchema?: string;
};

/** Translates one Postgres migration file's statements into schema mutations. */
/**
 * A column of CREATE TABLE … AS / a view read off a plain column reference: Postgres keeps its
 * type, so a NOT NULL domain's NOT NULL, but neither the column's own NOT NULL nor its default.
 */
const copiedColumn = (c: Column, name: string, location: SourceLocation): Column => {
  const column: Column = { name, type: cloneType(c.type), nullable: !c.domainNotNull, location };
  if (c.type.values) column.acceptedValues = [...c.type.values];
  if (c.domainNotNull) column.domainNotNull = { ownNotNull: false };
  return column;
};

/**
 * The body of a statement that is exactly `DO $tag$ … $tag$` (the form migrations write), read
 * without the SQL parser: the PL/pgSQL parser reads the body anyway, and for a DO block the SQL
 * parse is most of a parse of its own. Anything else (a LANGUAGE clause, a quoted body, a comment
 * between the words, a tag Postgres spells otherwise) is left to the parser.
 */
const DO_BLOCK = /^do[ \t\n\r\f]+(\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$)/i;
const plainDoBody = (sql: string): string | undefined => {
  const m = DO_BLOCK.exec(sql);
  if (!m) return undefined;
  const tag = m[1] as string;
  const start = m[0].length;
  const end = sql.indexOf(tag, start);
  if (end < 0 || !/^[ \t\n\r\f]*$/.test(sql.slice(end + tag.length))) return undefined;
  const body = sql.slice(start, end);
  // The parser reads C strings: a NUL ends the text it sees, so such a statement is its to judge.
  return body.includes("\0") ? undefined : body;
};

/** Characters of SQL per parser call when statements are parsed in batches (see `prepare`). */
const BATCH_CHARS = 64 * 1024;
const BATCH_SEPARATOR = "\n;\n";

export class PostgresReplayer {
  private readonly app: Applier;
  /** Statements of the current file parsed ahead: their parser statements and where they start. */
  private readonly prepared = new Map<Statement, { stmts: Node[]; base: number }>();
  private searchPath: string[] = ["public"];
  private readonly dynamic: PostgresDynamic;

  constructor(app: Applier) {
    this.app = app;
    this.dynamic = new PostgresDynamic(app, (sql, at) =>
      this.statement({ sql, file: at.file, line: at.line, endLine: at.line }),
    );
  }

  beginFile(): void {
    // Each migration file runs in its own session: SET search_path does not carry over.
    this.searchPath = ["public"];
    this.prepared.clear();
  }

  /**
   * Parses a file's statements ahead, many per parser call: each call into the WASM parser has a
   * fixed cost (copying the text in, setting up the parser, returning JSON), which one call per
   * statement paid thousands of times. A batch is used only when it parses and every statement
   * the parser found lies within one of ours; otherwise its statements are parsed one by one, as
   * `statement` always did, so findings and positions do not change.
   */
  prepare(statements: readonly Statement[]): void {
    this.prepared.clear();
    let batch: Statement[] = [];
    let chars = 0;
    const flush = () => {
      if (batch.length > 1) this.parseBatch(batch);
      batch = [];
      chars = 0;
    };
    for (const st of statements) {
      // A block comment may nest in Postgres and not in the splitter, and an empty statement is
      // an error of its own: such statements are parsed alone.
      if (st.sql.length === 0 || st.sql.length > BATCH_CHARS || st.sql.includes("/*")) {
        flush();
        continue;
      }
      if (plainDoBody(st.sql) !== undefined) continue; // `statement` reads it without the SQL parser
      if (chars + st.sql.length > BATCH_CHARS) flush();
      batch.push(st);
      chars += st.sql.length + BATCH_SEPARATOR.length;
    }
    flush();
  }

  private parseBatch(batch: readonly Statement[]): void {
    let tree: Node;
    try {
      tree = parseSync(batch.map((st) => st.sql).join(BATCH_SEPARATOR));
    } catch {
      return; // a statement does not parse: `statement` parses each and reports the one that fails
    }
    // Byte ranges of the statements in the batch's text; the separator is "\n;\n".
    const starts: number[] = [];
    const ends: number[] = [];
    let at = 0;
    for (const st of batch) {
      starts.push(at);
      at += utf8Length(st.sql);
      ends.push(at);
      at += BATCH_SEPARATOR.length;
    }
    const total = at - BATCH_SEPARATOR.length;
    const found: Node[][] = batch.map(() => []);
    let k = 0;
    for (const raw of tree.stmts ?? []) {
      const location: number = raw.stmt_location ?? 0;
      while (k + 1 < starts.length && (starts[k + 1] as number) <= location) k++;
      // The parser's statement runs to its semicolon: the separator's, one byte after ours ends.
      const end = raw.stmt_len ? location + raw.stmt_len : total;
      if (location < (starts[k] as number) || end > (ends[k] as number) + 1) return;
      (found[k] as Node[]).push(raw);
    }
    batch.forEach((st, i) => {
      this.prepared.set(st, { stmts: found[i] as Node[], base: starts[i] as number });
    });
  }

  statement(st: Statement): void {
    const ready = this.prepared.get(st);
    if (ready) {
      this.prepared.delete(st);
      this.applyAll(ready.stmts, new Source(st, ready.base), st);
      return;
    }
    const body = plainDoBody(st.sql);
    if (body !== undefined) {
      const src = new Source(st);
      this.guarded(src, st, () => this.dynamic.doBlock(body, "plpgsql", src));
      return;
    }
    let tree: Node;
    try {
      tree = parseSync(st.sql);
    } catch (error) {
      // The WASM parser out of memory or stack is broken for every later statement: stop the
      // analysis (an error, never a verdict) rather than report each of them as unparseable.
      if (error instanceof RangeError || (error as Error | undefined)?.name === "RuntimeError")
        throw new Error(`the PostgreSQL parser failed on ${st.file}:${st.line}: ${(error as Error).message}`);
      const e = error as { message?: string; sqlDetails?: { cursorPosition?: number } };
      const src = new Source(st);
      const at = e.sqlDetails?.cursorPosition;
      const loc = at !== undefined && at >= 0 ? src.at(at) : src.location;
      this.app.unverifiable(
        "parse-error",
        loc,
        `Could not parse this statement as PostgreSQL (${e.message ?? "syntax error"}); it was skipped and analysis continued.`,
        st.sql,
      );
      return;
    }
    this.applyAll(tree.stmts ?? [], new Source(st), st);
  }

  private applyAll(stmts: Node[], src: Source, st: Statement): void {
    for (const raw of stmts)
      this.guarded(src, st, () => this.apply({ app: this.app, searchPath: this.searchPath }, raw.stmt, src));
  }

  /** Applies one parsed statement; what fails to apply is reported and the replay goes on. */
  private guarded(src: Source, st: Statement, apply: () => void): void {
    try {
      apply();
    } catch (error) {
      this.app.unverifiable(
        "parse-error",
        src.location,
        `Could not apply this statement (${(error as Error).message}); it was skipped and analysis continued.`,
        st.sql,
      );
    }
  }

  // ---------------------------------------------------------------- names

  private qualifyNew(ctx: Ctx, rv: Node): string {
    const schema = rv.schemaname ?? ctx.createSchema ?? ctx.searchPath[0] ?? "public";
    return `${schema}.${rv.relname}`;
  }

  private resolve(ctx: Ctx, schema: string | undefined, name: string): string {
    if (schema) return `${schema}.${name}`;
    for (const s of ctx.searchPath) {
      const q = `${s}.${name}`;
      if (this.app.state.datasets.has(q)) return q;
    }
    return `${ctx.createSchema ?? ctx.searchPath[0] ?? "public"}.${name}`;
  }

  private rel(ctx: Ctx, rv: Node): string {
    return this.resolve(ctx, rv.schemaname, rv.relname);
  }

  private resolveType(ctx: Ctx, parts: string[]): string {
    const name = parts[parts.length - 1] ?? "";
    if (parts.length > 1) return `${parts[parts.length - 2]}.${name}`;
    for (const s of ctx.searchPath) {
      const q = `${s}.${name}`;
      if (this.app.state.enums.has(q) || this.app.state.domains?.has(q)) return q;
    }
    return `${ctx.createSchema ?? ctx.searchPath[0] ?? "public"}.${name}`;
  }

  private listName(ctx: Ctx, n: Node): string | undefined {
    const items = strs(n?.List?.items);
    const name = items[items.length - 1];
    if (name === undefined) return undefined;
    return this.resolve(ctx, items.length > 1 ? items[items.length - 2] : undefined, name);
  }

  // ---------------------------------------------------------------- types

  private typeOf(ctx: Ctx, tn: Node): { type: NormalizedType; notNull: boolean; serial?: string } {
    let names = strs(tn?.names);
    if (names[0] === "pg_catalog" && names.length > 1) names = names.slice(1);
    const arrays = (tn?.arrayBounds ?? []).length;
    const last = names[names.length - 1] ?? "unknown";
    if (names.length === 1 && SERIALS[last] && arrays === 0) {
      return { type: normalizeType(SERIALS[last] as string, "postgres"), notNull: true, serial: last };
    }
    const qualified =
      names.length > 1 || this.isUserType(ctx, last) ? this.resolveType(ctx, names) : undefined;
    if (qualified) {
      const domain = this.app.state.domains?.get(qualified);
      if (domain) {
        const type = arrays > 0 ? { ...domain.type, array: true } : domain.type;
        return { type, notNull: arrays === 0 && !domain.nullable };
      }
      const en = this.app.state.enums.get(qualified);
      if (en) {
        // Enum columns carry the enum's short name, so ALTER TYPE can find them again, and read
        // and write their labels as strings, as MySQL's enum(…) does.
        const t = normalizeType(short(qualified) + "[]".repeat(arrays), "postgres");
        return { type: { ...t, family: "string", values: [...en.values] }, notNull: false };
      }
    }
    const mods =
      last === "interval"
        ? []
        : (tn?.typmods ?? []).map(
            (m: Node) => m?.A_Const?.ival?.ival ?? m?.A_Const?.sval?.sval ?? str(m?.ColumnRef?.fields?.[0]),
          );
    const raw = names.join(".") + (mods.length > 0 ? `(${mods.join(",")})` : "") + "[]".repeat(arrays);
    return { type: normalizeType(raw, "postgres"), notNull: false };
  }

  private isUserType(ctx: Ctx, name: string): boolean {
    for (const s of ctx.searchPath) {
      const q = `${s}.${name}`;
      if (this.app.state.enums.has(q) || this.app.state.domains?.has(q)) return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- columns and constraints

  private column(
    ctx: Ctx,
    def: Node,
    table: string,
    src: Source,
  ): { column: Column; pk: boolean; unique?: string | true; fk?: ForeignKey; notNullFromPk: boolean } {
    const { type, notNull, serial } = this.typeOf(ctx, def.typeName);
    const fromDomain = notNull && serial === undefined;
    let ownNotNull = serial !== undefined;
    const location = src.at(def.location);
    const column: Column = { name: def.colname, type, nullable: !notNull, location };
    if (type.values) column.acceptedValues = [...type.values];
    if (serial)
      column.default = `nextval('${pgObjectName(table.split(".").pop() ?? table, def.colname, "seq")}'::regclass)`;
    let pk = false;
    let unique: string | true | undefined;
    let fk: ForeignKey | undefined;
    for (const cn of def.constraints ?? []) {
      const c = cn?.Constraint;
      if (!c) continue;
      switch (c.contype) {
        case "CONSTR_NOTNULL":
          column.nullable = false;
          ownNotNull = true;
          break;
        case "CONSTR_NULL":
          column.nullable = !fromDomain;
          ownNotNull = false;
          break;
        case "CONSTR_DEFAULT":
          if (c.raw_expr?.A_Const?.isnull) delete column.default;
          else column.default = exprText(src, c.raw_expr);
          break;
        case "CONSTR_IDENTITY":
          column.nullable = false;
          ownNotNull = true;
          column.default = `generated ${c.generated_when === "a" ? "always" : "by default"} as identity`;
          break;
        case "CONSTR_GENERATED":
          column.default = `generated always as (${exprText(src, c.raw_expr)})`;
          break;
        case "CONSTR_PRIMARY":
          pk = true;
          column.nullable = false;
          ownNotNull = true;
          break;
        case "CONSTR_UNIQUE":
          unique = c.conname ?? true;
          break;
        case "CONSTR_FOREIGN":
          fk = {
            columns: [def.colname],
            references: { dataset: this.rel(ctx, c.pktable), columns: strs(c.pk_attrs) },
            location,
          };
          if (c.conname) fk.name = c.conname;
          break;
        default:
          break;
      }
    }
    if (fromDomain) column.domainNotNull = { ownNotNull };
    return { column, pk, unique, fk, notNullFromPk: pk };
  }

  /**
   * ALTER COLUMN … TYPE: a NOT NULL that came from a domain goes with it, while the column's own
   * NOT NULL (or its primary key) stays; a new NOT NULL domain brings its own.
   */
  private retype(ctx: Ctx, table: string, name: string, typeName: Node, loc: SourceLocation): void {
    const { type, notNull } = this.typeOf(ctx, typeName);
    const t = this.app.table(table);
    const c = t ? this.app.findColumn(t, name) : undefined;
    if (!t || !c) {
      this.app.alterColumn(table, name, { type }, loc);
      return;
    }
    const inKey = (t.primaryKey?.columns ?? []).includes(c.name);
    const own = (c.domainNotNull ? c.domainNotNull.ownNotNull : !c.nullable) || inKey;
    if (notNull) c.domainNotNull = { ownNotNull: own };
    else delete c.domainNotNull;
    this.app.alterColumn(table, name, { type, nullable: !(own || notNull) }, loc);
  }

  /** SET / DROP NOT NULL change the column's own constraint; a NOT NULL domain still holds. */
  private setOwnNotNull(table: string, name: string, notNull: boolean, loc: SourceLocation): void {
    const t = this.app.table(table);
    const c = t ? this.app.findColumn(t, name) : undefined;
    if (c?.domainNotNull) {
      c.domainNotNull.ownNotNull = notNull;
      return;
    }
    this.app.alterColumn(table, name, { nullable: !notNull }, loc);
  }

  private fkFrom(ctx: Ctx, c: Node, table: string, location: SourceLocation): ForeignKey {
    const columns = strs(c.fk_attrs);
    const refTable = this.rel(ctx, c.pktable);
    let refColumns = strs(c.pk_attrs);
    if (refColumns.length === 0) refColumns = this.app.table(refTable)?.primaryKey?.columns ?? [];
    return {
      name: c.conname ?? pgObjectName(short(table), columns.join("_"), "fkey"),
      columns,
      references: { dataset: refTable, columns: refColumns },
      location,
    };
  }

  // ---------------------------------------------------------------- statements

  private apply(ctx: Ctx, stmt: Node, src: Source): void {
    const [kind] = Object.keys(stmt ?? {});
    const node = kind ? stmt[kind] : undefined;
    switch (kind) {
      case "CreateStmt":
        this.createTable(ctx, node, src);
        return;
      case "CreateForeignTableStmt":
        this.createTable(ctx, node.base, src);
        return;
      case "CreateTableAsStmt":
        this.createAs(ctx, node.into, node.query, node.objtype === "OBJECT_MATVIEW" ? "view" : "table", src, {
          ifNotExists: node.if_not_exists,
        });
        return;
      case "SelectStmt":
        if (node.intoClause)
          this.createAs(
            ctx,
            node.intoClause,
            { SelectStmt: { ...node, intoClause: undefined } },
            "table",
            src,
            {},
          );
        else this.dynamic.inspect(kind, node, src);
        return;
      case "ViewStmt":
        this.createView(ctx, node, src);
        return;
      case "AlterTableStmt":
        this.alterTable(ctx, node, src);
        return;
      case "RenameStmt":
        this.rename(ctx, node, src);
        return;
      case "AlterObjectSchemaStmt":
        this.setSchema(ctx, node, src);
        return;
      case "DropStmt":
        this.drop(ctx, node, src);
        return;
      case "IndexStmt":
        this.createIndex(ctx, node, src);
        return;
      case "CreateEnumStmt":
        this.createEnum(ctx, node, src);
        return;
      case "AlterEnumStmt":
        this.alterEnum(ctx, node, src);
        return;
      case "CreateDomainStmt":
        this.createDomain(ctx, node, src);
        return;
      case "CreateSchemaStmt": {
        const inner: Ctx = { ...ctx, createSchema: node.schemaname };
        for (const el of node.schemaElts ?? []) this.apply(inner, el, src);
        return;
      }
      case "VariableSetStmt":
        if (node.name === "search_path") {
          if (node.kind === "VAR_SET_VALUE") {
            const path = (node.args ?? [])
              .map((a: Node) => a?.A_Const?.sval?.sval ?? str(a?.ColumnRef?.fields?.[0]))
              .filter((s: string | undefined): s is string => !!s && s !== "$user" && s !== "pg_catalog");
            this.searchPath = path.length > 0 ? path : ["public"];
          } else this.searchPath = ["public"];
          ctx.searchPath = this.searchPath;
        }
        return;
      default:
        // Everything else (grants, comments, DML, transactions, sequences, extensions, non-unique
        // indexes…) leaves table shape unchanged, unless it runs code: DO blocks, calls, triggers.
        if (kind) this.dynamic.inspect(kind, node, src);
        return;
    }
  }

  private createTable(ctx: Ctx, node: Node, src: Source): void {
    const name = this.qualifyNew(ctx, node.relation);
    const tableName = node.relation.relname as string;
    const location = src.location;
    const columns: Column[] = [];
    const uniques: UniqueConstraint[] = [];
    const foreignKeys: ForeignKey[] = [];
    let primaryKey: PrimaryKey | undefined;
    const find = (n: string) => columns.find((c) => c.name === n);
    const inherit = (
      parent: TableSchema | undefined,
      parentName: string,
      withDefaults: boolean,
      withKeys: boolean,
    ) => {
      if (!parent) {
        this.app.warn(
          location,
          `${name} copies columns from ${parentName}, which is not defined by earlier migrations; its columns may be incomplete. Analysis continued.`,
        );
        return false;
      }
      for (const c of parent.columns) {
        if (find(c.name)) continue;
        const copy: Column = cloneColumn(c);
        copy.location = location;
        if (!withDefaults) delete copy.default;
        columns.push(copy);
      }
      if (withKeys) {
        if (parent.primaryKey)
          primaryKey = {
            columns: [...parent.primaryKey.columns],
            name: pgObjectName(tableName, undefined, "pkey"),
            location,
          };
        for (const u of parent.uniques)
          uniques.push({
            name: pgObjectName(tableName, u.columns.join("_"), "key"),
            columns: [...u.columns],
            location,
          });
      }
      return true;
    };
    let known = true;
    const partitionOf = node.partbound !== undefined;
    for (const inh of node.inhRelations ?? []) {
      const rv = inh?.RangeVar;
      if (!rv) continue;
      const parentName = this.rel(ctx, rv);
      if (!inherit(this.app.table(parentName), parentName, true, partitionOf)) known = false;
    }
    for (const el of node.tableElts ?? []) {
      if (el.ColumnDef) {
        const def = el.ColumnDef;
        if (!def.typeName) {
          // Partition / typed-table column options (`col WITH OPTIONS NOT NULL`).
          const c = find(def.colname);
          if (c && (def.constraints ?? []).some((x: Node) => x?.Constraint?.contype === "CONSTR_NOTNULL"))
            c.nullable = false;
          continue;
        }
        const r = this.column(ctx, def, name, src);
        const existing = find(def.colname);
        if (existing) columns.splice(columns.indexOf(existing), 1, r.column);
        else columns.push(r.column);
        if (r.pk)
          primaryKey = {
            name: pgObjectName(tableName, undefined, "pkey"),
            columns: [def.colname],
            location: r.column.location,
          };
        if (r.unique) {
          uniques.push({
            name: r.unique === true ? pgObjectName(tableName, def.colname, "key") : r.unique,
            columns: [def.colname],
            location: r.column.location,
          });
        }
        if (r.fk) {
          r.fk.name ??= pgObjectName(tableName, def.colname, "fkey");
          if (r.fk.references.columns.length === 0) {
            r.fk.references.columns =
              r.fk.references.dataset === name
                ? []
                : (this.app.table(r.fk.references.dataset)?.primaryKey?.columns ?? []);
          }
          foreignKeys.push(r.fk);
        }
      } else if (el.Constraint) {
        const c = el.Constraint;
        const at = src.at(c.location);
        const keys = strs(c.keys);
        if (c.contype === "CONSTR_PRIMARY") {
          primaryKey = {
            name: c.conname ?? pgObjectName(tableName, undefined, "pkey"),
            columns: keys,
            location: at,
          };
        } else if (c.contype === "CONSTR_UNIQUE") {
          uniques.push({
            name: c.conname ?? pgObjectName(tableName, keys.join("_"), "key"),
            columns: keys,
            location: at,
          });
        } else if (c.contype === "CONSTR_FOREIGN") {
          foreignKeys.push(this.fkFrom(ctx, c, name, at));
        }
      } else if (el.TableLikeClause) {
        const like = el.TableLikeClause;
        const parentName = this.rel(ctx, like.relation);
        const options = Number(like.options ?? 0);
        // CREATE_TABLE_LIKE_DEFAULTS = 1 << 3, CREATE_TABLE_LIKE_INDEXES = 1 << 6.
        if (!inherit(this.app.table(parentName), parentName, (options & 8) !== 0, (options & 64) !== 0))
          known = false;
      }
    }
    if (primaryKey) {
      for (const col of primaryKey.columns) {
        const c = find(col);
        if (c) c.nullable = false;
      }
    }
    for (const fk of foreignKeys) {
      if (fk.references.dataset === name && fk.references.columns.length === 0)
        fk.references.columns = primaryKey?.columns ?? [];
    }
    const spec: TableSpec = {
      name,
      kind: "table",
      columns,
      columnsKnown: known,
      uniques,
      foreignKeys,
      ifNotExists: !!node.if_not_exists,
      temporary: node.relation.relpersistence === "t",
    };
    if (primaryKey) spec.primaryKey = primaryKey;
    this.app.createTable(spec, location);
  }

  /** Output columns of a SELECT, when they can be read off its target list. */
  private selectColumns(ctx: Ctx, query: Node, src: Source): { columns: Column[]; known: boolean } {
    let sel = query?.SelectStmt;
    while (sel?.op && sel.op !== "SETOP_NONE") sel = sel.larg;
    if (!sel) return { columns: [], known: false };
    if (sel.valuesLists) return { columns: [], known: false };
    const from = new Map<string, TableSchema | undefined>();
    const tables: Array<TableSchema | undefined> = [];
    const collect = (n: Node): void => {
      if (n?.RangeVar) {
        const t = this.app.table(this.rel(ctx, n.RangeVar));
        tables.push(t);
        from.set(n.RangeVar.alias?.aliasname ?? n.RangeVar.relname, t);
      } else if (n?.JoinExpr) {
        collect(n.JoinExpr.larg);
        collect(n.JoinExpr.rarg);
      } else tables.push(undefined);
    };
    for (const f of sel.fromClause ?? []) collect(f);
    const location = src.location;
    const columns: Column[] = [];
    let known = true;
    const lookup = (fields: string[]): Column | undefined => {
      const col = fields[fields.length - 1];
      if (col === undefined) return undefined;
      if (fields.length >= 2)
        return from.get(fields[fields.length - 2] as string)?.columns.find((c) => c.name === col);
      for (const t of tables) {
        const c = t?.columns.find((x) => x.name === col);
        if (c) return c;
      }
      return undefined;
    };
    for (const item of sel.targetList ?? []) {
      const rt = item?.ResTarget;
      const val = rt?.val;
      const fields: Node[] = val?.ColumnRef?.fields ?? [];
      if (fields.some((f) => f?.A_Star)) {
        const qualifier = str(fields[0]);
        const sources = fields.length > 1 && qualifier ? [from.get(qualifier)] : tables;
        if (sources.length === 0 || sources.some((t) => !t?.columnsKnown)) {
          known = false;
          continue;
        }
        for (const t of sources) {
          for (const c of t?.columns ?? []) columns.push(copiedColumn(c, c.name, location));
        }
        continue;
      }
      let name: string | undefined = rt?.name;
      let type: NormalizedType | undefined;
      if (val?.ColumnRef) {
        const names = strs(fields);
        name ??= names[names.length - 1];
        const source = lookup(names);
        if (source) {
          columns.push(copiedColumn(source, name ?? source.name, location));
          continue;
        }
      } else if (val?.TypeCast) {
        type = this.typeOf(ctx, val.TypeCast.typeName).type;
        const inner = strs(val.TypeCast.arg?.ColumnRef?.fields);
        name ??= inner[inner.length - 1] ?? strs(val.TypeCast.typeName?.names).pop();
      } else if (val?.FuncCall) {
        name ??= strs(val.FuncCall.funcname).pop();
      }
      columns.push({
        name: name ?? "?column?",
        type: type ? cloneType(type) : normalizeType("", "postgres"),
        nullable: true,
        location,
      });
    }
    return { columns, known };
  }

  private createAs(
    ctx: Ctx,
    into: Node,
    query: Node,
    kind: "table" | "view",
    src: Source,
    opts: { ifNotExists?: boolean },
  ): void {
    const name = this.qualifyNew(ctx, into.rel);
    const { columns, known } = this.selectColumns(ctx, query, src);
    const aliases = strs(into.colNames);
    aliases.forEach((a, i) => {
      const c = columns[i];
      if (c) c.name = a;
    });
    this.app.createTable(
      {
        name,
        kind,
        columns,
        columnsKnown: known && columns.length > 0,
        ifNotExists: !!opts.ifNotExists,
        temporary: into.rel.relpersistence === "t",
      },
      src.location,
    );
  }

  private createView(ctx: Ctx, node: Node, src: Source): void {
    const name = this.qualifyNew(ctx, node.view);
    const { columns, known } = this.selectColumns(ctx, node.query, src);
    strs(node.aliases).forEach((a, i) => {
      const c = columns[i];
      if (c) c.name = a;
    });
    this.app.createTable(
      {
        name,
        kind: "view",
        columns,
        columnsKnown: known && columns.length > 0,
        orReplace: !!node.replace,
        temporary: node.view.relpersistence === "t",
      },
      src.location,
    );
  }

  private alterTable(ctx: Ctx, node: Node, src: Source): void {
    const objtype = node.objtype;
    if (objtype !== "OBJECT_TABLE" && objtype !== "OBJECT_FOREIGN_TABLE") return;
    const table = this.rel(ctx, node.relation);
    const location = src.location;
    if (!this.app.table(table)) {
      if (!node.missing_ok) {
        this.app.unknownTable(
          location,
          `ALTER TABLE ${table}: the table is not defined by earlier migrations; statement skipped, analysis continued.`,
          table,
        );
      }
      return;
    }
    const tableName = short(table);
    for (const item of node.cmds ?? []) {
      const cmd = item?.AlterTableCmd;
      if (!cmd) continue;
      const at = cmd.def?.ColumnDef?.location ?? cmd.def?.Constraint?.location;
      const loc = at !== undefined ? src.at(at) : location;
      switch (cmd.subtype) {
        case "AT_AddColumn": {
          const r = this.column(ctx, cmd.def.ColumnDef, table, src);
          const had = this.app.findColumn(this.app.table(table) as TableSchema, r.column.name);
          this.app.addColumn(table, r.column, { ifNotExists: !!cmd.missing_ok }, loc);
          if (had) break;
          if (r.pk)
            this.app.setPrimaryKey(
              table,
              { name: pgObjectName(tableName, undefined, "pkey"), columns: [r.column.name] },
              loc,
            );
          if (r.unique) {
            this.app.addUnique(
              table,
              {
                name: r.unique === true ? pgObjectName(tableName, r.column.name, "key") : r.unique,
                columns: [r.column.name],
              },
              loc,
            );
          }
          if (r.fk) {
            r.fk.name ??= pgObjectName(tableName, r.column.name, "fkey");
            if (r.fk.references.columns.length === 0)
              r.fk.references.columns = this.app.table(r.fk.references.dataset)?.primaryKey?.columns ?? [];
            this.app.addForeignKey(table, r.fk, loc);
          }
          break;
        }
        case "AT_DropColumn":
          this.app.dropColumn(table, cmd.name, { ifExists: !!cmd.missing_ok }, loc);
          break;
        case "AT_AlterColumnType":
          this.retype(ctx, table, cmd.name, cmd.def?.ColumnDef?.typeName, loc);
          break;
        case "AT_SetNotNull":
          this.setOwnNotNull(table, cmd.name, true, loc);
          break;
        case "AT_DropNotNull":
          this.setOwnNotNull(table, cmd.name, false, loc);
          break;
        case "AT_ColumnDefault":
          this.app.alterColumn(
            table,
            cmd.name,
            { default: cmd.def && !cmd.def.A_Const?.isnull ? exprText(src, cmd.def) : null },
            loc,
          );
          break;
        case "AT_AddConstraint":
          this.addConstraint(ctx, table, cmd.def?.Constraint, loc);
          break;
        case "AT_DropConstraint": {
          const t = this.app.table(table);
          const known =
            t &&
            (t.primaryKey?.name === cmd.name ||
              t.uniques.some((u) => u.name === cmd.name) ||
              t.foreignKeys.some((f) => f.name === cmd.name));
          // CHECK and EXCLUDE constraints are not tracked: dropping them changes no shape we model.
          if (known) this.app.dropConstraint(table, cmd.name, {}, loc);
          break;
        }
        default:
          if (!SHAPELESS_SUBTYPES.has(cmd.subtype)) {
            this.app.warn(
              loc,
              `ALTER TABLE ${table}: ${String(cmd.subtype).replace(/^AT_/, "")} is not understood; the rest of the statement was applied and analysis continued.`,
            );
          }
      }
    }
  }

  private addConstraint(ctx: Ctx, table: string, c: Node, loc: SourceLocation): void {
    if (!c) return;
    const tableName = short(table);
    let keys = strs(c.keys);
    if (c.indexname && (c.contype === "CONSTR_PRIMARY" || c.contype === "CONSTR_UNIQUE")) {
      // USING INDEX: the unique index becomes the constraint and takes its name.
      const t = this.app.table(table);
      const index = t?.uniques.find((u) => u.name === c.indexname);
      if (!index) {
        this.app.warn(
          loc,
          `ADD CONSTRAINT … USING INDEX ${c.indexname}: no unique index of that name on ${table} is known; analysis continued.`,
        );
        return;
      }
      keys = index.columns;
      this.app.dropConstraint(table, c.indexname, { kinds: ["unique"] }, loc);
    }
    switch (c.contype) {
      case "CONSTR_PRIMARY":
        this.app.setPrimaryKey(
          table,
          { name: c.conname ?? c.indexname ?? pgObjectName(tableName, undefined, "pkey"), columns: keys },
          loc,
        );
        return;
      case "CONSTR_UNIQUE":
        this.app.addUnique(
          table,
          { name: c.conname ?? c.indexname ?? pgObjectName(tableName, keys.join("_"), "key"), columns: keys },
          loc,
        );
        return;
      case "CONSTR_FOREIGN":
        this.app.addForeignKey(table, this.fkFrom(ctx, c, table, loc), loc);
        return;
      case "CONSTR_NOTNULL": {
        for (const k of keys) this.setOwnNotNull(table, k, true, loc);
        return;
      }
      default:
        return;
    }
  }

  private rename(ctx: Ctx, node: Node, src: Source): void {
    const loc = src.location;
    switch (node.renameType) {
      case "OBJECT_TABLE":
      case "OBJECT_VIEW":
      case "OBJECT_MATVIEW":
      case "OBJECT_FOREIGN_TABLE": {
        const from = this.rel(ctx, node.relation);
        if (!this.app.table(from) && node.missing_ok) return;
        this.app.renameTable(from, `${schemaOf(from)}.${node.newname}`, loc);
        return;
      }
      case "OBJECT_COLUMN": {
        const table = this.rel(ctx, node.relation);
        if (!this.app.table(table) && node.missing_ok) return;
        this.app.renameColumn(table, node.subname, node.newname, loc);
        return;
      }
      case "OBJECT_TABCONSTRAINT":
        this.app.renameConstraint(this.rel(ctx, node.relation), node.subname, node.newname, loc);
        return;
      case "OBJECT_INDEX": {
        const rv = node.relation;
        const t = this.app.tableOfIndex(rv.relname, rv.schemaname ? `${rv.schemaname}.` : undefined);
        if (t) this.app.renameConstraint(t.name, rv.relname, node.newname, loc);
        return;
      }
      case "OBJECT_TYPE":
      case "OBJECT_DOMAIN": {
        const from = this.resolveType(ctx, strs(node.object?.List?.items));
        const to = `${schemaOf(from)}.${node.newname}`;
        const en = this.app.state.enums.get(from);
        if (en) {
          this.app.state.enums.delete(from);
          en.name = to;
          en.location = loc;
          this.app.state.enums.set(to, en);
          this.app.enumChanged(from, loc);
        }
        const domain = this.app.state.domains?.get(from);
        if (domain) {
          this.app.state.domains?.delete(from);
          this.app.state.domains?.set(to, domain);
        }
        return;
      }
      default:
        return;
    }
  }

  private setSchema(ctx: Ctx, node: Node, src: Source): void {
    const type = node.objectType;
    if (
      type === "OBJECT_TABLE" ||
      type === "OBJECT_VIEW" ||
      type === "OBJECT_MATVIEW" ||
      type === "OBJECT_FOREIGN_TABLE"
    ) {
      const from = this.rel(ctx, node.relation);
      if (!this.app.table(from) && node.missing_ok) return;
      this.app.renameTable(from, `${node.newschema}.${short(from)}`, src.location);
    } else if (type === "OBJECT_TYPE") {
      const from = this.resolveType(ctx, strs(node.object?.List?.items));
      const en = this.app.state.enums.get(from);
      if (en) {
        const to = `${node.newschema}.${short(from)}`;
        this.app.state.enums.delete(from);
        en.name = to;
        this.app.state.enums.set(to, en);
        this.app.enumChanged(from, src.location);
      }
    }
  }

  private drop(ctx: Ctx, node: Node, src: Source): void {
    const loc = src.location;
    const ifExists = !!node.missing_ok;
    switch (node.removeType) {
      case "OBJECT_TABLE":
      case "OBJECT_VIEW":
      case "OBJECT_MATVIEW":
      case "OBJECT_FOREIGN_TABLE":
        for (const o of node.objects ?? []) {
          const name = this.listName(ctx, o);
          if (name) this.app.dropTable(name, { ifExists }, loc);
        }
        return;
      case "OBJECT_INDEX":
        for (const o of node.objects ?? []) {
          const items = strs(o?.List?.items);
          const idx = items[items.length - 1];
          if (idx === undefined) continue;
          const schema = items.length > 1 ? `${items[items.length - 2]}.` : undefined;
          const t = this.app.tableOfIndex(idx, schema);
          if (t) this.app.dropConstraint(t.name, idx, { kinds: ["unique", "pk"] }, loc);
        }
        return;
      case "OBJECT_TYPE":
      case "OBJECT_DOMAIN":
        for (const o of node.objects ?? []) {
          const name = this.resolveType(ctx, strs(o?.TypeName?.names ?? o?.List?.items));
          if (this.app.state.enums.delete(name)) this.app.enumChanged(name, loc);
          this.app.state.domains?.delete(name);
        }
        return;
      case "OBJECT_SCHEMA":
        if (node.behavior !== "DROP_CASCADE") return;
        for (const o of node.objects ?? []) {
          const schema = str(o);
          if (!schema) continue;
          for (const name of [...this.app.state.datasets.keys()]) {
            if (name.startsWith(`${schema}.`)) this.app.dropTable(name, {}, loc);
          }
          for (const name of [...this.app.state.enums.keys()]) {
            if (name.startsWith(`${schema}.`)) {
              this.app.state.enums.delete(name);
              this.app.enumChanged(name, loc);
            }
          }
        }
        return;
      default:
        return;
    }
  }

  private createIndex(ctx: Ctx, node: Node, src: Source): void {
    if (!node.unique) return;
    const table = this.rel(ctx, node.relation);
    const t = this.app.table(table);
    const loc = src.location;
    if (!t) {
      this.app.warn(
        loc,
        `CREATE UNIQUE INDEX on ${table}, which is not defined by earlier migrations; analysis continued.`,
      );
      return;
    }
    const params: Node[] = node.indexParams ?? [];
    const columns = params.map((p) => p?.IndexElem?.name as string | undefined);
    // An expression index (lower(email)) promises uniqueness of the expression, not of columns.
    if (columns.some((c) => c === undefined)) return;
    const cols = columns as string[];
    const name = node.idxname ?? pgObjectName(short(table), cols.join("_"), "key").replace(/_key$/, "_idx");
    if (node.if_not_exists && t.uniques.some((u) => u.name === name)) return;
    this.app.addUnique(table, { name, columns: cols }, loc);
  }

  private createEnum(ctx: Ctx, node: Node, src: Source): void {
    const name = this.resolveNewType(ctx, strs(node.typeName));
    const values = strs(node.vals);
    this.app.state.enums.set(name, { name, values, location: src.location });
    this.app.enumChanged(name, src.location);
  }

  private resolveNewType(ctx: Ctx, parts: string[]): string {
    const last = parts[parts.length - 1] ?? "";
    const schema =
      parts.length > 1 ? parts[parts.length - 2] : (ctx.createSchema ?? ctx.searchPath[0] ?? "public");
    return `${schema}.${last}`;
  }

  private alterEnum(ctx: Ctx, node: Node, src: Source): void {
    const parts = strs(node.typeName);
    const name = this.resolveType(ctx, parts);
    const en = this.app.state.enums.get(name);
    const loc = src.location;
    if (!en) {
      this.app.warn(
        loc,
        `ALTER TYPE ${name}: the enum is not defined by earlier migrations; analysis continued.`,
      );
      return;
    }
    if (node.oldVal !== undefined) {
      const i = en.values.indexOf(node.oldVal);
      if (i < 0) {
        this.app.warn(
          loc,
          `ALTER TYPE ${name} RENAME VALUE '${node.oldVal}': no such value; analysis continued.`,
        );
        return;
      }
      en.values[i] = node.newVal;
    } else {
      if (en.values.includes(node.newVal)) {
        if (!node.skipIfNewValExists)
          this.app.warn(
            loc,
            `ALTER TYPE ${name} ADD VALUE '${node.newVal}': the value already exists; analysis continued.`,
          );
        return;
      }
      const neighbor = node.newValNeighbor !== undefined ? en.values.indexOf(node.newValNeighbor) : -1;
      if (neighbor < 0) en.values.push(node.newVal);
      else en.values.splice(node.newValIsAfter ? neighbor + 1 : neighbor, 0, node.newVal);
    }
    en.location = loc;
    this.app.enumChanged(name, loc);
    this.app.refreshEnumColumns(name, short(name), en.values);
  }

  private createDomain(ctx: Ctx, node: Node, src: Source): void {
    const name = this.resolveNewType(ctx, strs(node.domainname));
    const { type, notNull } = this.typeOf(ctx, node.typeName);
    const nn = (node.constraints ?? []).some((c: Node) => c?.Constraint?.contype === "CONSTR_NOTNULL");
    this.app.state.domains ??= new Map();
    this.app.state.domains.set(name, { type, nullable: !(nn || notNull) });
    void src;
  }
}

const short = (qualified: string): string => qualified.slice(qualified.lastIndexOf(".") + 1);
const schemaOf = (qualified: string): string => qualified.slice(0, Math.max(0, qualified.lastIndexOf(".")));
