import { parseSync } from "libpg-query";
import { loadPostgresParser } from "../sql/postgres.ts";
import { checkRegexSafety } from "./regex-safety.ts";

// `sql` quality rules are run against real databases (PostgreSQL, SQLite, DuckDB), so their
// text is checked before it is ever embedded in a query. The PostgreSQL grammar is the referee:
// the text must parse there as exactly the one construct it claims to be, and every node of the
// tree must be on an allow-list — the list says what may run, not what may not.
//
// A rule reads only its own dataset: an expression sees the row's columns and nothing else (no
// sub-SELECT), a query reads the contract's dataset and nothing else (no other table, no join, no
// sub-SELECT in WHERE), so its cost is a bounded number of passes over that one table. Regular
// expressions (~, SIMILAR TO) must be constant strings that pass the regex guard.
//
// The parser is WASM with one asynchronous load; awaiting it here, at module load, keeps every
// check (and parseContract, which runs them) synchronous for the API, the CLI and the tests.
await loadPostgresParser();

/** Where a query names the dataset: the text from `start` to `end` (UTF-16 indices) is its name. */
export type RelationRef = { start: number; end: number; aliased: boolean; name: string };

export type GuardResult =
  | {
      ok: true;
      /** The text to embed, exactly as validated. */ sql: string;
      /** Column names it references (lower case). */ columns: string[];
      /** Queries: every place the dataset is named, so the runner can read its rows instead. */
      relations?: RelationRef[];
    }
  | {
      ok: false;
      message: string;
      /** 1-based offset into the text, when known. */ position?: number;
    };

// biome-ignore lint/suspicious/noExplicitAny: untyped JSON AST from the parser
type Node = any;
type Failure = { ok: false; message: string; position?: number };

/** Functions a rule may call (case-insensitive), including those SQL syntax turns into calls. */
export const ALLOWED_FUNCTIONS: ReadonlySet<string> = new Set([
  // text
  "lower",
  "upper",
  "length",
  "char_length",
  "character_length",
  "octet_length",
  "trim",
  "btrim",
  "ltrim",
  "rtrim",
  "substr",
  "substring",
  "replace",
  "position",
  "strpos",
  "instr",
  "left",
  "right",
  "concat",
  "like_escape",
  "similar_to_escape",
  // null handling
  "coalesce",
  "nullif",
  "ifnull",
  // numbers
  "abs",
  "round",
  "trunc",
  "floor",
  "ceil",
  "ceiling",
  "sign",
  "mod",
  "power",
  "sqrt",
  "greatest",
  "least",
  // dates and times
  "now",
  "date_trunc",
  "date_part",
  "extract",
  "date",
  "datetime",
  "julianday",
  "strftime",
  "age",
  "to_char",
  "timezone",
  "overlaps",
  // aggregates (in sub-SELECTs and queries)
  "count",
  "sum",
  "min",
  "max",
  "avg",
]);

const AGGREGATES = new Set(["count", "sum", "min", "max", "avg"]);

const ALLOWED_OPERATORS = new Set([
  "=",
  "<>",
  "!=",
  "<",
  ">",
  "<=",
  ">=",
  "+",
  "-",
  "*",
  "/",
  "%",
  "^",
  "||",
  "~~",
  "!~~",
  "~~*",
  "!~~*",
  "~",
  "!~",
  "~*",
  "!~*",
  "->",
  "->>",
  "#>",
  "#>>",
  "@>",
  "<@",
  "&&",
  "&",
  "|",
  "#",
  "<<",
  ">>",
  "@",
  "|/",
  "||/",
]);

