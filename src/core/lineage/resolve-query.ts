import type { ColumnRef, Cte, Expr, Query, Select } from "./query.ts";

/** How an output column is computed from an upstream one. */
export type Shape = "identity" | "cast" | "transformation";

export type Source = {
  node: string;
  column: string;
  shape: Shape;
  /** Inside a model: it went through a macro on the way (see ColumnLineage.opaque). */
  opaque?: boolean;
  /** The model never writes the column's name: it comes only through a `*`. */
  unnamed?: boolean;
};

/** What a relation a model reads is: a graph node with its columns, when they are known. */
export type Upstream = { node: string; columns?: readonly string[] };

export type ColumnLineage = {
  name: string;
  sources: Source[];
  /** A macro computes it: the sources are the columns named in its arguments, not necessarily all. */
  opaque?: boolean;
  line?: number;
};

export type QueryLineage = {
  columns: ColumnLineage[];
  /** Upstream nodes every column of which flows out under its own name (`select *` over unknown columns). */
  passthrough: string[];
  /** Columns the rows depend on: WHERE, JOIN, GROUP BY, HAVING, QUALIFY, windows, ORDER BY. */
  dependencies: Array<{ node: string; column: string; unnamed?: boolean }>;
  /** Relations read that are neither CTEs nor known nodes. */
  unknownRelations: string[];
};

const RANK: Record<Shape, number> = { identity: 0, cast: 1, transformation: 2 };
const compose = (outer: Shape, inner: Shape): Shape => (RANK[outer] >= RANK[inner] ? outer : inner);
const shapeOf = (expr: Expr): Shape =>
  expr.shape === "column" ? "identity" : expr.shape === "cast" ? "cast" : "transformation";

const lower = (name: string): string => name.toLowerCase();

type Item = {
  /** Names a qualifier may use: the alias, else the relation's last name part. */
  names: string[];
  known: Map<string, Source[]>;
  order: string[];
  /** Nodes whose unlisted columns this item may carry. */
  open: string[];
};

type Scope = { items: Item[]; using: string[]; outer?: Scope };

type Env = {
  catalog: (relation: string) => Upstream | undefined;
  ctes: Map<string, { cte: Cte; resolved?: Resolved; env: Env }>;
  deps: Map<string, { node: string; column: string; unnamed?: boolean }>;
  unknownRelations: Set<string>;
};

type Resolved = { columns: ColumnLineage[]; open: string[] };

const addDep = (env: Env, source: { node: string; column: string; unnamed?: boolean }) => {
  const key = `${source.node}\u0000${source.column}`;
  // A column named anywhere in the model stays named, whatever else reads it through a `*`.
  if (source.unnamed && env.deps.has(key)) return;
  env.deps.set(key, {
    node: source.node,
    column: source.column,
    ...(source.unnamed ? { unnamed: true } : {}),
  });
};

/**
 * DISTINCT (or a set operation without ALL) compares whole rows: the rows depend on every output
 * column's sources, and on every column of an upstream carried through unlisted (`*` of a node
 * whose columns are not known: a dependency on its column `*`, which any of its columns meets).
 */
const distinctDeps = (env: Env, columns: readonly ColumnLineage[], open: readonly string[]) => {
  for (const column of columns) for (const source of column.sources) addDep(env, source);
  for (const node of open) addDep(env, { node, column: "*" });
};

const withCtes = (env: Env, ctes: Cte[]): Env => {
  if (ctes.length === 0) return env;
  const map = new Map(env.ctes);
  const inner: Env = { ...env, ctes: map };
  for (const cte of ctes) map.set(lower(cte.name), { cte, env: inner });
  return inner;
};

const itemOfResolved = (resolved: Resolved, names: string[], aliases?: string[]): Item => {
  const known = new Map<string, Source[]>();
  const order: string[] = [];
  resolved.columns.forEach((column, index) => {
    const name = lower(aliases?.[index] ?? column.name);
    if (known.has(name)) return;
    known.set(name, column.opaque ? column.sources.map((s) => ({ ...s, opaque: true })) : column.sources);
    order.push(name);
  });
  return { names, known, order, open: resolved.open };
};

