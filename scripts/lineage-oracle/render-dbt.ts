// Renders a dbt model to the SQL PostgreSQL runs, as `dbt compile` would for a postgres target:
// a real Jinja engine (nunjucks in Jinja-compatibility mode), the project's own macros with
// adapter.dispatch, and dbt's / dbt_utils' common macros written for PostgreSQL. Written apart
// from src/core (the oracle of measure-lineage must not share Covenant's rendering shortcuts).
import nunjucks from "nunjucks";

nunjucks.installJinjaCompat();

/** What rendering needs from the database being built: relation names and their columns. */
export type RenderCatalog = {
  relationOf: (ref: { model?: string; source?: [string, string] }) => string;
  columnsOf: (relation: string) => string[] | undefined;
};

export type Rendered = { sql: string; refs: string[]; sources: Array<[string, string]> };

const kwargsOf = (args: unknown[]): { positional: unknown[]; kwargs: Record<string, unknown> } => {
  const last = args[args.length - 1] as Record<string, unknown> | undefined;
  if (last && typeof last === "object" && "__keywords" in last)
    return { positional: args.slice(0, -1), kwargs: last };
  return { positional: args, kwargs: {} };
};

const str = (v: unknown): string => (v === undefined || v === null ? "" : String(v));
const asList = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(str) : typeof v === "string" ? [v] : v ? [str(v)] : [];

