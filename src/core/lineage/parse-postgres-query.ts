import { parseSync } from "libpg-query";
import {
  type ColumnRef,
  type Cte,
  type Expr,
  type FromItem,
  positionalFilter,
  type Query,
  type Select,
  type Target,
} from "./query.ts";

// The libpg-query AST is read structurally and never leaves this file.
// biome-ignore lint/suspicious/noExplicitAny: untyped JSON AST from the parser
type Node = any;

export const MACRO = "__covenant_macro__";

const str = (n: Node): string | undefined => n?.String?.sval;

const isObject = (value: unknown): value is Record<string, Node> =>
  typeof value === "object" && value !== null;

const columnRefOf = (node: Node): ColumnRef | "star" | undefined => {
  const fields: Node[] = node?.fields ?? [];
  if (fields.length === 0) return undefined;
  if (fields[fields.length - 1]?.A_Star) return "star";
  const names = fields.map(str);
  if (names.some((name) => name === undefined)) return undefined;
  const name = names[names.length - 1]!;
  return names.length >= 2 ? { qualifier: names[names.length - 2]!, name } : { name };
};

/** Collects what an expression reads; subqueries become queries of their own. */
const walk = (node: Node, expr: Expr, inWindow: boolean): void => {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, expr, inWindow);
    return;
  }
  if (!isObject(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if (key === "ColumnRef") {
      const ref = columnRefOf(value);
      if (ref === "star" || ref === undefined) continue;
      if (ref.name === MACRO && ref.qualifier === undefined) {
        expr.opaque = true;
        continue;
      }
      (inWindow ? expr.deps : expr.refs).push(ref);
    } else if (key === "SelectStmt") {
      expr.subqueries.push(selectOf(value));
    } else if (key === "FuncCall") {
      const names = (value.funcname ?? []).map(str);
      if (names[names.length - 1] === MACRO) expr.opaque = true;
      walk(value.args, expr, inWindow);
      walk(value.agg_order, expr, inWindow);
      walk(value.agg_filter, expr, inWindow);
      if (value.over) walk(value.over, expr, true);
    } else if (key === "WindowDef") {
      walk(value, expr, true);
    } else {
      walk(value, expr, inWindow);
    }
  }
};

export const exprOf = (node: Node): Expr => {
  const expr: Expr = { refs: [], deps: [], subqueries: [], shape: "transformation" };
  walk(node, expr, false);
  if (node?.ColumnRef && expr.refs.length === 1) expr.shape = "column";
  else if (node?.TypeCast?.arg?.ColumnRef && expr.refs.length === 1) expr.shape = "cast";
  return expr;
};

/** The name Postgres gives an unnamed select-list item: the column, the function, else none. */
const implicitName = (node: Node): string | undefined => {
  if (node?.ColumnRef) {
    const ref = columnRefOf(node.ColumnRef);
    return ref && ref !== "star" && ref.name !== MACRO ? ref.name : undefined;
  }
  if (node?.TypeCast) return implicitName(node.TypeCast.arg);
  if (node?.FuncCall) {
    const names = (node.FuncCall.funcname ?? []).map(str);
    const name = names[names.length - 1];
    return name === MACRO ? undefined : name;
  }
  if (node?.CoalesceExpr) return "coalesce";
  if (node?.CaseExpr) return "case";
  return undefined;
};

const lineAt = (sql: string, offset: number | undefined): number | undefined =>
  offset === undefined ? undefined : sql.slice(0, offset).split("\n").length;

type Ctx = { sql: string };
let ctx: Ctx = { sql: "" };

const targetOf = (node: Node): Target => {
  const res = node?.ResTarget ?? {};
  const val = res.val;
  if (val?.ColumnRef && columnRefOf(val.ColumnRef) === "star") {
    const fields: Node[] = val.ColumnRef.fields;
    const qualifier = fields.length >= 2 ? str(fields[fields.length - 2]) : undefined;
    return qualifier ? { kind: "star", qualifier } : { kind: "star" };
  }
  const name = res.name ?? implicitName(val);
  const line = lineAt(ctx.sql, res.location);
  return {
    kind: "expr",
    ...(name !== undefined ? { name } : {}),
    expr: exprOf(val),
    ...(line !== undefined ? { line } : {}),
  };
};