const ALLOWED_AEXPR_KINDS = new Set([
  "AEXPR_OP",
  "AEXPR_OP_ANY",
  "AEXPR_OP_ALL",
  "AEXPR_DISTINCT",
  "AEXPR_NOT_DISTINCT",
  "AEXPR_NULLIF",
  "AEXPR_IN",
  "AEXPR_LIKE",
  "AEXPR_ILIKE",
  "AEXPR_SIMILAR",
  "AEXPR_BETWEEN",
  "AEXPR_NOT_BETWEEN",
  "AEXPR_BETWEEN_SYM",
  "AEXPR_NOT_BETWEEN_SYM",
]);

/** Expression nodes, allowed anywhere. */
const EXPRESSION_NODES = new Set([
  "A_Expr",
  "BoolExpr",
  "NullTest",
  "BooleanTest",
  "ColumnRef",
  "A_Const",
  "TypeCast",
  "CaseExpr",
  "CaseWhen",
  "CoalesceExpr",
  "MinMaxExpr",
  "FuncCall",
  "SQLValueFunction",
  "A_ArrayExpr",
  "RowExpr",
  "CollateClause",
  "List",
  "String",
  "Integer",
  "Float",
  "Boolean",
  "BitString",
]);

/** Nodes of a read-only SELECT, allowed inside sub-SELECTs and queries only. */
const SELECT_NODES = new Set([
  "SelectStmt",
  "ResTarget",
  "RangeVar",
  "RangeSubselect",
  "SortBy",
  "WindowDef",
  "GroupingSet",
  "A_Star",
]);

/** Keys a SelectStmt may have; `intoClause` and `lockingClause` are what it may not. */
const SELECT_KEYS = new Set([
  "targetList",
  "fromClause",
  "whereClause",
  "groupClause",
  "groupDistinct",
  "havingClause",
  "windowClause",
  "sortClause",
  "limitOffset",
  "limitCount",
  "limitOption",
  "op",
  "all",
  "larg",
  "rarg",
  "withClause",
  "distinctClause",
  "valuesLists",
]);

const NODE_WORDS: Record<string, string> = {
  SubLink:
    "a sub-SELECT (EXISTS, IN (SELECT ...), (SELECT ...)), which reads beyond the row or multiplies the cost of the rule: a rule reads only its own dataset (a query rule may select FROM a sub-SELECT of it)",
  JoinExpr:
    "a JOIN, which reads other tables or multiplies the cost of the rule: a rule reads only its own dataset",
  ParamRef: "a parameter ($1)",
  A_Indirection: "a subscript or field selection (a[1], (a).b)",
  RangeFunction: "a function in FROM (e.g. read_csv(...), generate_series(...))",
  RangeTableFunc: "XMLTABLE",
  RangeTableSample: "TABLESAMPLE",
  XmlExpr: "an XML expression",
  XmlSerialize: "an XML expression",
  GroupingFunc: "GROUPING()",
  NamedArgExpr: "a named function argument (name => value)",
  CommonTableExpr: "WITH",
  A_Star: "*",
  SetToDefault: "DEFAULT",
  MultiAssignRef: "a multi-column assignment",
};

const describeNode = (type: string): string =>
  NODE_WORDS[type] ??
  (type.startsWith("Json") ? "a JSON expression (IS JSON, JSON_VALUE, ...)" : `the construct ${type}`);

/** `DeleteStmt` -> `DELETE`, `CreateTableAsStmt` -> `CREATE TABLE AS`. */
const statementWords = (type: string): string =>
  type
    .replace(/Stmt$/, "")
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toUpperCase();

// ---------------------------------------------------------------------------------------------
// Positions: the parser counts UTF-8 bytes (node locations) and characters (error cursors)

/** The UTF-16 index of a UTF-8 byte offset in `text`. */
const byteToIndex = (text: string, byte: number): number => {
  let bytes = 0;
  let index = 0;
  for (const ch of text) {
    if (bytes >= byte) break;
    const cp = ch.codePointAt(0) as number;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    index += ch.length;
  }
  return index;
};

/** The UTF-16 index of a 0-based code point offset in `text`. */
const codePointToIndex = (text: string, codePoints: number): number => {
  let index = 0;
  let n = 0;
  for (const ch of text) {
    if (n >= codePoints) break;
    index += ch.length;
    n++;
  }
  return index;
};