const lastPart = (name: string): string => lower(name.split(".").pop() ?? name);

const relationItem = (env: Env, name: string, alias: string | undefined): Item => {
  const names = [lower(alias ?? lastPart(name))];
  const cte = name.includes(".") ? undefined : env.ctes.get(lower(name));
  if (cte) {
    cte.resolved ??= resolveIn(cte.cte.query, cte.env, undefined);
    return itemOfResolved(cte.resolved, names, cte.cte.columns);
  }
  const upstream = env.catalog(name);
  if (!upstream) {
    env.unknownRelations.add(name);
    return { names, known: new Map(), order: [], open: [] };
  }
  if (!alias) names.push(lower(upstream.node), lastPart(upstream.node));
  if (upstream.columns === undefined) return { names, known: new Map(), order: [], open: [upstream.node] };
  const known = new Map<string, Source[]>();
  for (const column of upstream.columns)
    known.set(lower(column), [
      { node: upstream.node, column: lower(column), shape: "identity", unnamed: true },
    ]);
  return { names, known, order: [...known.keys()], open: [] };
};

/** A column the query writes out by name: whatever `*` carried it before, it is named now. */
const named = (sources: Source[]): Source[] => sources.map(({ unnamed: _, ...source }) => source);

const lookup = (scope: Scope | undefined, ref: ColumnRef): Source[] | undefined => {
  if (!scope) return undefined;
  const name = lower(ref.name);
  if (ref.qualifier !== undefined) {
    const q = lower(ref.qualifier);
    const item = scope.items.find((candidate) => candidate.names.includes(q));
    if (item) {
      const known = item.known.get(name);
      if (known) return named(known);
      if (item.open.length > 0) return item.open.map((node) => ({ node, column: name, shape: "identity" }));
      return [];
    }
    // BigQuery `struct_column.field`: the qualifier is a column.
    const asColumn = lookup({ ...scope, outer: undefined }, { name: ref.qualifier });
    if (asColumn && asColumn.length > 0)
      return asColumn.map((source) => ({ ...source, shape: compose(source.shape, "transformation") }));
    return lookup(scope.outer, ref);
  }
  const known = scope.items.flatMap((item) => item.known.get(name) ?? []);
  if (known.length > 0) return named(known);
  const open = scope.items.flatMap((item) => item.open);
  if (open.length > 0) return open.map((node) => ({ node, column: name, shape: "identity" }));
  return lookup(scope.outer, ref);
};

type ExprResult = { sources: Source[] };

const resolveExpr = (expr: Expr, scope: Scope, env: Env, aliases?: Map<string, Source[]>): ExprResult => {
  const shape = shapeOf(expr);
  const sources: Source[] = [];
  for (const ref of expr.refs) {
    const found =
      lookup(scope, ref) ?? (ref.qualifier === undefined ? aliases?.get(lower(ref.name)) : undefined) ?? [];
    for (const source of found) sources.push({ ...source, shape: compose(shape, source.shape) });
  }
  for (const ref of expr.deps) {
    for (const source of lookup(scope, ref) ?? aliases?.get(lower(ref.name)) ?? []) addDep(env, source);
  }
  for (const subquery of expr.subqueries) {
    const resolved = resolveIn(subquery, env, scope);
    for (const column of resolved.columns)
      for (const source of column.sources) sources.push({ ...source, shape: "transformation" });
  }
  return { sources };
};

const dedupe = (sources: Source[]): Source[] => {
  const byKey = new Map<string, Source>();
  for (const source of sources) {
    const key = `${source.node}\u0000${source.column}`;
    const seen = byKey.get(key);
    if (!seen || RANK[source.shape] < RANK[seen.shape]) {
      byKey.set(key, seen && !seen.unnamed && source.unnamed ? named([source])[0]! : source);
    } else if (seen.unnamed && !source.unnamed) byKey.set(key, named([seen])[0]!);
  }
  return [...byKey.values()];
};