const fromOf = (node: Node, select: Select): FromItem[] => {
  if (node?.RangeVar) {
    const rv = node.RangeVar;
    const name = [rv.catalogname, rv.schemaname, rv.relname].filter(Boolean).join(".");
    const alias = rv.alias?.aliasname;
    return [{ kind: "relation", name, ...(alias ? { alias } : {}) }];
  }
  if (node?.RangeSubselect) {
    const sub = node.RangeSubselect;
    const alias = sub.alias?.aliasname;
    const columnAliases = (sub.alias?.colnames ?? []).map(str).filter(Boolean);
    return [
      {
        kind: "subquery",
        query: queryOf(sub.subquery),
        ...(alias ? { alias } : {}),
        ...(columnAliases.length > 0 ? { columnAliases } : {}),
      },
    ];
  }
  if (node?.JoinExpr) {
    const join = node.JoinExpr;
    const items = [...fromOf(join.larg, select), ...fromOf(join.rarg, select)];
    if (join.quals) select.filters.push(exprOf(join.quals));
    for (const using of join.usingClause ?? []) {
      const name = str(using);
      if (name) select.using.push(name);
    }
    return items;
  }
  if (node?.RangeFunction) {
    const alias = node.RangeFunction.alias?.aliasname;
    return [{ kind: "function", expr: exprOf(node.RangeFunction.functions), ...(alias ? { alias } : {}) }];
  }
  return [{ kind: "function", expr: exprOf(node) }];
};

const ctesOf = (withClause: Node): Cte[] =>
  (withClause?.ctes ?? []).map((node: Node) => {
    const cte = node.CommonTableExpr;
    const columns = (cte.aliascolnames ?? []).map(str).filter(Boolean);
    return { name: cte.ctename, query: queryOf(cte.ctequery), ...(columns.length > 0 ? { columns } : {}) };
  });

const selectOf = (stmt: Node): Query => {
  const ctes = ctesOf(stmt.withClause);
  if (stmt.op && stmt.op !== "SETOP_NONE") {
    const branches: Query[] = [];
    let distinct = stmt.all !== true;
    const add = (side: Node) => {
      const query = selectOf(side);
      if (query.kind === "setop" && query.ctes.length === 0) {
        branches.push(...query.branches);
        distinct ||= query.distinct === true;
      } else branches.push(query);
    };
    add(stmt.larg);
    add(stmt.rarg);
    return { kind: "setop", ctes, branches, ...(distinct ? { distinct } : {}) };
  }
  const select: Select = { kind: "select", ctes, from: [], using: [], targets: [], filters: [] };
  if (stmt.valuesLists) {
    const first: Node[] = stmt.valuesLists[0]?.List?.items ?? [];
    select.targets = first.map((value, i) => ({
      kind: "expr",
      name: `column${i + 1}`,
      expr: exprOf([value, ...stmt.valuesLists.slice(1).map((row: Node) => row?.List?.items?.[i] ?? null)]),
    }));
    return select;
  }
  for (const item of stmt.fromClause ?? []) select.from.push(...fromOf(item, select));
  select.targets = (stmt.targetList ?? []).map(targetOf);
  // Plain DISTINCT is a list of one empty node; DISTINCT ON lists its expressions (a filter below).
  if (
    Array.isArray(stmt.distinctClause) &&
    stmt.distinctClause.every((d: Node) => !d || Object.keys(d).length === 0)
  )
    select.distinct = true;
  // `group by 1`, `order by 2`: the rows depend on that select-list expression.
  for (const item of [
    ...(stmt.groupClause ?? []),
    ...(stmt.sortClause ?? []).map((s: Node) => s?.SortBy?.node),
  ])
    select.filters.push(...positionalFilter(select.targets, item?.A_Const?.ival?.ival));
  for (const clause of [
    stmt.whereClause,
    stmt.groupClause,
    stmt.havingClause,
    stmt.windowClause,
    stmt.sortClause,
    stmt.distinctClause,
  ]) {
    if (clause !== undefined && clause !== null) {
      const expr = exprOf(clause);
      select.filters.push({ ...expr, refs: [...expr.refs, ...expr.deps], deps: [] });
    }
  }
  return select;
};

const queryOf = (node: Node): Query => selectOf(node?.SelectStmt ?? {});

/**
 * A model's query through the real Postgres parser (libpg-query; `loadPostgresParser` must have
 * run). Throws the parser's error, with its position, when the SQL is not Postgres.
 */
export const parsePostgresQuery = (sql: string): Query => {
  const tree = parseSync(sql);
  const stmts: Node[] = tree.stmts ?? [];
  const stmt = stmts.find((s) => s?.stmt?.SelectStmt)?.stmt;
  if (!stmt) throw new Error("the model is not a SELECT statement");
  ctx = { sql };
  return queryOf(stmt);
};
