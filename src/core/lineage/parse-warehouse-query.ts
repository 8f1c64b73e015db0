import { createRequire } from "node:module";
import type { Parser } from "node-sql-parser";
import { MACRO } from "./parse-postgres-query.ts";
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

// The node-sql-parser AST is read structurally and never leaves this file.
// biome-ignore lint/suspicious/noExplicitAny: untyped JSON AST from the parser
type Node = any;

/** node-sql-parser's names for the warehouse dialects it supports. */
export const WAREHOUSE_DATABASES: Record<string, string> = {
  bigquery: "bigquery",
  snowflake: "snowflake",
  redshift: "redshift",
  mysql: "mysql",
  mariadb: "mariadb",
  sqlite: "sqlite",
  trino: "trino",
  athena: "athena",
  databricks: "hive",
  spark: "hive",
  hive: "hive",
  sqlserver: "transactsql",
  postgres: "postgresql",
  duckdb: "postgresql",
};

/**
 * One parser per dialect, each from node-sql-parser's build of that dialect alone (~0.3 MB, where
 * the all-dialects entry is 2.5 MB and takes most of a second to load), required on the first model
 * of that dialect: a repository whose models all parse as Postgres never loads it. `require`
 * rather than `import()`: parsing stays synchronous, and Node does not scan CommonJS source for
 * named exports as it does when ESM imports it.
 */
const parsers = new Map<string, Parser>();
const requireParser = createRequire(import.meta.url);

const parserFor = (database: string): Parser => {
  let parser = parsers.get(database);
  if (!parser) {
    const build = requireParser(`node-sql-parser/build/${database}`) as { Parser: new () => Parser };
    parser = new build.Parser();
    parsers.set(database, parser);
  }
  return parser;
};

const isObject = (value: unknown): value is Record<string, Node> =>
  typeof value === "object" && value !== null;

/** `x`, `{expr: {value: x}}` and `{value: x}` all spell a name. */
const nameOf = (value: Node): string | undefined => {
  if (typeof value === "string") return value;
  if (!isObject(value)) return undefined;
  if (typeof value.value === "string") return value.value;
  if (value.expr) return nameOf(value.expr);
  return undefined;
};

const refOf = (node: Node): ColumnRef | "star" | undefined => {
  const name = nameOf(node.column);
  if (name === undefined) return undefined;
  if (name === "*") return "star";
  const qualifier = nameOf(node.table) ?? undefined;
  return qualifier ? { qualifier, name } : { name };
};

const isSubquery = (node: Node): boolean =>
  isObject(node) && (node.type === "select" || (isObject(node.ast) && node.ast.type === "select"));

const walk = (node: Node, expr: Expr, inWindow: boolean): void => {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, expr, inWindow);
    return;
  }
  if (!isObject(node)) return;
  if (isSubquery(node)) {
    expr.subqueries.push(queryOf(node.ast ?? node));
    return;
  }
  if (node.type === "column_ref") {
    const ref = refOf(node);
    if (ref === undefined || ref === "star") return;
    if (ref.name === MACRO && !ref.qualifier) expr.opaque = true;
    else (inWindow ? expr.deps : expr.refs).push(ref);
    return;
  }
  if ((node.type === "function" || node.type === "aggr_func") && functionName(node) === MACRO)
    expr.opaque = true;
  for (const [key, value] of Object.entries(node)) {
    if (key === "tableList" || key === "columnList" || key === "loc") continue;
    walk(value, expr, inWindow || key === "over" || key === "partitionby" || key === "orderby");
  }
};

const functionName = (node: Node): string | undefined => {
  if (typeof node.name === "string") return node.name;
  const parts: Node[] = node.name?.name ?? [];
  return nameOf(parts[parts.length - 1]) ?? nameOf(node.name?.schema);
};

const exprOf = (node: Node): Expr => {
  const expr: Expr = { refs: [], deps: [], subqueries: [], shape: "transformation" };
  walk(node, expr, false);
  if (node?.type === "column_ref" && expr.refs.length === 1) expr.shape = "column";
  else if (node?.type === "cast" && node.expr?.type === "column_ref" && expr.refs.length === 1)
    expr.shape = "cast";
  return expr;
};

const implicitName = (node: Node): string | undefined => {
  if (node?.type === "column_ref") {
    const ref = refOf(node);
    return ref && ref !== "star" && ref.name !== MACRO ? ref.name : undefined;
  }
  if (node?.type === "cast") return implicitName(node.expr);
  return undefined;
};