// ---------------------------------------------------------------------------------------------
// Lexical pre-check: what must not be there before the text is even parsed

const IDENTIFIER_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;

/**
 * Rejects statement separators, comments, and quoting that PostgreSQL, SQLite and DuckDB read
 * differently (so a string in one would be code in another), and checks that parentheses nest.
 * Positions are 1-based.
 */
const lexicalCheck = (text: string, what: string): Failure | undefined => {
  const fail = (found: string, advice: string, index: number): Failure => ({
    ok: false,
    message: `${what}; found ${found} at character ${index + 1}: ${advice}`,
    position: index + 1,
  });
  const open: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    const prev = i > 0 ? (text[i - 1] as string) : "";
    if (c === "'") {
      const before = i > 1 ? (text[i - 2] as string) : "";
      if ((prev === "e" || prev === "E") && !IDENTIFIER_CHAR.test(before)) {
        return fail(
          "an escape string E'...'",
          "its backslash escapes mean something else in SQLite and DuckDB; write a standard string, doubling any quote inside ('it''s')",
          i - 1,
        );
      }
      let j = i + 1;
      for (;;) {
        if (j >= text.length) return fail("a string that is never closed", "end it with '", i);
        if (text[j] === "\\" && text[j + 1] === "'") {
          // A server with standard_conforming_strings off reads \' as a quote inside the string,
          // so the string would end elsewhere there than here.
          return fail(
            "a backslash before a quote inside a string",
            "servers with standard_conforming_strings off read \\' as a quote inside the string; drop the backslash, or double the quote ('it''s')",
            j,
          );
        }
        if (text[j] === "\\" && text[j + 1] === "\\") {
          j += 2;
          continue;
        }
        if (text[j] === "'") {
          if (text[j + 1] === "'") j += 2;
          else break;
        } else j++;
      }
      i = j;
    } else if (c === '"') {
      let j = i + 1;
      for (;;) {
        if (j >= text.length) return fail("a quoted name that is never closed", 'end it with "', i);
        if (text[j] === '"') {
          if (text[j + 1] === '"') j += 2;
          else break;
        } else j++;
      }
      i = j;
    } else if (c === "$" && !IDENTIFIER_CHAR.test(prev)) {
      return fail(
        "'$'",
        "it starts a dollar-quoted string or a parameter, which SQLite and DuckDB read differently; write a standard string in single quotes",
        i,
      );
    } else if (c === ";") {
      return fail("a statement separator ';'", "remove it, a rule is one piece of SQL", i);
    } else if (c === "-" && text[i + 1] === "-") {
      return fail(
        "a comment '--'",
        "remove it (a comment can hide the rest of a query); explain the rule in its description",
        i,
      );
    } else if (c === "/" && text[i + 1] === "*") {
      return fail(
        "a comment '/*'",
        "remove it (a comment can hide the rest of a query); explain the rule in its description",
        i,
      );
    } else if (c === "(") {
      open.push(i);
    } else if (c === ")") {
      if (open.pop() === undefined) {
        return fail("a ')' that closes a parenthesis never opened", "remove it or add the matching '('", i);
      }
    }
  }
  const unclosed = open.pop();
  if (unclosed !== undefined) return fail("a '(' that is never closed", "add the matching ')'", unclosed);
  return undefined;
};

// ---------------------------------------------------------------------------------------------
// The tree walk

class Refusal extends Error {
  constructor(
    message: string,
    readonly location?: number,
  ) {
    super(message);
  }
}

