/** A `{% … %}` tag left in the SQL as a comment, so the column reader knows a block was there. */
export const JINJA_BLOCK_MARKER = "/*covenant:jinja-block*/";
/** An expression `{{ … }}` we cannot evaluate (a macro call): its output is unknown. */
export const JINJA_MACRO_STUB = "__covenant_macro__";

export type RenderedModel = {
  /** The SQL with every Jinja construct replaced by a stub; every line stays at its line number. */
  sql: string;
  /** The argument text of each `{{ config(...) }}` call. */
  configs: string[];
  /** Models and sources referenced, for messages and lineage. */
  refs: string[];
  sources: string[];
  /** 1-based line of an unterminated `{{`, `{%` or `{#`, if any. */
  unterminatedAt?: number;
};

const lineAt = (text: string, offset: number): number => text.slice(0, offset).split("\n").length;

const newlinesOf = (text: string): string => text.replace(/[^\n]/g, "");

/** The string literals of a Jinja call's arguments, in order (keyword arguments included). */
const stringArgs = (args: string): string[] =>
  [...args.matchAll(/(['"])((?:\\.|(?!\1).)*)\1/g)].map((m) => m[2] ?? "");

const identifier = (text: string): string => text.replace(/[^A-Za-z0-9_]/g, "_");

/** The identifier a `ref('model')` is rendered to (lineage maps it back to the model). */
export const refStub = (model: string): string => `__ref_${identifier(model)}`;
/** The identifier a `source('schema', 'table')` is rendered to. */
export const sourceStub = (schema: string, table: string): string =>
  `__source_${identifier(schema)}__${identifier(table)}`;

/** Finds the end of a Jinja construct, skipping quoted strings so `'}}'` inside one does not end it. */
const findClose = (text: string, from: number, close: string): number => {
  let quote: string | undefined;
  for (let i = from; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === "\\") i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (text.startsWith(close, i)) return i;
  }
  return -1;
};

export type RenderOptions = {
  /**
   * Render a macro call as `__covenant_macro__(a, b)`, its string arguments that look like
   * column names becoming columns, so lineage sees what it probably reads (for the select list,
   * a bare stub is enough).
   */
  macroArgs?: boolean;
};

/**
 * Renders a dbt model's Jinja to plain SQL stubs without evaluating anything: `ref('x')` becomes
 * an identifier, `source('a','b')` too, `var()` becomes `null`, `config()` disappears (its
 * arguments are returned), comments disappear, block tags become a marker comment and any
 * other expression becomes an opaque identifier. Newlines inside a construct are kept so
 * locations in the rendered SQL are locations in the file.
 */
export const renderJinja = (source: string, options: RenderOptions = {}): RenderedModel => {
  const configs: string[] = [];
  const refs: string[] = [];
  const sources: string[] = [];
  let out = "";
  let i = 0;
  let unterminatedAt: number | undefined;
  while (i < source.length) {
    const open = source.slice(i).search(/\{[{%#]/);
    if (open < 0) {
      out += source.slice(i);
      break;
    }
    const start = i + open;
    out += source.slice(i, start);
    const kind = source[start + 1];
    const close = kind === "{" ? "}}" : kind === "%" ? "%}" : "#}";
    const end = kind === "#" ? source.indexOf(close, start + 2) : findClose(source, start + 2, close);
    if (end < 0) {
      unterminatedAt = lineAt(source, start);
      out += newlinesOf(source.slice(start));
      break;
    }
    const whole = source.slice(start, end + 2);
    const inner = source
      .slice(start + 2, end)
      .replace(/^-/, "")
      .replace(/-$/, "")
      .trim();
    let stub = "";
    if (kind === "%") stub = ` ${JINJA_BLOCK_MARKER} `;
    if (kind === "{") {
      const call = /^(\w+)\s*\(([\s\S]*)\)$/.exec(inner);
      const name = call?.[1];
      const args = call?.[2] ?? "";
      if (name === "ref") {
        const strings = stringArgs(args.replace(/\b(v|version)\s*=\s*(['"]?)[^,)]*\2/g, ""));
        const model = strings[strings.length - 1] ?? "model";
        refs.push(model);
        stub = refStub(model);
      } else if (name === "source") {
        const [schema = "source", table = "table"] = stringArgs(args);
        sources.push(`${schema}.${table}`);
        stub = sourceStub(schema, table);
      } else if (name === "config") {
        configs.push(args);
      } else if (name === "var" || name === "env_var") {
        stub = "null";
      } else if (inner === "this") {
        stub = "__this";
      } else if (
        options.macroArgs &&
        /^(?:dbt_utils\.)?star\s*\(/.test(inner) &&
        !/\b(prefix|suffix)\s*=/.test(inner)
      ) {
        // dbt_utils.star(ref('x')) lists the relation's columns: for lineage it is `*` (or
        // `alias.*`); the `except` list is not subtracted, so a change to it is still found.
        for (const nested of inner.matchAll(/\bref\s*\(([^()]*)\)/g)) {
          const strings = stringArgs(nested[1] ?? "");
          if (strings.length > 0) refs.push(strings[strings.length - 1]!);
        }
        for (const nested of inner.matchAll(/\bsource\s*\(([^()]*)\)/g)) {
          const [schema, table] = stringArgs(nested[1] ?? "");
          if (schema && table) sources.push(`${schema}.${table}`);
        }
        const alias = /\brelation_alias\s*=\s*['"](\w+)['"]/.exec(inner)?.[1];
        stub = alias ? `${alias}.*` : "*";
      } else {
        // A ref() or source() inside a macro call is still an edge of the graph.
        for (const nested of inner.matchAll(/\bref\s*\(([^()]*)\)/g)) {
          const strings = stringArgs((nested[1] ?? "").replace(/\b(v|version)\s*=\s*(['"]?)[^,)]*\2/g, ""));
          if (strings.length > 0) refs.push(strings[strings.length - 1]!);
        }
        for (const nested of inner.matchAll(/\bsource\s*\(([^()]*)\)/g)) {
          const [schema, table] = stringArgs(nested[1] ?? "");
          if (schema && table) sources.push(`${schema}.${table}`);
        }
        if (options.macroArgs) {
          const columns = [
            ...new Set(stringArgs(args).filter((arg) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(arg))),
          ];
          stub = `${JINJA_MACRO_STUB}(${columns.join(", ")})`;
        } else stub = JINJA_MACRO_STUB;
      }
    }
    out += stub + newlinesOf(whole);
    i = end + 2;
  }
  return { sql: out, configs, refs, sources, ...(unterminatedAt !== undefined ? { unterminatedAt } : {}) };
};

/** What a `config(...)` call sets that Covenant judges; Jinja/Python literals are read leniently. */
export type InlineConfig = { materialized?: string; enabled?: boolean; contractEnforced?: boolean };

export const parseConfigCall = (args: string): InlineConfig => {
  const result: InlineConfig = {};
  const materialized = /\bmaterialized\s*=\s*['"]([\w-]+)['"]/.exec(args)?.[1];
  if (materialized) result.materialized = materialized;
  const enabled = /\benabled\s*=\s*(true|false)\b/i.exec(args)?.[1];
  if (enabled) result.enabled = enabled.toLowerCase() === "true";
  const contract = /\bcontract\s*=\s*\{[^}]*['"]enforced['"]\s*:\s*(true|false)\b/i.exec(args)?.[1];
  if (contract) result.contractEnforced = contract.toLowerCase() === "true";
  return result;
};
