/**
 * A parser-neutral description of a model's query: what lineage needs and nothing more. The
 * parsers' ASTs stop at the adapters that build it (`parse-postgres-query`, `parse-warehouse-query`),
 * so resolution speaks one shape whatever the dialect.
 */

/** `qualifier.name`; the qualifier is a table alias, a relation name, or absent. */
export type ColumnRef = { qualifier?: string; name: string };

/** An expression of a select list (or a table function) with the columns it reads. */
export type Expr = {
  /** Columns read outside window clauses and subqueries: they flow into the value. */
  refs: ColumnRef[];
  /** Columns read by window clauses (`partition by`, `order by` of `over`): the value depends on them. */
  deps: ColumnRef[];
  /** Subqueries inside the expression (scalar, EXISTS, IN): their outputs flow in, their filters are dependencies. */
  subqueries: Query[];
  /** A bare column, a cast of one, or anything else. */
  shape: "column" | "cast" | "transformation";
  /** A macro whose body is not visible: the columns it reads are not fully known. */
  opaque?: boolean;
};

export type Target =
  | { kind: "star"; qualifier?: string; except?: string[] }
  | { kind: "expr"; name?: string; expr: Expr; line?: number };

export type FromItem =
  | { kind: "relation"; name: string; alias?: string }
  | { kind: "subquery"; query: Query; alias?: string; columnAliases?: string[] }
  /** A table function (`unnest`, `generate_series`, `flatten`): its columns are not known. */
  | { kind: "function"; expr: Expr; alias?: string };

export type Cte = { name: string; columns?: string[]; query: Query };

export type Select = {
  kind: "select";
  ctes: Cte[];
  from: FromItem[];
  /** Columns joined with `using (...)`: one output column, read from every side. */
  using: string[];
  targets: Target[];
  /** WHERE, JOIN … ON, GROUP BY, HAVING, QUALIFY, window definitions, ORDER BY, DISTINCT ON. */
  filters: Expr[];
  /** `select distinct`: which rows there are depends on every output column. */
  distinct?: boolean;
};

/** UNION / INTERSECT / EXCEPT: every branch feeds the output, by position. */
export type SetOp = {
  kind: "setop";
  ctes: Cte[];
  branches: Query[];
  /** UNION / INTERSECT / EXCEPT without ALL (at any level): rows compare on every column. */
  distinct?: boolean;
};

export type Query = Select | SetOp;

export const emptyExpr = (): Expr => ({ refs: [], deps: [], subqueries: [], shape: "transformation" });

/**
 * `group by 1` / `order by 2`: the select-list expression at that position (1-based) read as a
 * filter, so the rows depend on what it reads. Nothing for a `*` target or a position out of range.
 */
export const positionalFilter = (targets: readonly Target[], position: unknown): Expr[] => {
  if (typeof position !== "number" || !Number.isInteger(position)) return [];
  const target = targets[position - 1];
  if (target?.kind !== "expr") return [];
  return [{ ...target.expr, refs: [...target.expr.refs, ...target.expr.deps], deps: [] }];
};