type Ctx = {
  /** 0 at the row level of an expression, 1 and more inside SELECTs. */
  depth: number;
  /** Queries may use WITH (read-only, not recursive); expressions may not. */
  allowWith: boolean;
  /** Columns referenced at the row level, lower case, in order of appearance. */
  columns: string[];
  /** The contract's dataset, the one relation a query may read (null: checked later, when known). */
  dataset?: string[] | null;
  /** Names of the query's WITH items, which it may read too. */
  ctes: Set<string>;
  /** Where the query names the dataset (byte offsets of the parsed text). */
  relations: Array<{ location: number; parts: number; aliased: boolean; name: string }>;
};

const locationOf = (body: Node): number | undefined =>
  typeof body?.location === "number" && body.location >= 0 ? body.location : undefined;

/** The first location found inside a node that has none of its own (A_Indirection, RangeFunction). */
const innerLocation = (value: unknown): number | undefined => {
  if (value === null || typeof value !== "object") return undefined;
  const direct = (value as { location?: unknown }).location;
  if (typeof direct === "number" && direct >= 0) return direct;
  for (const field of Object.values(value)) {
    const found = innerLocation(field);
    if (found !== undefined) return found;
  }
  return undefined;
};

const names = (list: Node[] | undefined): string[] =>
  (list ?? []).map((n: Node) => n?.String?.sval).filter((s: unknown): s is string => typeof s === "string");

const allowedList = (): string => [...ALLOWED_FUNCTIONS].sort().join(", ");

const checkFunction = (body: Node, ctx: Ctx): void => {
  const parts = names(body.funcname);
  const name = (parts.at(-1) ?? "").toLowerCase();
  const schema = parts.length > 1 ? (parts[0] as string).toLowerCase() : undefined;
  const shown = parts.join(".");
  if (parts.length > 2 || (schema !== undefined && schema !== "pg_catalog") || !ALLOWED_FUNCTIONS.has(name)) {
    throw new Refusal(
      `calls ${shown}(), which a rule may not call (only functions known to be read-only and cheap are allowed): use only ${allowedList()}`,
      locationOf(body),
    );
  }
  if (ctx.depth === 0 && AGGREGATES.has(name)) {
    throw new Refusal(
      `uses the aggregate ${shown}() on the row itself: a row rule judges one row at a time; count across rows with a query rule instead (query: "SELECT count(*) FROM ${ctx.dataset?.join(".") ?? "<dataset>"} WHERE …", which passes when it counts 0)`,
      locationOf(body),
    );
  }
  if (ctx.depth === 0 && body.over !== undefined) {
    throw new Refusal(
      `uses the window function ${shown}() OVER (...) on the row itself: a row rule judges one row at a time; write a query rule instead`,
      locationOf(body),
    );
  }
};

const checkOperator = (nameList: Node[] | undefined, location: number | undefined): void => {
  const parts = names(nameList);
  const op = parts.at(-1) ?? "";
  if (parts.length > 2 || (parts.length === 2 && parts[0] !== "pg_catalog") || !ALLOWED_OPERATORS.has(op)) {
    throw new Refusal(
      `uses the operator ${parts.join(".")}, which a rule may not use: use comparison, arithmetic, LIKE, regular expression (~) or JSON (->, ->>) operators`,
      location,
    );
  }
};

const REGEX_OPERATORS = new Set(["~", "~*", "!~", "!~*"]);

/** The pattern of a regular expression match must be a constant string the regex guard accepts. */
const checkPattern = (operand: Node, what: string, location: number | undefined): void => {
  // SIMILAR TO 'x' is parsed as a call of similar_to_escape('x').
  const call = operand?.FuncCall;
  const constant =
    call && names(call.funcname).at(-1) === "similar_to_escape" && call.args?.length === 1
      ? call.args[0]?.A_Const
      : operand?.A_Const;
  const pattern = constant?.sval?.sval;
  if (typeof pattern !== "string") {
    throw new Refusal(
      `matches ${what} against a pattern that is not a constant string: write the pattern as a string literal (or use a regex rule)`,
      location,
    );
  }
  const safety = checkRegexSafety(pattern);
  if (!safety.ok) throw new Refusal(`matches ${what} against an unsafe pattern: ${safety.message}`, location);
};

