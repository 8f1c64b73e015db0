/**
 * A small, strict Jinja evaluator for the subset dbt models and macros use: `{{ expression }}`,
 * `{% set %}` (also `{% set x %}…{% endset %}` and `ns.attr`), `{% if/elif/else %}`, `{% for %}`
 * (with `loop.*` and tuple targets), `{% macro %}` with defaults and keyword arguments,
 * `{% do %}`, `{{ return(x) }}`, filters, tests and the Python string/list/dict methods Jinja
 * exposes. It is strict where Jinja is lenient: a name, attribute or construct it does not know
 * stops the evaluation with a JinjaEvaluationError, so an output is never a guess.
 *
 * Chosen over an npm engine: nunjucks (the maintained Jinja port) has no `{% do %}`, no dbt
 * `return()`, no Python string methods (`.lower()`, `.split()`) and renders unknown names as empty
 * text unless every undefined throws, including the ones `is defined` must see.
 */

export class JinjaEvaluationError extends Error {}

export const fail = (message: string): never => {
  // Expected on every model Covenant cannot expand: no stack trace to capture.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  const error = new JinjaEvaluationError(message);
  Error.stackTraceLimit = limit;
  throw error;
};

/** A name or attribute that does not exist: only `is defined` and `default` may use it. */
class Missing {
  constructor(readonly name: string) {}
}
const isMissing = (value: unknown): value is Missing => value instanceof Missing;

export type JinjaFunction = (args: unknown[], kwargs: Record<string, unknown>) => unknown;

/** A host value rendered by its `toString` (a dbt relation) with attributes. */
export type JinjaObject = { [key: string]: unknown };

// ---------- template → nodes ----------

type Expr =
  | { k: "lit"; v: unknown }
  | { k: "name"; n: string }
  | { k: "list"; items: Expr[] }
  | { k: "dict"; entries: Array<[Expr, Expr]> }
  | { k: "attr"; o: Expr; n: string }
  | { k: "item"; o: Expr; i: Expr }
  | { k: "call"; f: Expr; args: Expr[]; kwargs: Array<[string, Expr]> }
  | { k: "filter"; o: Expr; n: string; args: Expr[]; kwargs: Array<[string, Expr]> }
  | { k: "test"; o: Expr; n: string; not: boolean; args: Expr[] }
  | { k: "bin"; op: string; l: Expr; r: Expr }
  | { k: "not"; o: Expr }
  | { k: "neg"; o: Expr }
  | { k: "cond"; c: Expr; t: Expr; e?: Expr };

type Node =
  | { k: "text"; v: string }
  | { k: "out"; e: Expr }
  | { k: "if"; branches: Array<[Expr, Node[]]>; otherwise: Node[] }
  | { k: "for"; targets: string[]; iter: Expr; body: Node[]; otherwise: Node[] }
  | { k: "set"; target: string[]; attr?: string; e: Expr }
  | { k: "setblock"; name: string; body: Node[] }
  | { k: "macro"; name: string; params: Array<[string, Expr | undefined]>; body: Node[] }
  | { k: "do"; e: Expr };

type Token = { t: "name" | "num" | "str" | "op"; v: string };

