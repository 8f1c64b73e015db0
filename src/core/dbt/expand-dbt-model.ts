import {
  call,
  defineMacros,
  type Evaluation,
  JinjaEvaluationError,
  type JinjaFunction,
  JinjaScope,
  fail as jinjaFail,
  jinjaText,
  Macro,
  renderTemplate,
  returnFunction,
} from "./evaluate-jinja.ts";
import { refStub, sourceStub } from "./render-jinja.ts";

/**
 * Expanding a model's Jinja for lineage: the project's own macros are evaluated, and the dbt and
 * dbt_utils macros whose SQL follows from inputs Covenant knows (their arguments, the columns of
 * the relations they read) are written out as SQL with the same column references. Anything that
 * needs the warehouse (run_query, get_column_values, the target) stops the expansion: the model's
 * lineage then stays unknown, never "no dependency".
 */

export type ExpandInput = {
  sql: string;
  /** The project's macro definitions the model may call (`{% macro %}…{% endmacro %}` text). */
  macros?: string;
  /** The project's `vars` (dbt_project.yml). */
  vars?: Readonly<Record<string, unknown>>;
  /** The warehouse (`adapter.dispatch` picks `<dialect>__name`, then `default__name`). */
  dialect?: string;
  /** What `is_incremental()` answers: lineage reads both renders. */
  incremental: boolean;
  /** What `flags.FULL_REFRESH` answers (`dbt run --full-refresh`): lineage reads that render too. */
  fullRefresh?: boolean;
  /** The `model` dbt passes to the model's Jinja, as far as the project's files say it. */
  model?: DbtModelContext;
  /** The columns of a relation by its stub (`__ref_orders`), when known. */
  columnsOf?: (stub: string) => readonly string[] | undefined;
};

/**
 * What the project's files say of a model for dbt's `model` context variable. What depends on the
 * target (`schema`, `database`) or on the manifest is left out: reading it stops the evaluation.
 */
export type DbtModelContext = {
  name: string;
  /** The project's name (dbt's `package_name`), when dbt_project.yml has one. */
  packageName?: string;
  /** The model's file, relative to its project (`models/staging/stg_orders.sql`). */
  originalFilePath: string;
  /** The config settings Covenant reads (materialized, alias, schema, tags, meta), merged as dbt does. */
  config: Record<string, unknown>;
};

export type Expanded =
  | { ok: true; sql: string; refs: string[]; sources: string[]; readColumns: string[] }
  | { ok: false; error: string };

/** A relation as dbt passes it around: written out as its stub, with dbt's attributes. */
class Relation {
  readonly identifier: string;
  readonly name: string;
  readonly table: string;
  constructor(
    readonly stub: string,
    name: string,
    readonly schema?: string,
  ) {
    this.identifier = name;
    this.name = name;
    this.table = name;
  }
  toString(): string {
    return this.stub;
  }
}

const fail = (message: string): never => jinjaFail(message);

/**
 * A dbt object whose attributes are exactly those given: reading another one (a model's `schema`,
 * a flag other than FULL_REFRESH) is not defined, so the evaluation stops instead of guessing.
 */
class ModelObject {
  constructor(attributes: Record<string, unknown>) {
    Object.assign(this, attributes);
  }
}

/** Binds a builtin's positional and keyword arguments to its parameter names. */
const bind = (
  params: string[],
  args: unknown[],
  kwargs: Record<string, unknown>,
): Record<string, unknown> => {
  const bound: Record<string, unknown> = {};
  params.forEach((name, i) => {
    if (i < args.length) bound[name] = args[i];
    else if (Object.hasOwn(kwargs, name)) bound[name] = kwargs[name];
  });
  return bound;
};

const text = (value: unknown, what: string): string => {
  if (value === undefined) return fail(`${what} is missing`);
  return jinjaText(value);
};

const list = (value: unknown, what: string): unknown[] => {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  if (typeof value === "string") return [value];
  return fail(`${what} is not a list`);
};