/** `public.orders`, `orders` against a RangeVar's parts: the same table, the default schema allowed. */
const namesDataset = (parts: string[], dataset: string[]): boolean => {
  const given = parts.map((p) => p.toLowerCase());
  const want = dataset.map((p) => p.toLowerCase());
  const tail = (a: string[], b: string[]) => a.every((p, i) => p === b[b.length - a.length + i]);
  if (given.length <= want.length) return tail(given, want);
  return (
    given.length === want.length + 1 && ["public", "main"].includes(given[0] as string) && tail(want, given)
  );
};

const PATH_LIKE = /[./\\:~]/;

const checkRangeVar = (body: Node, ctx: Ctx): void => {
  const parts: string[] = [body.catalogname, body.schemaname, body.relname].filter(
    (p) => typeof p === "string",
  );
  if (parts.some((p) => PATH_LIKE.test(p))) {
    throw new Refusal(
      `reads from ${parts.map((p) => `"${p}"`).join(".")}, a name that looks like a file path or URL (DuckDB would read that file): select from tables only`,
      locationOf(body),
    );
  }
  if (parts.length === 1 && ctx.ctes.has(parts[0] as string)) return;
  if (ctx.dataset === null || ctx.dataset === undefined) return;
  if (!namesDataset(parts, ctx.dataset)) {
    throw new Refusal(
      `reads ${parts.join(".")}, which is not the contract's dataset ${ctx.dataset.join(".")}: a rule reads only its own dataset`,
      locationOf(body),
    );
  }
  const location = locationOf(body);
  if (location !== undefined) {
    ctx.relations.push({
      location,
      parts: parts.length,
      aliased: body.alias !== undefined,
      name: body.relname,
    });
  }
};

const checkSelect = (stmt: Node, ctx: Ctx, location?: number): void => {
  if (!stmt || typeof stmt !== "object") throw new Refusal("contains an empty SELECT", location);
  for (const key of Object.keys(stmt)) {
    if (SELECT_KEYS.has(key)) continue;
    if (key === "intoClause")
      throw new Refusal("uses SELECT ... INTO, which creates a table: remove INTO", location);
    if (key === "lockingClause") {
      throw new Refusal(
        "locks rows with FOR UPDATE / FOR SHARE: a rule only reads; remove the locking clause",
        location,
      );
    }
    throw new Refusal(`uses a SELECT with ${key}, which a rule may not use`, location);
  }
  if ((stmt.fromClause?.length ?? 0) > 1) {
    throw new Refusal(
      "reads several tables in one FROM (a cross join), which multiplies the cost of the rule: a rule reads only its own dataset, once",
      location,
    );
  }
  const inner: Ctx = { ...ctx, depth: ctx.depth + 1 };
  if (stmt.withClause) {
    const where = locationOf(stmt.withClause) ?? location;
    if (!ctx.allowWith) {
      throw new Refusal(
        "uses WITH inside an expression: write the sub-SELECT without WITH, or write a query rule",
        where,
      );
    }
    if (stmt.withClause.recursive) {
      throw new Refusal(
        "uses WITH RECURSIVE, which can run without end: rewrite it without recursion",
        where,
      );
    }
    for (const cte of stmt.withClause.ctes ?? []) {
      const body = cte?.CommonTableExpr;
      const query = body?.ctequery ?? {};
      const type = Object.keys(query)[0] ?? "";
      if (type !== "SelectStmt") {
        throw new Refusal(
          `uses WITH ${body?.ctename ?? ""} AS (${statementWords(type)} ...), which changes data: a rule only reads`,
          locationOf(body) ?? where,
        );
      }
      checkSelect(query.SelectStmt, ctx, locationOf(body) ?? where);
      if (typeof body?.ctename === "string") ctx.ctes.add(body.ctename);
    }
  }
  if (stmt.op && stmt.op !== "SETOP_NONE") {
    checkSelect(stmt.larg, ctx, location);
    checkSelect(stmt.rarg, ctx, location);
  }
  for (const key of Object.keys(stmt)) {
    if (key === "withClause" || key === "larg" || key === "rarg") continue;
    walk(stmt[key], inner, location);
  }
};

