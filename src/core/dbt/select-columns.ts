import { JINJA_BLOCK_MARKER, JINJA_MACRO_STUB } from "./render-jinja.ts";

type TokenKind = "word" | "quoted" | "string" | "number" | "punct" | "jinja";
type Token = { kind: TokenKind; text: string; line: number };

export type SelectColumn = { name: string; line: number };

export type SelectList = {
  columns: SelectColumn[];
  /** False when the list holds `*`, `x.*`, a macro or a Jinja block: more columns may exist. */
  known: boolean;
  /** Why the SQL could not be read, with its line. */
  error?: { line: number; message: string };
};

/** Words that end a select list at depth 0. */
const LIST_END = new Set([
  "from",
  "where",
  "group",
  "having",
  "order",
  "limit",
  "union",
  "intersect",
  "except",
  "window",
  "qualify",
  "into",
  "offset",
  "fetch",
]);

/** Words that cannot be an implicit alias (`case … end` has no name). */
const NOT_ALIAS = new Set([
  "end",
  "null",
  "true",
  "false",
  "distinct",
  "and",
  "or",
  "not",
  "is",
  "in",
  "then",
  "else",
]);

const tokenize = (sql: string): { tokens: Token[]; error?: { line: number; message: string } } => {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  const push = (kind: TokenKind, text: string, startLine: number) =>
    tokens.push({ kind, text, line: startLine });
  while (i < sql.length) {
    const ch = sql[i]!;
    const startLine = line;
    if (ch === "\n") {
      line++;
      i++;
    } else if (/\s/.test(ch)) {
      i++;
    } else if (sql.startsWith("--", i)) {
      while (i < sql.length && sql[i] !== "\n") i++;
    } else if (sql.startsWith(JINJA_BLOCK_MARKER, i)) {
      push("jinja", JINJA_BLOCK_MARKER, startLine);
      i += JINJA_BLOCK_MARKER.length;
    } else if (sql.startsWith("/*", i)) {
      const end = sql.indexOf("*/", i + 2);
      if (end < 0) return { tokens, error: { line: startLine, message: "unterminated /* comment" } };
      line += (sql.slice(i, end).match(/\n/g) ?? []).length;
      i = end + 2;
    } else if (ch === "'" || ch === '"' || ch === "`") {
      let j = i + 1;
      for (; j < sql.length; j++) {
        if (sql[j] === "\\" && ch === "'") j++;
        else if (sql[j] === ch) {
          if (sql[j + 1] === ch) j++;
          else break;
        }
      }
      if (j >= sql.length) {
        return {
          tokens,
          error: { line: startLine, message: `unterminated ${ch === "'" ? "string" : "quoted identifier"}` },
        };
      }
      const text = sql.slice(i, j + 1);
      line += (text.match(/\n/g) ?? []).length;
      push(ch === "'" ? "string" : "quoted", text, startLine);
      i = j + 1;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(ch)) {
      const word = /^[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*/.exec(sql.slice(i))![0];
      push("word", word, startLine);
      i += word.length;
    } else if (/\d/.test(ch) || (ch === "." && /\d/.test(sql[i + 1] ?? ""))) {
      const number = /^(\d*\.?\d+(e[+-]?\d+)?|\d+\.)/i.exec(sql.slice(i))![0];
      push("number", number, startLine);
      i += number.length;
    } else if (sql.startsWith("::", i)) {
      push("punct", "::", startLine);
      i += 2;
    } else {
      push("punct", ch, startLine);
      i++;
    }
  }
  return { tokens };
};

const lower = (token: Token | undefined): string => (token?.kind === "word" ? token.text.toLowerCase() : "");

/** Unquoted identifiers fold to lower case (as dbt's YAML usually spells them); quoted ones keep their case. */
const identifierName = (token: Token): string =>
  token.kind === "quoted"
    ? token.text.slice(1, -1).replace(/""/g, '"').replace(/``/g, "`")
    : token.text.toLowerCase();

const isIdentifier = (token: Token | undefined): boolean =>
  token?.kind === "word" || token?.kind === "quoted";

/** `a`, `t.a`, `db.t.a`: returns the last part. */
const qualifiedName = (tokens: Token[]): Token | undefined => {
  if (tokens.length % 2 === 0) return undefined;
  for (let i = 0; i < tokens.length; i++) {
    const ok = i % 2 === 0 ? isIdentifier(tokens[i]) : tokens[i]?.text === ".";
    if (!ok) return undefined;
  }
  return tokens[tokens.length - 1];
};

/** The name an item of a select list gets, or undefined when it adds unknown columns or has no reliable name. */
const itemName = (item: Token[]): { name?: string; star?: boolean } => {
  if (
    item.some(
      (token) =>
        token.text === "*" && (item.indexOf(token) === 0 || item[item.indexOf(token) - 1]?.text === "."),
    )
  ) {
    return { star: true };
  }
  const last = item[item.length - 1];
  const previous = item[item.length - 2];
  if (isIdentifier(last) && lower(previous) === "as" && item.length >= 3)
    return { name: identifierName(last!) };
  const plain = qualifiedName(item);
  if (plain) return plain.text === JINJA_MACRO_STUB ? { star: true } : { name: identifierName(plain) };
  if (
    isIdentifier(last) &&
    previous &&
    !NOT_ALIAS.has(lower(last)) &&
    previous.text !== "." &&
    previous.text !== "::" &&
    (isIdentifier(previous) ||
      previous.text === ")" ||
      previous.kind === "string" ||
      previous.kind === "number" ||
      lower(previous) === "end")
  ) {
    return { name: identifierName(last!) };
  }
  // `x::int` and `cast(x as int)` keep the name of x, as PostgreSQL does.
  const cast = item.findIndex((token) => token.text === "::");
  if (cast > 0) {
    const inner = qualifiedName(item.slice(0, cast));
    if (inner) return { name: identifierName(inner) };
  }
  if (lower(item[0]) === "cast" && item[1]?.text === "(" && last?.text === ")") {
    const as = item.findIndex((token, index) => index > 1 && lower(token) === "as");
    const inner = as > 0 ? qualifiedName(item.slice(2, as)) : undefined;
    if (inner) return { name: identifierName(inner) };
  }
  if (item.length === 1 && last?.text === JINJA_MACRO_STUB) return { star: true };
  return {};
};

/**
 * The columns of a query's final SELECT list (the first SELECT at depth 0, after any CTEs; a
 * UNION takes its names from its first branch). The SQL must already be rendered from Jinja.
 * Unnamed expressions and `*` make the list unknown rather than guessed.
 */
export const selectColumns = (sql: string): SelectList => {
  const { tokens, error } = tokenize(sql);
  if (error) return { columns: [], known: false, error };
  let balance = 0;
  for (const token of tokens) {
    balance += token.text === "(" ? 1 : token.text === ")" ? -1 : 0;
    if (balance < 0)
      return {
        columns: [],
        known: false,
        error: { line: token.line, message: "unbalanced parentheses: `)` without `(`" },
      };
  }
  if (balance > 0) {
    const line = tokens[tokens.length - 1]?.line ?? 1;
    return {
      columns: [],
      known: false,
      error: { line, message: "unbalanced parentheses: a `(` is never closed" },
    };
  }
  let depth = 0;
  let start = -1;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.text === "(") depth++;
    else if (token.text === ")") depth--;
    else if (depth === 0 && lower(token) === "select") {
      start = i + 1;
      break;
    } else if (depth === 0 && token.text === ";") break;
  }
  if (start < 0) {
    const line = tokens[0]?.line ?? 1;
    return {
      columns: [],
      known: false,
      error: { line, message: "no SELECT statement found at the top level of the model" },
    };
  }
  const columns: SelectColumn[] = [];
  let known = true;
  while (["distinct", "all"].includes(lower(tokens[start]))) {
    start++;
    if (lower(tokens[start]) === "on" && tokens[start + 1]?.text === "(") {
      let level = 0;
      for (start++; start < tokens.length; start++) {
        if (tokens[start]!.text === "(") level++;
        if (tokens[start]!.text === ")" && --level === 0) break;
      }
      start++;
    }
  }
  if (lower(tokens[start]) === "top") start += 2;
  let item: Token[] = [];
  const flush = () => {
    if (item.length === 0) return;
    const { name, star } = itemName(item);
    if (name) columns.push({ name, line: item[0]!.line });
    else known = false;
    if (star) known = false;
    item = [];
  };
  depth = 0;
  for (let i = start; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind === "jinja") {
      known = false;
      continue;
    }
    if (depth === 0 && (LIST_END.has(lower(token)) || token.text === ";" || token.text === ")")) break;
    if (token.text === "(") depth++;
    if (token.text === ")") depth--;
    if (depth === 0 && token.text === ",") flush();
    else item.push(token);
  }
  flush();
  return { columns, known };
};