const builtin =
  (params: string[], body: (a: Record<string, unknown>, rest: unknown[]) => unknown): JinjaFunction =>
  (args, kwargs) =>
    body(bind(params, args, kwargs), args.slice(params.length));

const TYPES: Record<string, string> = {
  type_string: "varchar",
  type_int: "integer",
  type_bigint: "bigint",
  type_float: "float",
  type_numeric: "numeric",
  type_boolean: "boolean",
  type_timestamp: "timestamp",
};

/** dbt's cross-database macros: SQL with the same column references as the warehouse's own. */
const crossDatabase = (): Record<string, JinjaFunction> => ({
  ...Object.fromEntries(Object.entries(TYPES).map(([name, type]) => [name, () => type])),
  current_timestamp: () => "current_timestamp",
  current_timestamp_in_utc: () => "current_timestamp",
  dateadd: builtin(
    ["datepart", "interval", "from_date_or_timestamp"],
    (a) =>
      `((${text(a.from_date_or_timestamp, "dateadd's date")}) + (${text(a.interval, "dateadd's interval")}))`,
  ),
  datediff: builtin(
    ["first_date", "second_date", "datepart"],
    (a) =>
      `((${text(a.second_date, "datediff's second date")}) - (${text(a.first_date, "datediff's first date")}))`,
  ),
  date_trunc: builtin(
    ["datepart", "date"],
    (a) => `date_trunc('${text(a.datepart, "a datepart")}', ${text(a.date, "a date")})`,
  ),
  last_day: builtin(["date", "datepart"], (a) => `cast(${text(a.date, "a date")} as date)`),
  safe_cast: builtin(
    ["field", "type"],
    (a) => `cast(${text(a.field, "safe_cast's field")} as ${text(a.type, "safe_cast's type")})`,
  ),
  cast_bool_to_text: builtin(["field"], (a) => `cast(${text(a.field, "a field")} as varchar)`),
  concat: builtin(
    ["fields"],
    (a) =>
      `(${list(a.fields, "concat's fields")
        .map((f) => text(f, "a field"))
        .join(" || ")})`,
  ),
  hash: builtin(["field"], (a) => `md5(cast(${text(a.field, "hash's field")} as varchar))`),
  replace: builtin(
    ["field", "old_chars", "new_chars"],
    (a) =>
      `replace(${text(a.field, "a field")}, ${text(a.old_chars, "old_chars")}, ${text(a.new_chars, "new_chars")})`,
  ),
  split_part: builtin(
    ["string_text", "delimiter_text", "part_number"],
    (a) =>
      `split_part(${text(a.string_text, "a string")}, ${text(a.delimiter_text, "a delimiter")}, ${text(a.part_number, "a part number")})`,
  ),
  listagg: builtin(["measure", "delimiter_text", "order_by_clause", "limit_num"], (a) => {
    const order =
      a.order_by_clause === undefined || a.order_by_clause === null ? "" : text(a.order_by_clause, "");
    return `listagg(${text(a.measure, "listagg's measure")}, ${a.delimiter_text === undefined ? "','" : text(a.delimiter_text, "")})${order ? ` within group (${order})` : ""}`;
  }),
  position: builtin(
    ["substring_text", "string_text"],
    (a) => `position(${text(a.substring_text, "a substring")} in ${text(a.string_text, "a string")})`,
  ),
  length: builtin(["expression"], (a) => `length(${text(a.expression, "an expression")})`),
  right: builtin(
    ["string_text", "length_expression"],
    (a) => `right(${text(a.string_text, "a string")}, ${text(a.length_expression, "a length")})`,
  ),
  any_value: builtin(["expression"], (a) => `min(${text(a.expression, "an expression")})`),
  bool_or: builtin(["expression"], (a) => `bool_or(${text(a.expression, "an expression")})`),
  string_literal: builtin(["value"], (a) => `'${text(a.value, "a value").replace(/'/g, "''")}'`),
  escape_single_quotes: builtin(["expression"], (a) =>
    text(a.expression, "an expression").replace(/'/g, "''"),
  ),
  safe_divide: builtin(
    ["numerator", "denominator"],
    (a) => `((${text(a.numerator, "a numerator")}) / nullif(${text(a.denominator, "a denominator")}, 0))`,
  ),
});

const relationOf = (value: unknown, what: string): Relation =>
  value instanceof Relation ? value : fail(`${what} is not a ref() or source()`);

/** dbt_utils' macros whose SQL Covenant can write from what it knows. */
const dbtUtils = (columns: (relation: Relation) => readonly string[]): Record<string, JinjaFunction> => {
  const surrogateKey = (fields: unknown[]) =>
    `md5(cast(${fields
      .map((f) => `coalesce(cast(${text(f, "a key field")} as varchar), '_dbt_utils_surrogate_key_null_')`)
      .join(" || '-' || ")} as varchar))`;
  return {
    ...crossDatabase(),
    star: builtin(["from", "except", "relation_alias", "prefix", "suffix", "quote_identifiers"], (a) => {
      const except = new Set(list(a.except, "star's except").map((c) => text(c, "a column").toLowerCase()));
      const alias = a.relation_alias ? `${text(a.relation_alias, "relation_alias")}.` : "";
      const prefix = a.prefix ? text(a.prefix, "prefix") : "";
      const suffix = a.suffix ? text(a.suffix, "suffix") : "";
      const kept = columns(relationOf(a.from, "star's from")).filter((c) => !except.has(c.toLowerCase()));
      if (kept.length === 0) fail("star() lists no column");
      return kept
        .map((c) => `${alias}${c}${prefix || suffix ? ` as ${prefix}${c}${suffix}` : ""}`)
        .join(",\n  ");
    }),
    generate_surrogate_key: builtin(["field_list"], (a) =>
      surrogateKey(list(a.field_list, "the key's fields")),
    ),
    surrogate_key: (args, kwargs) =>
      surrogateKey(
        args.length === 1 && Array.isArray(args[0])
          ? args[0]
          : args.length > 0
            ? args
            : list(kwargs.field_list, "the key's fields"),
      ),
    union_relations: builtin(
      ["relations", "column_override", "include", "exclude", "source_column_name", "where"],
      (a) => {
        const relations = list(a.relations, "union_relations' relations").map((r) =>
          relationOf(r, "a relation"),
        );
        const include = new Set(list(a.include, "include").map((c) => text(c, "a column").toLowerCase()));
        const exclude = new Set(list(a.exclude, "exclude").map((c) => text(c, "a column").toLowerCase()));
        const sourceColumn =
          a.source_column_name === undefined ? "_dbt_source_relation" : text(a.source_column_name, "");
        const each = relations.map((r) =>
          columns(r)
            .map((c) => c.toLowerCase())
            .filter((c) => (include.size === 0 || include.has(c)) && !exclude.has(c)),
        );
        const all = [...new Set(each.flat())];
        const where = a.where ? ` where ${text(a.where, "where")}` : "";
        return relations
          .map((r, i) => {
            const has = new Set(each[i]);
            const select = all.map((c) => (has.has(c) ? c : `cast(null as varchar) as ${c}`));
            const source = sourceColumn ? [`cast('${r.stub}' as varchar) as ${sourceColumn}`] : [];
            return `(select ${[...source, ...select].join(", ")} from ${r.stub}${where})`;
          })
          .join("\nunion all\n");
      },
    ),
    date_spine: builtin(
      ["datepart", "start_date", "end_date"],
      (a) =>
        `select cast(${text(a.start_date, "date_spine's start")} as date) as date_${text(a.datepart, "date_spine's datepart")} where (${text(a.end_date, "date_spine's end")}) is not null`,
    ),
    group_by: builtin(["n"], (a) => {
      const n = Number(a.n);
      if (!Number.isInteger(n) || n < 1) fail("group_by's n is not a number");
      return `group by ${Array.from({ length: n }, (_, i) => i + 1).join(", ")}`;
    }),
    pivot: builtin(
      [
        "column",
        "values",
        "alias",
        "agg",
        "cmp",
        "prefix",
        "suffix",
        "then_value",
        "else_value",
        "quote_identifiers",
        "distinct",
      ],
      (a) => {
        const column = text(a.column, "pivot's column");
        const values = list(a.values, "pivot's values");
        if (values.length === 0) fail("pivot's values are empty");
        return values
          .map((v) => {
            const value = text(v, "a pivot value");
            const name = `${a.prefix ? text(a.prefix, "") : ""}${value}${a.suffix ? text(a.suffix, "") : ""}`;
            const as = a.alias === false ? "" : ` as ${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
            return `${a.agg ? text(a.agg, "") : "sum"}(${a.distinct ? "distinct " : ""}case when ${column} ${a.cmp ? text(a.cmp, "") : "="} '${value.replace(/'/g, "''")}' then ${a.then_value === undefined ? 1 : text(a.then_value, "")} else ${a.else_value === undefined ? 0 : text(a.else_value, "")} end)${as}`;
          })
          .join(",\n  ");
      },
    ),
  };
};