const visit = (type: string, body: Node, ctx: Ctx, near: number | undefined): void => {
  // Some nodes carry no location: point into them, else at the closest enclosing one.
  const location = locationOf(body) ?? innerLocation(body) ?? near;
  const allowed = EXPRESSION_NODES.has(type) || (ctx.depth > 0 && SELECT_NODES.has(type));
  if (!allowed) {
    const rowOnly = SELECT_NODES.has(type) ? " outside a sub-SELECT" : "";
    const described = describeNode(type);
    // A description that already says why the node is refused needs no generic ending.
    const why = described.includes(", which ") ? "" : ", which a rule may not use";
    throw new Refusal(`uses ${described}${rowOnly}${why}`, location);
  }
  switch (type) {
    case "SelectStmt":
      checkSelect(body, ctx, location);
      return;
    case "A_Expr":
      if (!ALLOWED_AEXPR_KINDS.has(body.kind)) {
        throw new Refusal(`uses the operator form ${body.kind}, which a rule may not use`, location);
      }
      if (!String(body.kind).includes("BETWEEN")) checkOperator(body.name, location);
      if (body.kind === "AEXPR_SIMILAR") checkPattern(body.rexpr, "SIMILAR TO", location);
      else if (body.lexpr !== undefined && REGEX_OPERATORS.has(names(body.name).at(-1) ?? "")) {
        checkPattern(body.rexpr, `with ${names(body.name).at(-1)}`, location);
      }
      break;
    case "FuncCall":
      checkFunction(body, ctx);
      break;
    case "ColumnRef": {
      const fields: Node[] = body.fields ?? [];
      if (ctx.depth === 0) {
        if (fields.some((f) => f?.A_Star !== undefined)) {
          throw new Refusal("uses *, which means no column in a row rule: name the columns", location);
        }
        if (fields.length > 1) {
          throw new Refusal(
            `names the column ${names(fields).join(".")} with a prefix: write the column name alone, the rule runs on the contract's dataset`,
            location,
          );
        }
        const name = names(fields)[0]?.toLowerCase();
        if (name !== undefined && !ctx.columns.includes(name)) ctx.columns.push(name);
      }
      return;
    }
    case "RangeVar":
      checkRangeVar(body, ctx);
      break;
    case "TypeCast": {
      const parts = names(body.typeName?.names);
      if (parts.length > 2 || (parts.length === 2 && parts[0] !== "pg_catalog")) {
        throw new Refusal(
          `casts to ${parts.join(".")}, a type outside the built-in ones: cast to a built-in type such as integer, numeric, text, date or timestamp`,
          location,
        );
      }
      break;
    }
  }
  for (const value of Object.values(body ?? {})) walk(value, ctx, location);
};

/** Walks any value of the tree: wrapped nodes (`{ Type: {...} }`) go through `visit`. */
const walk = (value: unknown, ctx: Ctx, near?: number): void => {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, ctx, near);
    return;
  }
  if (value === null || typeof value !== "object") return;
  const keys = Object.keys(value);
  if (keys.length === 1 && /^[A-Z]/.test(keys[0] as string)) {
    const type = keys[0] as string;
    visit(type, (value as Record<string, Node>)[type], ctx, near);
    return;
  }
  for (const field of Object.values(value)) walk(field, ctx, near);
};

// ---------------------------------------------------------------------------------------------
// The two checks

/** `public.orders` or `"Sales"."Orders"` -> its parts as the parser folds them. */
const datasetParts = (name: string): string[] =>
  (name.match(/"(?:[^"]|"")*"|[^.]+/g) ?? []).map((p) =>
    p.startsWith('"') ? p.slice(1, -1).replaceAll('""', '"') : p.trim().toLowerCase(),
  );