/** dbt's cross-database macros and dbt_utils' common ones, as dbt-postgres renders them. */
const builtins = (catalog: RenderCatalog): Record<string, (...args: unknown[]) => string> => {
  const starColumns = (...args: unknown[]) => {
    const { positional, kwargs } = kwargsOf(args);
    const from = str(kwargs.from ?? positional[0]);
    const except = new Set(asList(kwargs.except ?? positional[1]).map((c) => c.toLowerCase()));
    const alias = str(kwargs.relation_alias ?? positional[2]);
    const prefix = str(kwargs.prefix ?? positional[3]);
    const suffix = str(kwargs.suffix ?? positional[4]);
    const columns = catalog.columnsOf(from);
    if (!columns) throw new Error(`star(): the columns of ${from} are not known`);
    return columns
      .filter((c) => !except.has(c.toLowerCase()))
      .map(
        (c) => `${alias ? `${alias}.` : ""}"${c}"${prefix || suffix ? ` as "${prefix}${c}${suffix}"` : ""}`,
      )
      .join(",\n");
  };
  const surrogate = (...args: unknown[]) => {
    const { positional } = kwargsOf(args);
    const fields =
      positional.length === 1 && Array.isArray(positional[0]) ? asList(positional[0]) : positional.map(str);
    return `md5(${fields.map((f) => `coalesce(cast(${f} as varchar), '_dbt_utils_surrogate_key_null_')`).join(" || '-' || ")})`;
  };
  const dateadd = (...args: unknown[]) => {
    const { positional, kwargs } = kwargsOf(args);
    const part = str(kwargs.datepart ?? positional[0]);
    const n = str(kwargs.interval ?? positional[1]);
    const from = str(kwargs.from_date_or_timestamp ?? positional[2]);
    return `(${from} + ((interval '1 ${part}') * (${n})))`;
  };
  const datediff = (...args: unknown[]) => {
    const { positional, kwargs } = kwargsOf(args);
    const a = str(kwargs.first_date ?? positional[0]);
    const b = str(kwargs.second_date ?? positional[1]);
    const part = str(kwargs.datepart ?? positional[2]);
    return `(date_part('epoch', (${b})::timestamp - (${a})::timestamp) / extract(epoch from interval '1 ${part}'))::bigint`;
  };
  return {
    date_trunc: (part, expr) => `date_trunc('${str(part)}', ${str(expr)})`,
    dateadd,
    datediff,
    safe_cast: (expr, type) => `cast(${str(expr)} as ${str(type)})`,
    cast: (expr, type) => `cast(${str(expr)} as ${str(type)})`,
    concat: (fields) => `(${asList(fields).join(" || ")})`,
    hash: (field) => `md5(cast(${str(field)} as varchar))`,
    current_timestamp: () => "now()",
    current_timestamp_backcompat: () => "now()",
    split_part: (s, d, n) => `split_part(${str(s)}, ${str(d)}, ${str(n)})`,
    listagg: (m, d) => `string_agg(${str(m)}, ${str(d) || "','"})`,
    any_value: (e) => `min(${str(e)})`,
    bool_or: (e) => `bool_or(${str(e)})`,
    last_day: (d, part) =>
      `(date_trunc('${str(part)}', ${str(d)}) + interval '1 ${str(part)}' - interval '1 day')`,
    length: (e) => `length(${str(e)})`,
    position: (s, t) => `position(${str(s)} in ${str(t)})`,
    replace: (f, a, b) => `replace(${str(f)}, ${str(a)}, ${str(b)})`,
    right: (s, n) => `right(${str(s)}, ${str(n)})`,
    escape_single_quotes: (s) => str(s).replace(/'/g, "''"),
    string_literal: (s) => `'${str(s).replace(/'/g, "''")}'`,
    type_string: () => "varchar",
    type_int: () => "integer",
    type_bigint: () => "bigint",
    type_numeric: () => "numeric(28,6)",
    type_float: () => "float",
    type_timestamp: () => "timestamp",
    type_boolean: () => "boolean",
    star: starColumns,
    surrogate_key: surrogate,
    generate_surrogate_key: surrogate,
    safe_add: (...args) =>
      `(${asList(args.length === 1 ? args[0] : args)
        .map((f) => `coalesce(${f}, 0)`)
        .join(" + ")})`,
    safe_divide: (a, b) => `(${str(a)}) / nullif(${str(b)}, 0)`,
  };
};

/**
 * Only the `{% macro %}` blocks of a project's macro files (tests, materializations, docs
 * dropped), each kept if the Jinja engine compiles it: a model calling one left out fails alone.
 */
export const macroBlocks = (text: string): string =>
  [...text.matchAll(/\{%-?\s*macro\s[\s\S]*?\{%-?\s*endmacro\s*-?%\}/g)]
    .map((m) => m[0])
    .filter((block) => {
      try {
        new nunjucks.Template(
          toNunjucks(block),
          new nunjucks.Environment(null, { autoescape: false }),
          undefined,
          true,
        );
        return true;
      } catch {
        return false;
      }
    })
    .join("\n");

/** Jinja statements nunjucks lacks, rewritten to ones it has. */
function toNunjucks(text: string): string {
  return text
    .replace(/\{%(-?)\s*do\s+([\s\S]*?)(-?)%\}/g, "{%$1 set __do = $2 $3%}")
    .replace(/\bis\s+not\s+none\b/g, "!= none")
    .replace(/\bis\s+none\b/g, "== none")
    .replace(/\bNone\b/g, "none")
    .replace(/\bTrue\b/g, "true")
    .replace(/\bFalse\b/g, "false");
}

/**
 * Renders one model. `macros` is the text of the project's macro blocks; `vars` the project's
 * `vars:`. Throws when the model needs what a compile without a warehouse cannot give
 * (run_query results, an unknown macro).
 */
export const renderDbtModel = (
  sql: string,
  options: {
    macros: string;
    vars: Record<string, unknown>;
    self: string;
    catalog: RenderCatalog;
    /** The project's name: `name.macro()` calls its own macro. */
    project?: string;
  },
): Rendered => {
  const refs: string[] = [];
  const sources: Array<[string, string]> = [];
  const env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: false });
  const fns = builtins(options.catalog);
  const namespace = { ...fns };
  const dispatch = (name: unknown) =>
    function (this: { lookup: (n: string) => unknown }, ...args: unknown[]) {
      const n = str(name);
      for (const candidate of [`postgres__${n}`, `default__${n}`]) {
        const found = this.lookup(candidate);
        if (typeof found === "function") return (found as (...a: unknown[]) => unknown).apply(this, args);
      }
      const builtin = fns[n];
      if (builtin) return builtin(...args);
      throw new Error(`adapter.dispatch: no macro ${n}`);
    };
  const globals: Record<string, unknown> = {
    ref: (...args: unknown[]) => {
      const { positional } = kwargsOf(args);
      const model = str(positional[positional.length - 1]);
      refs.push(model);
      return options.catalog.relationOf({ model });
    },
    source: (a: unknown, b: unknown) => {
      sources.push([str(a), str(b)]);
      return options.catalog.relationOf({ source: [str(a), str(b)] });
    },
    config: () => "",
    var: (name: unknown, fallback?: unknown) => {
      const n = str(name);
      if (n in options.vars) return options.vars[n];
      return fallback ?? "";
    },
    env_var: (_: unknown, fallback?: unknown) => fallback ?? "",
    is_incremental: () => false,
    return: (value: unknown) => value,
    log: () => "",
    print: () => "",
    run_query: () => {
      throw new Error("run_query() needs a warehouse");
    },
    execute: false,
    flags: {},
    target: { type: "postgres", name: "dev", schema: "public", database: "oracle", profile_name: "oracle" },
    this: options.self,
    model: { name: options.self },
    adapter: { dispatch, quote: (s: unknown) => `"${str(s)}"` },
    exceptions: {
      raise_compiler_error: (m: unknown) => {
        throw new Error(str(m));
      },
      warn: () => "",
    },
    dbt: namespace,
    dbt_utils: namespace,
    dbt_date: namespace,
    modules: {},
    ...fns,
  };
  for (const [k, v] of Object.entries(globals)) env.addGlobal(k, v);
  // dbt's native-type filters.
  env.addFilter("as_bool", (v: unknown) => v === true || String(v).toLowerCase() === "true");
  env.addFilter("as_number", (v: unknown) => Number(v));
  env.addFilter("as_native", (v: unknown) => v);
  env.addFilter("as_text", (v: unknown) => str(v));
  let text = toNunjucks(`${options.macros}\n${sql}`);
  if (options.project) text = text.replace(new RegExp(`\\b${options.project}\\.(\\w+)\\s*\\(`, "g"), "$1(");
  const rendered = env.renderString(text, {});
  return { sql: rendered, refs, sources };
};