const OPERATORS = [
  "**",
  "//",
  "==",
  "!=",
  "<=",
  ">=",
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
  ",",
  ".",
  ":",
  "|",
  "~",
  "+",
  "-",
  "*",
  "/",
  "%",
  "<",
  ">",
  "=",
];

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /\d+(?:\.\d+)?/y;
const OPEN = /\{[{%#]/g;

const tokenize = (text: string): Token[] => {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    NAME.lastIndex = i;
    const name = NAME.exec(text);
    if (name) {
      tokens.push({ t: "name", v: name[0] });
      i += name[0].length;
      continue;
    }
    NUMBER.lastIndex = i;
    const num = NUMBER.exec(text);
    if (num) {
      tokens.push({ t: "num", v: num[0] });
      i += num[0].length;
      continue;
    }
    if (ch === "'" || ch === '"') {
      let value = "";
      let j = i + 1;
      for (; j < text.length && text[j] !== ch; j++) {
        if (text[j] === "\\" && j + 1 < text.length) {
          const next = text[++j]!;
          value += next === "n" ? "\n" : next === "t" ? "\t" : next;
        } else value += text[j];
      }
      if (j >= text.length) fail("an unterminated string");
      tokens.push({ t: "str", v: value });
      i = j + 1;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (!op) fail(`an unexpected character '${ch}'`);
    tokens.push({ t: "op", v: op! });
    i += op!.length;
  }
  return tokens;
};

class ExprParser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}
  static parse(text: string): Expr {
    const parser = new ExprParser(tokenize(text));
    const expr = parser.expr();
    parser.end();
    return expr;
  }
  peek(offset = 0): Token | undefined {
    return this.tokens[this.i + offset];
  }
  is(v: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token !== undefined && (token.t === "op" || token.t === "name") && token.v === v;
  }
  take(v: string): boolean {
    if (!this.is(v)) return false;
    this.i++;
    return true;
  }
  expect(v: string): void {
    if (!this.take(v)) fail(`'${v}' expected, found '${this.peek()?.v ?? "the end"}'`);
  }
  name(): string {
    const token = this.peek();
    if (token?.t !== "name") fail(`a name expected, found '${token?.v ?? "the end"}'`);
    this.i++;
    return token!.v;
  }
  end(): void {
    if (this.i < this.tokens.length) fail(`unexpected '${this.peek()!.v}'`);
  }
  atEnd(): boolean {
    return this.i >= this.tokens.length;
  }
  expr(): Expr {
    const t = this.or();
    if (this.take("if")) {
      const c = this.or();
      const e = this.take("else") ? this.expr() : undefined;
      return { k: "cond", c, t, ...(e ? { e } : {}) };
    }
    return t;
  }
  or(): Expr {
    let l = this.and();
    while (this.take("or")) l = { k: "bin", op: "or", l, r: this.and() };
    return l;
  }
  and(): Expr {
    let l = this.not();
    while (this.take("and")) l = { k: "bin", op: "and", l, r: this.not() };
    return l;
  }
  not(): Expr {
    if (this.is("not") && !this.is("in", 1)) {
      this.i++;
      return { k: "not", o: this.not() };
    }
    return this.compare();
  }
  compare(): Expr {
    let l = this.concat();
    for (;;) {
      const token = this.peek();
      if (token?.t === "op" && ["==", "!=", "<", ">", "<=", ">="].includes(token.v)) {
        this.i++;
        l = { k: "bin", op: token.v, l, r: this.concat() };
      } else if (this.take("in")) l = { k: "bin", op: "in", l, r: this.concat() };
      else if (this.is("not") && this.is("in", 1)) {
        this.i += 2;
        l = { k: "not", o: { k: "bin", op: "in", l, r: this.concat() } };
      } else if (this.take("is")) {
        const not = this.take("not");
        const n = this.name();
        const args: Expr[] = [];
        if (this.take("(")) {
          if (!this.take(")")) {
            do args.push(this.expr());
            while (this.take(","));
            this.expect(")");
          }
        } else if (this.peek() && ["str", "num"].includes(this.peek()!.t)) args.push(this.primary());
        l = { k: "test", o: l, n, not, args };
      } else return l;
    }
  }
  concat(): Expr {
    let l = this.add();
    while (this.take("~")) l = { k: "bin", op: "~", l, r: this.add() };
    return l;
  }
  add(): Expr {
    let l = this.mul();
    while (this.is("+") || this.is("-")) {
      const op = this.peek()!.v;
      this.i++;
      l = { k: "bin", op, l, r: this.mul() };
    }
    return l;
  }
  mul(): Expr {
    let l = this.unary();
    while (["*", "/", "//", "%"].some((op) => this.is(op))) {
      const op = this.peek()!.v;
      this.i++;
      l = { k: "bin", op, l, r: this.unary() };
    }
    return l;
  }
  unary(): Expr {
    if (this.take("-")) return { k: "neg", o: this.unary() };
    if (this.take("+")) return this.unary();
    const base = this.postfix();
    if (this.take("**")) return { k: "bin", op: "**", l: base, r: this.unary() };
    return base;
  }
  args(): { args: Expr[]; kwargs: Array<[string, Expr]> } {
    const args: Expr[] = [];
    const kwargs: Array<[string, Expr]> = [];
    if (this.take(")")) return { args, kwargs };
    do {
      if (this.is(")")) break; // trailing comma
      if (this.peek()?.t === "name" && this.is("=", 1)) {
        const n = this.name();
        this.i++;
        kwargs.push([n, this.expr()]);
      } else args.push(this.expr());
    } while (this.take(","));
    this.expect(")");
    return { args, kwargs };
  }
  postfix(): Expr {
    let e = this.primary();
    for (;;) {
      if (this.take(".")) {
        const token = this.peek();
        if (token?.t === "num") {
          this.i++;
          e = { k: "item", o: e, i: { k: "lit", v: Number(token.v) } };
        } else e = { k: "attr", o: e, n: this.name() };
      } else if (this.take("[")) {
        if (this.is(":") || this.is(":", 1)) fail("slices are not supported");
        e = { k: "item", o: e, i: this.expr() };
        this.expect("]");
      } else if (this.take("(")) e = { k: "call", f: e, ...this.args() };
      else if (this.take("|")) {
        const n = this.name();
        const call = this.take("(") ? this.args() : { args: [], kwargs: [] };
        e = { k: "filter", o: e, n, ...call };
      } else return e;
    }
  }
  primary(): Expr {
    const token = this.peek();
    if (!token) return fail("an expression expected, found the end");
    this.i++;
    if (token.t === "str") {
      let v = token.v;
      while (this.peek()?.t === "str") v += this.tokens[this.i++]!.v;
      return { k: "lit", v };
    }
    if (token.t === "num") return { k: "lit", v: Number(token.v) };
    if (token.t === "name") {
      if (token.v === "true" || token.v === "True") return { k: "lit", v: true };
      if (token.v === "false" || token.v === "False") return { k: "lit", v: false };
      if (token.v === "none" || token.v === "None") return { k: "lit", v: null };
      return { k: "name", n: token.v };
    }
    if (token.v === "(") {
      if (this.take(")")) return { k: "list", items: [] };
      const first = this.expr();
      if (!this.is(",")) {
        this.expect(")");
        return first;
      }
      const items = [first];
      while (this.take(",") && !this.is(")")) items.push(this.expr());
      this.expect(")");
      return { k: "list", items };
    }
    if (token.v === "[") {
      const items: Expr[] = [];
      while (!this.take("]")) {
        items.push(this.expr());
        if (!this.take(",")) {
          this.expect("]");
          break;
        }
      }
      return { k: "list", items };
    }
    if (token.v === "{") {
      const entries: Array<[Expr, Expr]> = [];
      while (!this.take("}")) {
        const key = this.expr();
        this.expect(":");
        entries.push([key, this.expr()]);
        if (!this.take(",")) {
          this.expect("}");
          break;
        }
      }
      return { k: "dict", entries };
    }
    return fail(`unexpected '${token.v}'`);
  }
}

type Piece = { kind: "text" | "out" | "tag"; body: string };

/** Splits a template into text, `{{ }}` and `{% %}` pieces; comments go, `-` trims whitespace. */
const pieces = (source: string): Piece[] => {
  const out: Piece[] = [];
  let i = 0;
  let trimNext = false;
  while (i < source.length) {
    OPEN.lastIndex = i;
    const found = OPEN.exec(source);
    const open = found ? found.index - i : -1;
    let text = open < 0 ? source.slice(i) : source.slice(i, i + open);
    if (trimNext) text = text.replace(/^\s+/, "");
    if (open < 0) {
      out.push({ kind: "text", body: text });
      break;
    }
    const start = i + open;
    const kind = source[start + 1];
    if (source[start + 2] === "-") text = text.replace(/\s+$/, "");
    out.push({ kind: "text", body: text });
    const close = kind === "{" ? "}}" : kind === "%" ? "%}" : "#}";
    let end = -1;
    let quote: string | undefined;
    for (let j = start + 2; j < source.length; j++) {
      const ch = source[j]!;
      if (kind === "#") {
        if (source.startsWith(close, j)) {
          end = j;
          break;
        }
      } else if (quote) {
        if (ch === "\\") j++;
        else if (ch === quote) quote = undefined;
      } else if (ch === "'" || ch === '"') quote = ch;
      else if (source.startsWith(close, j)) {
        end = j;
        break;
      }
    }
    if (end < 0) fail("an unterminated Jinja tag");
    const body = source.slice(start + 2, end);
    trimNext = body.endsWith("-");
    if (kind !== "#")
      out.push({ kind: kind === "{" ? "out" : "tag", body: body.replace(/^-/, "").replace(/-$/, "").trim() });
    i = end + 2;
  }
  return out;
};

/** Parses a template into nodes; `{% raw %}` and unknown tags stop the evaluation. */
const parseTemplate = (source: string): Node[] => {
  const list = pieces(source);
  let at = 0;
  const block = (ends: string[]): { nodes: Node[]; end: string; rest: string } => {
    const nodes: Node[] = [];
    while (at < list.length) {
      const piece = list[at++]!;
      if (piece.kind === "text") {
        if (piece.body) nodes.push({ k: "text", v: piece.body });
        continue;
      }
      if (piece.kind === "out") {
        nodes.push({ k: "out", e: ExprParser.parse(piece.body) });
        continue;
      }
      const tag = /^(\w+)\s*([\s\S]*)$/.exec(piece.body);
      const name = tag?.[1] ?? "";
      const rest = tag?.[2] ?? "";
      if (ends.includes(name)) return { nodes, end: name, rest };
      if (name === "if") {
        const branches: Array<[Expr, Node[]]> = [];
        let cond = ExprParser.parse(rest);
        let otherwise: Node[] = [];
        for (;;) {
          const inner = block(["elif", "else", "endif"]);
          branches.push([cond, inner.nodes]);
          if (inner.end === "elif") cond = ExprParser.parse(inner.rest);
          else if (inner.end === "else") {
            otherwise = block(["endif"]).nodes;
            break;
          } else break;
        }
        nodes.push({ k: "if", branches, otherwise });
      } else if (name === "for") {
        const m = /^([\w\s,]+?)\s+in\s+([\s\S]+)$/.exec(rest);
        if (!m || /\bif\b|\brecursive\b/.test(m[2]!)) fail(`a for loop Covenant does not read: ${rest}`);
        const targets = m![1]!.split(",").map((t) => t.trim());
        const inner = block(["else", "endfor"]);
        const otherwise = inner.end === "else" ? block(["endfor"]).nodes : [];
        nodes.push({ k: "for", targets, iter: ExprParser.parse(m![2]!), body: inner.nodes, otherwise });
      } else if (name === "set") {
        const assign = /^([\w\s,.]+?)\s*=\s*([\s\S]+)$/.exec(rest);
        if (assign) {
          const target = assign[1]!.trim();
          const e = ExprParser.parse(assign[2]!);
          const dotted = /^(\w+)\.(\w+)$/.exec(target);
          if (dotted) nodes.push({ k: "set", target: [dotted[1]!], attr: dotted[2]!, e });
          else nodes.push({ k: "set", target: target.split(",").map((t) => t.trim()), e });
        } else if (/^\w+$/.test(rest))
          nodes.push({ k: "setblock", name: rest, body: block(["endset"]).nodes });
        else fail(`a set Covenant does not read: ${rest}`);
      } else if (name === "macro") {
        const m = /^(\w+)\s*\(([\s\S]*)\)$/.exec(rest);
        if (!m) return fail(`a macro definition Covenant does not read: ${rest}`);
        const parser = new ExprParser(tokenize(`${m[2]})`));
        const params: Array<[string, Expr | undefined]> = [];
        if (!parser.take(")")) {
          do {
            const param = parser.name();
            params.push([param, parser.take("=") ? parser.expr() : undefined]);
          } while (parser.take(","));
          parser.expect(")");
        }
        nodes.push({ k: "macro", name: m[1]!, params, body: block(["endmacro"]).nodes });
      } else if (name === "do") nodes.push({ k: "do", e: ExprParser.parse(rest) });
      else if (name === "docs" || name === "test" || name === "materialization" || name === "snapshot")
        fail(`a {% ${name} %} block`);
      else fail(`the {% ${name} %} tag`);
    }
    if (ends.length > 0) fail(`{% ${ends[ends.length - 1]} %} is missing`);
    return { nodes, end: "", rest: "" };
  };
  return block([]).nodes;
};

// ---------- evaluation ----------

class ReturnSignal {
  constructor(readonly value: unknown) {}
}

export class Macro {
  constructor(
    readonly name: string,
    readonly params: Array<[string, Expr | undefined]>,
    readonly body: Node[],
    readonly globals: Scope,
  ) {}
}

class Scope {
  private readonly values = new Map<string, unknown>();
  constructor(private readonly parent?: Scope) {}
  get(name: string): unknown {
    if (this.values.has(name)) return this.values.get(name);
    return this.parent ? this.parent.get(name) : new Missing(name);
  }
  set(name: string, value: unknown): void {
    this.values.set(name, value);
  }
}

const isDict = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" &&
  value !== null &&
  !Array.isArray(value) &&
  !(value instanceof Macro) &&
  Object.getPrototypeOf(value) === Object.prototype;

const defined = (value: unknown, _what: string): unknown => {
  if (isMissing(value)) fail(`${value.name} is not known`);
  return value;
};

const truthy = (value: unknown): boolean => {
  defined(value, "a value");
  if (Array.isArray(value)) return value.length > 0;
  if (isDict(value)) return Object.keys(value).length > 0;
  return Boolean(value);
};

/**
 * The largest text and list a template may build. Checked on every value an operator, filter or
 * method makes, before the big ones are made, so doubling a value in a loop stops here rather
 * than holding the process for seconds or taking it down (a list past V8's limit aborts it).
 */
const MAX_TEXT = 2_000_000;
const MAX_ITEMS = 10_000;

const textTooLong = (): never =>
  fail(`the template builds a text longer than ${MAX_TEXT.toLocaleString("en-US")} characters`);
const listTooLong = (): never =>
  fail(`the template builds a list longer than ${MAX_ITEMS.toLocaleString("en-US")} items`);

/** A value within the limits, or the evaluation stops. */
const sized = <T>(value: T): T => {
  if (typeof value === "string" && value.length > MAX_TEXT) textTooLong();
  if (Array.isArray(value) && value.length > MAX_ITEMS) listTooLong();
  return value;
};

/** Texts joined, refused before joining when the result would be too long. */
const joinTexts = (texts: readonly string[], separator: string): string => {
  let length = separator.length * Math.max(0, texts.length - 1);
  for (const text of texts) length += text.length;
  if (length > MAX_TEXT) textTooLong();
  return texts.join(separator);
};

/** Python's str.replace (every occurrence; an empty `from` goes between every character). */
const replaceText = (text: string, from: unknown, to: unknown): string =>
  joinTexts(text.split(String(from)), String(to));

/** Python's `text * n`: empty for n <= 0; a non-integer count is a TypeError in Jinja. */
const repeatText = (text: string, count: number): string => {
  if (!Number.isInteger(count)) fail("a text repeated a number of times that is not an integer");
  if (count <= 0) return "";
  if (text.length * count > MAX_TEXT) textTooLong();
  return text.repeat(count);
};

/** Jinja's text of a value: Python's spelling of none, booleans and lists. */
export const jinjaText = (value: unknown): string => {
  defined(value, "a value");
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  if (Array.isArray(value)) return `[${joinTexts(value.map(repr), ", ")}]`;
  if (isDict(value))
    return `{${joinTexts(
      Object.entries(value).map(([k, v]) => `${repr(k)}: ${repr(v)}`),
      ", ",
    )}}`;
  if (typeof value === "function" || value instanceof Macro) fail("a function is written out as text");
  return String(value);
};
const repr = (value: unknown): string =>
  typeof value === "string" ? `'${value.replace(/'/g, "\\'")}'` : jinjaText(value);

const iterate = (value: unknown): unknown[] => {
  defined(value, "a loop's list");
  if (Array.isArray(value)) return value;
  if (typeof value === "string") return [...value];
  if (isDict(value)) return Object.keys(value);
  return fail("a loop over something that is not a list");
};

/** Lists compared item by item, at most MAX_ITEMS items in all (nested lists may share items). */
const equal = (a: unknown, b: unknown, budget = { items: MAX_ITEMS }): boolean => {
  if (!Array.isArray(a) || !Array.isArray(b)) return a === b;
  if (a.length !== b.length) return false;
  budget.items -= a.length;
  if (budget.items < 0)
    fail(`the template builds a list too large to compare (over ${MAX_ITEMS.toLocaleString("en-US")} items)`);
  return a.every((x, i) => equal(x, b[i], budget));
};

const STRING_METHODS: Record<string, (s: string, args: unknown[]) => unknown> = {
  lower: (s) => s.toLowerCase(),
  upper: (s) => s.toUpperCase(),
  strip: (s, [c]) =>
    typeof c === "string"
      ? s.replace(new RegExp(`^[${escapeClass(c)}]+|[${escapeClass(c)}]+$`, "g"), "")
      : s.trim(),
  lstrip: (s) => s.replace(/^\s+/, ""),
  rstrip: (s) => s.replace(/\s+$/, ""),
  split: (s, [sep, max]) => {
    const parts = typeof sep === "string" ? s.split(sep) : s.trim().split(/\s+/).filter(Boolean);
    if (typeof max !== "number" || typeof sep !== "string" || parts.length <= max + 1) return parts;
    return [...parts.slice(0, max), parts.slice(max).join(sep)];
  },
  replace: (s, [from, to]) => replaceText(s, from, to),
  startswith: (s, [p]) => s.startsWith(String(p)),
  endswith: (s, [p]) => s.endsWith(String(p)),
  join: (s, [list]) => joinTexts(iterate(list).map(jinjaText), s),
  title: (s) => s.replace(/\w\S*/g, (w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase()),
  capitalize: (s) => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase(),
};
const escapeClass = (text: string): string => text.replace(/[\]\\^-]/g, "\\$&");

const LIST_METHODS: Record<string, (l: unknown[], args: unknown[]) => unknown> = {
  append: (l, [x]) => {
    if (l.length >= MAX_ITEMS) listTooLong();
    l.push(x);
    return null;
  },
  extend: (l, [x]) => {
    const items = iterate(x);
    if (l.length + items.length > MAX_ITEMS) listTooLong();
    for (const item of [...items]) l.push(item);
    return null;
  },
  pop: (l, [i]) => (typeof i === "number" ? l.splice(i, 1)[0] : l.pop()),
  index: (l, [x]) => l.findIndex((y) => equal(x, y)),
  insert: (l, [i, x]) => {
    if (l.length >= MAX_ITEMS) listTooLong();
    l.splice(Number(i), 0, x);
    return null;
  },
  remove: (l, [x]) => {
    const i = l.findIndex((y) => equal(x, y));
    if (i >= 0) l.splice(i, 1);
    return null;
  },
};

const DICT_METHODS: Record<string, (d: Record<string, unknown>, args: unknown[]) => unknown> = {
  items: (d) => Object.entries(d),
  keys: (d) => Object.keys(d),
  values: (d) => Object.values(d),
  get: (d, [k, fallback]) => (Object.hasOwn(d, String(k)) ? d[String(k)] : (fallback ?? null)),
  update: (d, [other]) => {
    if (isDict(other)) Object.assign(d, other);
    return null;
  },
  pop: (d, [k, fallback]) => {
    const v = Object.hasOwn(d, String(k)) ? d[String(k)] : (fallback ?? null);
    delete d[String(k)];
    return v;
  },
};

const method = <T>(table: Record<string, (o: T, args: unknown[]) => unknown>, o: T, name: string) =>
  Object.hasOwn(table, name) ? (((args: unknown[]) => table[name]!(o, args)) as JinjaFunction) : undefined;

const attribute = (object: unknown, name: string): unknown => {
  if (isMissing(object)) return new Missing(`${object.name}.${name}`);
  const missing = new Missing(`.${name}`);
  if (typeof object === "string") return method(STRING_METHODS, object, name) ?? missing;
  if (Array.isArray(object)) return method(LIST_METHODS, object, name) ?? missing;
  if (isDict(object))
    return method(DICT_METHODS, object, name) ?? (Object.hasOwn(object, name) ? object[name] : missing);
  if (
    (typeof object === "object" || typeof object === "function") &&
    object !== null &&
    Object.hasOwn(object, name)
  )
    return (object as Record<string, unknown>)[name];
  return missing;
};

const FILTERS: Record<string, (value: unknown, args: unknown[], kwargs: Record<string, unknown>) => unknown> =
  {
    join: (v, [sep]) => joinTexts(iterate(v).map(jinjaText), typeof sep === "string" ? sep : ""),
    lower: (v) => jinjaText(v).toLowerCase(),
    upper: (v) => jinjaText(v).toUpperCase(),
    trim: (v) => jinjaText(v).trim(),
    replace: (v, [from, to]) => replaceText(jinjaText(v), from, to),
    length: (v) => iterate(v).length,
    count: (v) => iterate(v).length,
    list: (v) => [...iterate(v)],
    first: (v) => iterate(v)[0] ?? new Missing("the first item"),
    last: (v) => iterate(v).at(-1) ?? new Missing("the last item"),
    unique: (v) => iterate(v).filter((x, i, all) => all.findIndex((y) => equal(x, y)) === i),
    sort: (v) => [...iterate(v)].sort((a, b) => jinjaText(a).localeCompare(jinjaText(b))),
    reverse: (v) => (typeof v === "string" ? [...v].reverse().join("") : [...iterate(v)].reverse()),
    string: (v) => jinjaText(v),
    int: (v) => Math.trunc(Number(defined(v, "a value"))) || 0,
    float: (v) => Number(defined(v, "a value")) || 0,
    abs: (v) => Math.abs(Number(defined(v, "a value"))),
    title: (v) => STRING_METHODS.title!(jinjaText(v), []),
    capitalize: (v) => STRING_METHODS.capitalize!(jinjaText(v), []),
    default: (v, [fallback, boolean]) => (isMissing(v) || (boolean && !truthy(v)) ? (fallback ?? "") : v),
    as_text: (v) => jinjaText(v),
    as_bool: (v) => v,
    as_number: (v) => v,
    as_native: (v) => v,
    map: (v, [filter], kwargs) => {
      if (typeof kwargs.attribute === "string")
        return iterate(v).map((x) => attribute(x, kwargs.attribute as string));
      const f = typeof filter === "string" ? FILTERS[filter] : undefined;
      return f ? iterate(v).map((x) => f(x, [], {})) : fail("a map filter Covenant does not read");
    },
  };
FILTERS.d = FILTERS.default!;

const TESTS: Record<string, (value: unknown, args: unknown[]) => boolean> = {
  defined: (v) => !isMissing(v),
  undefined: (v) => isMissing(v),
  none: (v) => defined(v, "a value") === null,
  string: (v) => typeof defined(v, "a value") === "string",
  number: (v) => typeof defined(v, "a value") === "number",
  integer: (v) => Number.isInteger(defined(v, "a value")),
  boolean: (v) => typeof defined(v, "a value") === "boolean",
  true: (v) => defined(v, "a value") === true,
  false: (v) => defined(v, "a value") === false,
  mapping: (v) => isDict(defined(v, "a value")),
  sequence: (v) => Array.isArray(defined(v, "a value")) || typeof v === "string",
  iterable: (v) => Array.isArray(defined(v, "a value")) || typeof v === "string" || isDict(v),
  in: (v, [list]) => contains(list, v),
  eq: (v, [x]) => equal(defined(v, "a value"), x),
  equalto: (v, [x]) => equal(defined(v, "a value"), x),
  odd: (v) => Number(defined(v, "a value")) % 2 === 1,
  even: (v) => Number(defined(v, "a value")) % 2 === 0,
};

const contains = (container: unknown, item: unknown): boolean => {
  defined(container, "the right side of 'in'");
  if (typeof container === "string") return container.includes(jinjaText(item));
  if (Array.isArray(container)) return container.some((x) => equal(x, item));
  if (isDict(container)) return Object.hasOwn(container, String(item));
  return fail("'in' over something that is not a list");
};

const number = (value: unknown): number => {
  if (typeof value !== "number") fail("arithmetic on something that is not a number");
  return value as number;
};

const binary = (op: string, l: unknown, r: unknown): unknown => {
  switch (op) {
    case "~":
      return jinjaText(l) + jinjaText(r);
    case "+":
      defined(l, "a value");
      defined(r, "a value");
      if (typeof l === "string" && typeof r === "string") return l + r;
      if (Array.isArray(l) && Array.isArray(r)) {
        if (l.length + r.length > MAX_ITEMS) listTooLong();
        return [...l, ...r];
      }
      return number(l) + number(r);
    case "-":
      return number(l) - number(r);
    case "*":
      if (typeof l === "string" && typeof r === "number") return repeatText(l, r);
      return number(l) * number(r);
    case "/":
      return number(l) / number(r);
    case "//":
      return Math.floor(number(l) / number(r));
    case "%":
      return number(l) % number(r);
    case "**":
      return number(l) ** number(r);
    case "==":
      return equal(defined(l, "a value"), defined(r, "a value"));
    case "!=":
      return !equal(defined(l, "a value"), defined(r, "a value"));
    case "<":
      return number(l) < number(r);
    case ">":
      return number(l) > number(r);
    case "<=":
      return number(l) <= number(r);
    case ">=":
      return number(l) >= number(r);
    case "in":
      return contains(r, defined(l, "a value"));
    default:
      return fail(`the operator ${op}`);
  }
};

/** The limit on macro calls, loop turns and output size: a runaway template is not evaluated. */
const BUDGET = 20_000;

export type Evaluation = { steps: number };

const evaluate = (expr: Expr, scope: Scope, run: Evaluation): unknown => {
  switch (expr.k) {
    case "lit":
      return expr.v;
    case "name":
      return scope.get(expr.n);
    case "list":
      return expr.items.map((item) => defined(evaluate(item, scope, run), "a list item"));
    case "dict":
      return Object.fromEntries(
        expr.entries.map(([k, v]) => [
          jinjaText(evaluate(k, scope, run)),
          defined(evaluate(v, scope, run), "a value"),
        ]),
      );
    case "attr": {
      const value = attribute(evaluate(expr.o, scope, run), expr.n);
      return isMissing(value) ? new Missing(describe(expr)) : value;
    }
    case "item": {
      const object = defined(evaluate(expr.o, scope, run), "an indexed value");
      const index = defined(evaluate(expr.i, scope, run), "an index");
      if (Array.isArray(object) || typeof object === "string") {
        const i = number(index);
        const item = object[i < 0 ? object.length + i : i];
        return item === undefined ? fail("an index out of range") : item;
      }
      return attribute(object, jinjaText(index));
    }
    case "call": {
      const callee = expr.f.k === "name" ? scope.get(expr.f.n) : evaluate(expr.f, scope, run);
      if (isMissing(callee)) fail(`the macro ${describe(expr.f)}() is not known`);
      const args = expr.args.map((a) => defined(evaluate(a, scope, run), "an argument"));
      const kwargs = Object.fromEntries(
        expr.kwargs.map(([n, v]) => [n, defined(evaluate(v, scope, run), "an argument")]),
      );
      return call(callee, args, kwargs, run);
    }
    case "filter": {
      const filter = FILTERS[expr.n] ?? fail(`the filter |${expr.n}`);
      const value = evaluate(expr.o, scope, run);
      const args = expr.args.map((a) => evaluate(a, scope, run));
      const kwargs = Object.fromEntries(expr.kwargs.map(([n, v]) => [n, evaluate(v, scope, run)]));
      return sized(
        filter!(
          expr.n === "default" || expr.n === "d" ? value : defined(value, "a filtered value"),
          args,
          kwargs,
        ),
      );
    }
    case "test": {
      const test = TESTS[expr.n] ?? fail(`the test 'is ${expr.n}'`);
      const result = test!(
        evaluate(expr.o, scope, run),
        expr.args.map((a) => evaluate(a, scope, run)),
      );
      return expr.not ? !result : result;
    }
    case "bin":
      if (expr.op === "and") {
        const l = evaluate(expr.l, scope, run);
        return truthy(l) ? evaluate(expr.r, scope, run) : l;
      }
      if (expr.op === "or") {
        const l = evaluate(expr.l, scope, run);
        return truthy(l) ? l : evaluate(expr.r, scope, run);
      }
      return sized(binary(expr.op, evaluate(expr.l, scope, run), evaluate(expr.r, scope, run)));
    case "not":
      return !truthy(evaluate(expr.o, scope, run));
    case "neg":
      return -number(evaluate(expr.o, scope, run));
    case "cond":
      return truthy(evaluate(expr.c, scope, run))
        ? evaluate(expr.t, scope, run)
        : expr.e
          ? evaluate(expr.e, scope, run)
          : "";
  }
};

const describe = (expr: Expr): string =>
  expr.k === "name" ? expr.n : expr.k === "attr" ? `${describe(expr.o)}.${expr.n}` : "(a value)";

export const call = (
  callee: unknown,
  args: unknown[],
  kwargs: Record<string, unknown>,
  run: Evaluation,
): unknown => {
  if (++run.steps > BUDGET) fail("the template runs too long");
  if (typeof callee === "function") return sized((callee as JinjaFunction)(args, kwargs));
  if (!(callee instanceof Macro)) return fail("a call of something that is not a macro");
  const scope = new Scope(callee.globals);
  callee.params.forEach(([name, fallback], i) => {
    if (i < args.length) scope.set(name, args[i]);
    else if (Object.hasOwn(kwargs, name)) scope.set(name, kwargs[name]);
    else if (fallback) scope.set(name, evaluate(fallback, scope, run));
    else fail(`the macro ${callee.name}() lacks its argument ${name}`);
  });
  const known = new Set(callee.params.map(([name]) => name));
  const extra = Object.keys(kwargs).filter((name) => !known.has(name));
  if (args.length > callee.params.length || extra.length > 0) {
    scope.set("varargs", args.slice(callee.params.length));
    scope.set("kwargs", Object.fromEntries(extra.map((name) => [name, kwargs[name]])));
  }
  try {
    return render(callee.body, scope, run);
  } catch (error) {
    if (error instanceof ReturnSignal) return error.value;
    throw error;
  }
};

const assign = (scope: Scope, targets: string[], value: unknown): void => {
  if (targets.length === 1) {
    scope.set(targets[0]!, value);
    return;
  }
  const values = iterate(value);
  if (values.length !== targets.length) fail("a tuple assignment of the wrong length");
  targets.forEach((target, i) => {
    scope.set(target, values[i]);
  });
};

const render = (nodes: Node[], scope: Scope, run: Evaluation): string => {
  let out = "";
  for (const node of nodes) {
    switch (node.k) {
      case "text":
        out += node.v;
        break;
      case "out":
        out += jinjaText(evaluate(node.e, scope, run));
        break;
      case "if": {
        const branch = node.branches.find(([cond]) => truthy(evaluate(cond, scope, run)));
        out += render(branch ? branch[1] : node.otherwise, scope, run);
        break;
      }
      case "for": {
        const items = iterate(evaluate(node.iter, scope, run));
        if (items.length === 0) out += render(node.otherwise, scope, run);
        items.forEach((item, index) => {
          if (++run.steps > BUDGET) fail("the template runs too long");
          const inner = new Scope(scope);
          assign(inner, node.targets, item);
          inner.set("loop", {
            index: index + 1,
            index0: index,
            first: index === 0,
            last: index === items.length - 1,
            length: items.length,
            revindex: items.length - index,
            revindex0: items.length - index - 1,
          });
          out += render(node.body, inner, run);
        });
        break;
      }
      case "set": {
        const value = defined(evaluate(node.e, scope, run), "the value set");
        if (node.attr) {
          const object = scope.get(node.target[0]!);
          if (!isDict(object)) fail(`${node.target[0]} is not a namespace`);
          (object as Record<string, unknown>)[node.attr] = value;
        } else assign(scope, node.target, value);
        break;
      }
      case "setblock":
        scope.set(node.name, render(node.body, scope, run));
        break;
      case "macro":
        scope.set(node.name, new Macro(node.name, node.params, node.body, scope));
        break;
      case "do":
        evaluate(node.e, scope, run);
        break;
    }
    if (out.length > 2_000_000) fail("the rendered SQL is too long");
  }
  return out;
};

/** `return(x)` inside a macro: the macro's value is x. */
export const returnFunction: JinjaFunction = ([value]) => {
  throw new ReturnSignal(value ?? null);
};

/** Parsed definitions by text: every model calling a macro shares one parse (bounded). */
const parsedMacros = new Map<string, Node[]>();
const parsedMacro = (text: string): Node[] => {
  let nodes = parsedMacros.get(text);
  if (!nodes) {
    nodes = parseTemplate(text);
    if (parsedMacros.size >= 2_000) parsedMacros.delete(parsedMacros.keys().next().value!);
    parsedMacros.set(text, nodes);
  }
  return nodes;
};

/** The macros a file defines, bound to the given globals (other macros see each other there). */
export const defineMacros = (source: string, globals: Scope, run: Evaluation): void => {
  // Each definition on its own: one Covenant cannot read fails only where it is called.
  for (const match of source.matchAll(/\{%-?\s*macro\s+(\w+)[\s\S]*?\{%-?\s*endmacro\s*-?%\}/g)) {
    try {
      for (const node of parsedMacro(match[0])) if (node.k === "macro") render([node], globals, run);
    } catch (error) {
      if (!(error instanceof JinjaEvaluationError)) throw error;
      const reason = error.message;
      globals.set(match[1]!, (() => fail(`the macro ${match[1]}() uses ${reason}`)) as JinjaFunction);
    }
  }
};

export { Scope as JinjaScope };

/** Renders a template with the given globals. Throws JinjaEvaluationError when it cannot. */
export const renderTemplate = (source: string, globals: Scope, run: Evaluation): string => {
  try {
    return render(parseTemplate(source), new Scope(globals), run);
  } catch (error) {
    if (error instanceof ReturnSignal) return fail("return() outside a macro");
    if (error instanceof RangeError)
      return fail(
        /call stack/i.test(error.message)
          ? "the template recurses too deeply"
          : "the template builds a value too large",
      );
    throw error;
  }
};