const EXPRESSION_SHAPE = "must be a single boolean expression over the row's columns, like amount_cents >= 0";
const QUERY_SHAPE =
  "must be one read-only SELECT returning a single count that must be zero, like SELECT count(*) FROM orders WHERE amount_cents < 0";

const PREFIX = "SELECT (";
const SUFFIX = ") AS covenant_check FROM covenant_rows";

type Parsed = { ok: true; tree: Node } | Failure;

/** Parses `sql`; a syntax error's cursor is mapped back into the user's text (`offset` chars in). */
const parse = (sql: string, text: string, offset: number, what: string): Parsed => {
  try {
    return { ok: true, tree: parseSync(sql) };
  } catch (error) {
    const e = error as { message?: string; sqlDetails?: { cursorPosition?: number } };
    const cursor = e.sqlDetails?.cursorPosition;
    // The cursor is a 0-based character (code point) offset into what was parsed.
    const index = cursor !== undefined && cursor >= 0 ? codePointToIndex(sql, cursor) - offset : -1;
    const reason = e.message ?? "syntax error";
    if (index >= text.length && index <= text.length + 1 && offset > 0) {
      // The parser stumbled on the wrapper's closing parenthesis: the text stops too early.
      return {
        ok: false,
        message: `${what}; it does not parse: it ends too early (${reason.replace(/ at or near "\)"$/, "")} at its end)`,
        position: text.length,
      };
    }
    if (index >= 0 && index < text.length) {
      return {
        ok: false,
        message: `${what}; it does not parse: ${reason} at character ${index + 1}`,
        position: index + 1,
      };
    }
    return { ok: false, message: `${what}; it does not parse: ${reason}` };
  }
};

const refusal = (error: unknown, sql: string, text: string, offset: number): Failure => {
  if (!(error instanceof Refusal)) throw error;
  if (error.location === undefined) return { ok: false, message: error.message };
  const index = byteToIndex(sql, error.location) - offset;
  if (index < 0 || index >= text.length) return { ok: false, message: error.message };
  return { ok: false, message: `${error.message} (at character ${index + 1})`, position: index + 1 };
};

const isEmpty = (text: string, what: string): Failure | undefined =>
  text.trim() === "" ? { ok: false, message: `is empty: it ${what.replace(/^must/, "should")}` } : undefined;

/** A `sql` quality rule's `expression`: one boolean expression over the row's columns. */
export const checkSqlExpression = (text: string): GuardResult => {
  const empty = isEmpty(text, EXPRESSION_SHAPE);
  if (empty) return empty;
  const lexical = lexicalCheck(text, EXPRESSION_SHAPE);
  if (lexical) return lexical;
  const sql = `${PREFIX}${text}${SUFFIX}`;
  const parsed = parse(sql, text, PREFIX.length, EXPRESSION_SHAPE);
  if (!parsed.ok) return parsed;
  // The parentheses nest, so this holds; checked anyway, as the wrapper is what makes the text
  // "one expression".
  const stmts: Node[] = parsed.tree.stmts ?? [];
  const select = stmts.length === 1 ? stmts[0]?.stmt?.SelectStmt : undefined;
  const from = select?.fromClause;
  const range = from?.length === 1 ? from[0]?.RangeVar : undefined;
  const target = select?.targetList?.length === 1 ? select.targetList[0]?.ResTarget : undefined;
  const shapeOk =
    select !== undefined &&
    Object.keys(select).every((k) => ["targetList", "fromClause", "limitOption", "op"].includes(k)) &&
    select.op === "SETOP_NONE" &&
    select.limitOption === "LIMIT_OPTION_DEFAULT" &&
    target?.name === "covenant_check" &&
    target.val !== undefined &&
    range?.relname === "covenant_rows" &&
    range.schemaname === undefined &&
    range.alias === undefined &&
    range.inh === true;
  if (!shapeOk) {
    return { ok: false, message: `${EXPRESSION_SHAPE}; this text reaches outside the expression` };
  }
  const ctx: Ctx = { depth: 0, allowWith: false, columns: [], ctes: new Set(), relations: [] };
  try {
    walk(target.val, ctx);
  } catch (error) {
    return refusal(error, sql, text, PREFIX.length);
  }
  return { ok: true, sql: text.trim(), columns: ctx.columns };
};