const targetOf = (column: Node): Target => {
  if (column === "*") return { kind: "star" };
  const node = column.expr;
  if (node?.type === "column_ref" && refOf(node) === "star") {
    const qualifier = nameOf(node.table);
    return qualifier ? { kind: "star", qualifier } : { kind: "star" };
  }
  if (node?.type === "star" || (node?.type === "column_ref" && nameOf(node.column) === "*"))
    return { kind: "star" };
  const name = nameOf(column.as) ?? implicitName(node);
  const line = node?.loc?.start?.line;
  return {
    kind: "expr",
    ...(name !== undefined ? { name } : {}),
    expr: exprOf(node),
    ...(typeof line === "number" ? { line } : {}),
  };
};

const fromOf = (item: Node, select: Select): FromItem => {
  const alias = nameOf(item.as);
  if (item.on) select.filters.push(exprOf(item.on));
  for (const using of item.using ?? []) {
    const name = nameOf(using);
    if (name) select.using.push(name);
  }
  if (item.expr && isSubquery(item.expr))
    return { kind: "subquery", query: queryOf(item.expr.ast ?? item.expr), ...(alias ? { alias } : {}) };
  if (typeof item.table === "string" || isObject(item.table)) {
    const table = nameOf(item.table);
    if (table) {
      const name = [nameOf(item.catalog), nameOf(item.db), nameOf(item.schema), table]
        .filter((part): part is string => typeof part === "string" && part !== "")
        .join(".");
      return { kind: "relation", name, ...(alias ? { alias } : {}) };
    }
  }
  return { kind: "function", expr: exprOf(item.expr ?? item), ...(alias ? { alias } : {}) };
};

const ctesOf = (withs: Node): Cte[] =>
  (Array.isArray(withs) ? withs : []).map((cte: Node) => {
    const columns = (cte.columns ?? []).map(nameOf).filter(Boolean);
    return {
      name: nameOf(cte.name) ?? "",
      query: queryOf(cte.stmt?.ast ?? cte.stmt),
      ...(columns.length > 0 ? { columns } : {}),
    };
  });

const singleSelect = (node: Node): Select => {
  const select: Select = { kind: "select", ctes: [], from: [], using: [], targets: [], filters: [] };
  for (const item of Array.isArray(node.from) ? node.from : []) select.from.push(fromOf(item, select));
  const columns = node.columns === "*" ? ["*"] : Array.isArray(node.columns) ? node.columns : [];
  select.targets = columns.map(targetOf);
  const groupby = Array.isArray(node.groupby) ? node.groupby : node.groupby?.columns;
  // `group by 1`, `order by 2`: the rows depend on that select-list expression.
  for (const item of [
    ...(Array.isArray(groupby) ? groupby : []),
    ...(Array.isArray(node.orderby) ? node.orderby.map((o: Node) => o?.expr) : []),
  ])
    if (item?.type === "number") select.filters.push(...positionalFilter(select.targets, item.value));
  for (const clause of [node.where, groupby, node.having, node.qualify, node.window, node.orderby]) {
    if (clause === undefined || clause === null) continue;
    const expr = exprOf(clause);
    select.filters.push({ ...expr, refs: [...expr.refs, ...expr.deps], deps: [] });
  }
  if (node.distinct?.columns) select.filters.push(exprOf(node.distinct.columns));
  else if (node.distinct?.type === "DISTINCT") select.distinct = true;
  return select;
};

const queryOf = (node: Node): Query => {
  if (!isObject(node) || node.type !== "select") throw new Error("the model is not a SELECT statement");
  const ctes = ctesOf(node.with);
  const branches: Query[] = [];
  let distinct = false;
  for (let current: Node = node; current; current = current._next) {
    const branch = singleSelect(current);
    branches.push(branch);
    if (current._next && typeof current.set_op === "string" && !/\ball\b/i.test(current.set_op))
      distinct = true;
  }
  if (branches.length === 1) return { ...branches[0]!, ctes } as Select;
  return { kind: "setop", ctes, branches, ...(distinct ? { distinct } : {}) };
};

/**
 * A model's query through node-sql-parser in a warehouse dialect. Throws the parser's error when
 * the SQL is not of that dialect (or beyond what the parser supports).
 */
export const parseWarehouseQuery = (sql: string, dialect: string): Query => {
  const database = WAREHOUSE_DATABASES[dialect] ?? "bigquery";
  const ast: Node = parserFor(database).astify(sql, { database, parseOptions: { includeLocations: true } });
  const statements: Node[] = Array.isArray(ast) ? ast : [ast];
  const first = statements.find((statement) => statement?.type === "select");
  if (!first) throw new Error("the model is not a SELECT statement");
  return queryOf(first);
};