/** Every name the expansion can call, for deciding whether a model is worth expanding. */
export const KNOWN_PACKAGE_MACROS: ReadonlySet<string> = new Set(
  Object.keys(dbtUtils(() => [])).concat(Object.keys(TYPES)),
);

/**
 * A model's SQL with its Jinja evaluated. Fails (with the reason) on anything whose output
 * depends on the warehouse, the target or a macro Covenant does not know.
 */
export const expandDbtModel = ({
  sql,
  macros,
  vars,
  dialect,
  incremental,
  fullRefresh = false,
  model,
  columnsOf,
}: ExpandInput): Expanded => {
  const refs: string[] = [];
  const sources: string[] = [];
  const readColumns: string[] = [];
  const run: Evaluation = { steps: 0 };
  const globals = new JinjaScope();
  const columns = (relation: Relation): readonly string[] => {
    const known = columnsOf?.(relation.stub);
    if (!known || known.length === 0) return fail(`the columns of ${relation.name} are not known`);
    readColumns.push(relation.stub);
    return known;
  };
  const utils = dbtUtils(columns);
  const dbt = {
    ...crossDatabase(),
    date_spine: utils.date_spine!,
    generate_surrogate_key: utils.generate_surrogate_key!,
  };
  for (const [name, fn] of Object.entries(dbt)) globals.set(name, fn);
  globals.set("dbt_utils", utils);
  globals.set("dbt", dbt);
  const ref: JinjaFunction = (args) => {
    const names = args.filter((a): a is string => typeof a === "string");
    const model = names[names.length - 1] ?? fail("ref() names no model");
    refs.push(model!);
    return new Relation(refStub(model!), model!);
  };
  globals.set("ref", ref);
  globals.set(
    "source",
    builtin(["source_name", "table_name"], (a) => {
      const schema = text(a.source_name, "source()'s source");
      const table = text(a.table_name, "source()'s table");
      sources.push(`${schema}.${table}`);
      return new Relation(sourceStub(schema, table), table, schema);
    }),
  );
  const known = model?.config ?? {};
  // Only the settings Covenant reads are answered; any other may be set where it does not look.
  const getConfig = builtin(["name", "default"], (a) => {
    const name = text(a.name, "a config name");
    return Object.hasOwn(known, name) ? known[name] : fail(`config.get('${name}') is not known`);
  });
  const config = Object.assign((() => "") as JinjaFunction, { get: getConfig });
  globals.set("config", config);
  if (model) {
    const alias = typeof known.alias === "string" ? known.alias : model.name;
    globals.set(
      "model",
      new ModelObject({
        name: model.name,
        alias,
        identifier: alias,
        original_file_path: model.originalFilePath,
        path: model.originalFilePath.replace(/^[^/]*\//, ""),
        resource_type: "model",
        ...(model.packageName
          ? { package_name: model.packageName, unique_id: `model.${model.packageName}.${model.name}` }
          : {}),
        config: Object.assign(new ModelObject(known), { get: getConfig }),
      }),
    );
  }
  globals.set(
    "var",
    builtin(["name", "default"], (a) => {
      const name = text(a.name, "var()'s name");
      if (vars && Object.hasOwn(vars, name)) return vars[name];
      if (Object.hasOwn(a, "default")) return a.default;
      return fail(`var('${name}') has no value in dbt_project.yml and no default`);
    }),
  );
  globals.set(
    "env_var",
    builtin(["name", "default"], (a) =>
      Object.hasOwn(a, "default") ? a.default : fail(`env_var('${text(a.name, "a name")}') has no default`),
    ),
  );
  globals.set("this", new Relation("__this", "this"));
  globals.set("is_incremental", () => incremental && !fullRefresh);
  globals.set("should_full_refresh", () => fullRefresh || !incremental);
  // Only FULL_REFRESH: the other flags are the invocation's (which command, which selection).
  globals.set("flags", new ModelObject({ FULL_REFRESH: fullRefresh }));
  globals.set("execute", true);
  globals.set("return", returnFunction);
  globals.set("log", () => "");
  globals.set("print", () => "");
  globals.set("exceptions", {
    raise_compiler_error: builtin(["message"], (a) =>
      fail(`raise_compiler_error(${jinjaText(a.message ?? "")})`),
    ),
    warn: () => "",
  });
  globals.set(
    "range",
    builtin(["a", "b", "step"], (a) => {
      const [from, to] = a.b === undefined ? [0, Number(a.a)] : [Number(a.a), Number(a.b)];
      const step = a.step === undefined ? 1 : Number(a.step);
      if (!Number.isFinite(from) || !Number.isFinite(to) || !step || Math.abs((to - from) / step) > 10_000)
        fail("range() over more than 10,000 numbers");
      const out: number[] = [];
      for (let i = from; step > 0 ? i < to : i > to; i += step) out.push(i);
      return out;
    }),
  );
  globals.set("dict", ((_args, kwargs) => ({ ...kwargs })) as JinjaFunction);
  globals.set("namespace", ((_args, kwargs) => ({ ...kwargs })) as JinjaFunction);
  if (dialect) globals.set("target", { type: dialect });
  globals.set("adapter", {
    quote: builtin(["identifier"], (a) => text(a.identifier, "an identifier")),
    dispatch: builtin(["macro_name", "macro_namespace"], (a) => {
      const name = text(a.macro_name, "dispatch's macro name");
      const namespace = a.macro_namespace ? text(a.macro_namespace, "") : undefined;
      const candidates = [...(dialect ? [`${dialect}__${name}`] : []), `default__${name}`];
      const own = candidates
        .map((c) => globals.get(c))
        .find((m) => typeof m === "function" || m instanceof Macro);
      const packaged =
        namespace === "dbt_utils"
          ? utils[name]
          : namespace === "dbt" || !namespace
            ? (dbt as Record<string, JinjaFunction>)[name]
            : undefined;
      const target =
        own ?? packaged ?? fail(`adapter.dispatch('${name}') has no implementation Covenant knows`);
      return ((args, kwargs) => call(target, args, kwargs, run)) as JinjaFunction;
    }),
  });
  try {
    if (macros) defineMacros(macros, globals, run);
    const expanded = renderTemplate(sql, globals, run);
    return { ok: true, sql: expanded, refs, sources, readColumns };
  } catch (error) {
    if (error instanceof JinjaEvaluationError) return { ok: false, error: error.message };
    throw error;
  }
};