const resolveSelect = (select: Select, outerEnv: Env, outer: Scope | undefined): Resolved => {
  const env = withCtes(outerEnv, select.ctes);
  const items = select.from.map((from): Item => {
    if (from.kind === "relation") return relationItem(env, from.name, from.alias);
    if (from.kind === "subquery") {
      const resolved = resolveIn(from.query, env, outer);
      return itemOfResolved(resolved, from.alias ? [lower(from.alias)] : [], from.columnAliases);
    }
    // A table function's columns are unknown; what it reads flows into them.
    const scope: Scope = { items: [], using: [], ...(outer ? { outer } : {}) };
    const { sources } = resolveExpr(from.expr, scope, env);
    const known = new Map<string, Source[]>();
    if (from.alias) known.set(lower(from.alias), sources);
    return { names: from.alias ? [lower(from.alias)] : [], known, order: [], open: [] };
  });
  const scope: Scope = { items, using: select.using.map(lower), ...(outer ? { outer } : {}) };
  const columns: ColumnLineage[] = [];
  const open: string[] = [];
  const emitted = new Set<string>();
  const lateral = new Map<string, Source[]>();
  const emit = (column: ColumnLineage) => {
    columns.push(column);
    emitted.add(lower(column.name));
  };
  for (const target of select.targets) {
    if (target.kind === "star") {
      const chosen =
        target.qualifier === undefined
          ? items
          : items.filter((item) => item.names.includes(lower(target.qualifier!)));
      for (const item of chosen) {
        for (const name of item.order) {
          // `using (id)` gives one `id` column, read from both sides.
          if (emitted.has(name) && scope.using.includes(name)) continue;
          const known = item.known.get(name) ?? [];
          // A `using` column is named by the join, whatever the `*` carries.
          const sources = dedupe(scope.using.includes(name) ? named(known) : known);
          emit({ name, sources, ...(sources.some((s) => s.opaque) ? { opaque: true } : {}) });
        }
        open.push(...item.open);
      }
      continue;
    }
    // Snowflake, BigQuery, Redshift and Databricks let a select-list item use an alias defined
    // before it (`min(x) as lo, … case when lo = hi …`): a name no relation has is such an alias.
    const { sources } = resolveExpr(target.expr, scope, env, lateral);
    if (target.name !== undefined) lateral.set(lower(target.name), dedupe(sources));
    emit({
      name: lower(target.name ?? `_col${columns.length}`),
      sources: dedupe(sources),
      ...(target.expr.opaque || sources.some((s) => s.opaque) ? { opaque: true } : {}),
      ...(target.line !== undefined ? { line: target.line } : {}),
    });
  }
  const aliases = new Map(columns.map((column) => [column.name, column.sources]));
  for (const filter of select.filters)
    for (const source of resolveExpr(filter, scope, env, aliases).sources) addDep(env, source);
  for (const name of scope.using)
    for (const item of items) for (const source of named(item.known.get(name) ?? [])) addDep(env, source);
  if (select.distinct) distinctDeps(env, columns, open);
  return { columns, open: [...new Set(open)] };
};

const resolveIn = (query: Query, env: Env, outer: Scope | undefined): Resolved => {
  if (query.kind === "select") return resolveSelect(query, env, outer);
  const inner = withCtes(env, query.ctes);
  const branches = query.branches.map((branch) => resolveIn(branch, inner, outer));
  const first = branches[0] ?? { columns: [], open: [] };
  const columns = first.columns.map((column, index) => ({
    ...column,
    sources: dedupe(branches.flatMap((branch) => branch.columns[index]?.sources ?? [])),
    ...(branches.some((branch) => branch.columns[index]?.opaque) ? { opaque: true } : {}),
  }));
  const open = [...new Set(branches.flatMap((branch) => branch.open))];
  if (query.distinct) distinctDeps(env, columns, open);
  return { columns, open };
};

/** The column lineage of a query, given how to find the relations it reads. */
export const resolveQuery = (query: Query, catalog: Env["catalog"]): QueryLineage => {
  const env: Env = { catalog, ctes: new Map(), deps: new Map(), unknownRelations: new Set() };
  const resolved = resolveIn(query, env, undefined);
  return {
    columns: resolved.columns.map((column) => ({
      ...column,
      sources: column.sources.map(({ opaque: _, ...source }) => source),
    })),
    passthrough: resolved.open,
    dependencies: [...env.deps.values()],
    unknownRelations: [...env.unknownRelations],
  };
};