/** The end (UTF-16 index) of a qualified name of `parts` parts starting at `index` in `text`. */
const nameEnd = (text: string, index: number, parts: number): number => {
  let i = index;
  for (let part = 0; part < parts; part++) {
    if (part > 0) {
      while (/\s/.test(text[i] ?? "")) i++;
      i++; // the dot
      while (/\s/.test(text[i] ?? "")) i++;
    }
    if (text[i] === '"') {
      i++;
      while (i < text.length && !(text[i] === '"' && text[i + 1] !== '"')) i += text[i] === '"' ? 2 : 1;
      i++;
    } else {
      while (i < text.length && IDENTIFIER_CHAR.test(text[i] as string)) i++;
    }
  }
  return i;
};

/**
 * A `sql` quality rule's `query`: one read-only SELECT returning a single count, reading only the
 * contract's `dataset` (null where the dataset is not known yet: the contract checks it).
 */
export const checkSqlQuery = (text: string, { dataset }: { dataset: string | null }): GuardResult => {
  const empty = isEmpty(text, QUERY_SHAPE);
  if (empty) return empty;
  const lexical = lexicalCheck(text, QUERY_SHAPE);
  if (lexical) return lexical;
  const parsed = parse(text, text, 0, QUERY_SHAPE);
  if (!parsed.ok) return parsed;
  const stmts: Node[] = parsed.tree.stmts ?? [];
  if (stmts.length !== 1) return { ok: false, message: `${QUERY_SHAPE}; found ${stmts.length} statements` };
  const stmt = stmts[0]?.stmt ?? {};
  const type = Object.keys(stmt)[0] ?? "";
  if (type !== "SelectStmt") {
    const words = statementWords(type);
    return {
      ok: false,
      message: `${QUERY_SHAPE}; found ${/^[AEIOU]/.test(words) ? "an" : "a"} ${words} statement`,
    };
  }
  const select = stmt.SelectStmt;
  // Every branch of a UNION / INTERSECT / EXCEPT must return the one count.
  const branches = (s: Node): Node[] =>
    s?.op && s.op !== "SETOP_NONE" ? [...branches(s.larg), ...branches(s.rarg)] : [s];
  for (const branch of branches(select)) {
    const targets: Node[] = branch?.targetList ?? [];
    const star = targets.some((t) => t?.ResTarget?.val?.ColumnRef?.fields?.some((f: Node) => f?.A_Star));
    if (targets.length !== 1 || star) {
      const found = star ? "*" : `${targets.length} columns`;
      return { ok: false, message: `${QUERY_SHAPE}; it selects ${found}: select exactly one, e.g. count(*)` };
    }
  }
  const ctx: Ctx = {
    depth: 0,
    allowWith: true,
    columns: [],
    dataset: dataset === null ? null : datasetParts(dataset),
    ctes: new Set(),
    relations: [],
  };
  try {
    checkSelect(select, ctx);
  } catch (error) {
    return refusal(error, text, text, 0);
  }
  const sql = text.trim();
  const lead = text.length - text.trimStart().length;
  const relations = ctx.relations.map((r) => {
    const start = byteToIndex(text, r.location);
    return {
      start: start - lead,
      end: nameEnd(text, start, r.parts) - lead,
      aliased: r.aliased,
      name: r.name,
    };
  });
  return { ok: true, sql, columns: [], relations };
};
