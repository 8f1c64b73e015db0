import type { Lineage, LineageNode } from "./build-lineage.ts";
import type { Shape } from "./resolve-query.ts";

/**
 * How a change reaches a column: through the value (projection), through the rows that are kept
 * or joined (dependency: WHERE, JOIN, GROUP BY, QUALIFY, windows), or through a model whose
 * lineage is unknown.
 */
export type Reach = "projection" | "dependency" | "unknown";

const REACH_RANK: Record<Reach, number> = { projection: 0, dependency: 1, unknown: 2 };
const weaker = (a: Reach, b: Reach): Reach => (REACH_RANK[a] >= REACH_RANK[b] ? a : b);

/** A column (or `*`: the whole node, every column) of a node. */
export type ColumnPoint = { node: string; column: string };

export type Reached = ColumnPoint & {
  reach: Reach;
  /** The strongest shape on the path: a cast or a transformation absorbs a change of type. */
  shape: Shape;
  /** From the changed column to this one, both included; `via`: how each step was reached. */
  path: Array<ColumnPoint & { via?: Reach }>;
};

const SHAPE_RANK: Record<Shape, number> = { identity: 0, cast: 1, transformation: 2 };
const stronger = (a: Shape, b: Shape): Shape => (SHAPE_RANK[a] >= SHAPE_RANK[b] ? a : b);

type Edge = { node: string; column: string; reach: Reach; shape: Shape };

/** Downstream edges of one lineage, indexed once. */
export type LineageIndex = {
  lineage: Lineage;
  /** `node\0column` -> edges to downstream columns. */
  columns: Map<string, Edge[]>;
  /** node -> nodes that read it at all. */
  readers: Map<string, string[]>;
  /** node -> nodes that carry its unlisted columns through (`select *` over unknown columns). */
  passthrough: Map<string, string[]>;
  /** Models resolve as the trace reaches them: edges are read from each reader, not indexed ahead. */
  lazy: boolean;
};

const key = (node: string, column: string): string => `${node}\u0000${column.toLowerCase()}`;

const push = <T>(map: Map<string, T[]>, k: string, value: T) => {
  const list = map.get(k);
  if (list) list.push(value);
  else map.set(k, [value]);
};

export const indexLineage = (lineage: Lineage): LineageIndex => {
  const columns = new Map<string, Edge[]>();
  const readers = new Map<string, string[]>();
  const passthrough = new Map<string, string[]>();
  for (const node of lineage.nodes.values()) {
    for (const up of node.upstream) push(readers, up, node.id);
    for (const up of node.passthrough ?? []) push(passthrough, up, node.id);
    for (const column of node.columnLineage ?? [])
      for (const source of column.sources)
        push(columns, key(source.node, source.column), {
          node: node.id,
          column: column.name,
          reach: "projection",
          shape: source.shape,
        });
    for (const dep of node.dependencies ?? [])
      push(columns, key(dep.node, dep.column), {
        node: node.id,
        column: "*",
        reach: "dependency",
        shape: "identity",
      });
  }
  return { lineage, columns, readers, passthrough, lazy: lineage.lazy === true };
};

/**
 * Everything downstream of a column (or of a whole node, column `*`), each with its strongest
 * reach and the path that gives it. A model whose lineage is unknown is reached as a whole
 * (`unknown`), never skipped.
 */
export const traceDownstream = (index: LineageIndex, start: ColumnPoint): Reached[] => {
  const best = new Map<string, Reached>();
  const queue: Reached[] = [];
  const visit = (item: Reached) => {
    const k = key(item.node, item.column);
    const seen = best.get(k);
    if (
      seen &&
      (REACH_RANK[seen.reach] < REACH_RANK[item.reach] ||
        (seen.reach === item.reach && SHAPE_RANK[seen.shape] <= SHAPE_RANK[item.shape]))
    )
      return;
    best.set(k, item);
    queue.push(item);
  };
  visit({
    ...start,
    column: start.column.toLowerCase(),
    reach: "projection",
    shape: "identity",
    path: [start],
  });
  const nodes = index.lineage.nodes;
  while (queue.length > 0) {
    const item = queue.shift()!;
    if (best.get(key(item.node, item.column)) !== item) continue;
    const next = (node: string, column: string, reach: Reach, shape: Shape) =>
      visit({
        node,
        column,
        reach: weaker(item.reach, reach),
        shape: stronger(item.shape, shape),
        path: [...item.path, { node, column, via: reach }],
      });
    if (item.column === "*") {
      // The whole node changes (removed, or its rows): every reader is reached as a whole.
      for (const reader of index.readers.get(item.node) ?? []) next(reader, "*", "projection", "identity");
      continue;
    }
    if (!index.lazy) {
      for (const edge of index.columns.get(key(item.node, item.column)) ?? [])
        next(edge.node, edge.column, edge.reach, edge.shape);
      // A dependency on a node's column `*` (DISTINCT over columns carried unlisted): any column meets it.
      for (const edge of index.columns.get(key(item.node, "*")) ?? [])
        if (edge.reach === "dependency") next(edge.node, edge.column, edge.reach, edge.shape);
      for (const reader of index.passthrough.get(item.node) ?? [])
        next(reader, item.column, "projection", "identity");
    }
    for (const reader of index.readers.get(item.node) ?? []) {
      index.lineage.resolve?.(reader);
      const node = nodes.get(reader);
      if (!node) continue;
      if (node.kind === "exposure") next(reader, "*", "projection", "identity");
      else if (node.lineage === "unknown") next(reader, "*", "unknown", "identity");
      else {
        if (index.lazy) {
          // Edges of a model resolved just now: what it computes from, depends on, carries through.
          for (const column of node.columnLineage ?? [])
            for (const source of column.sources)
              if (source.node === item.node && source.column === item.column)
                next(reader, column.name, "projection", source.shape);
          if (
            (node.dependencies ?? []).some(
              (d) => d.node === item.node && (d.column === item.column || d.column === "*"),
            )
          )
            next(reader, "*", "dependency", "identity");
          if ((node.passthrough ?? []).includes(item.node))
            next(reader, item.column, "projection", "identity");
        }
        for (const column of node.columnLineage ?? [])
          if (column.opaque && column.sources.length === 0)
            next(reader, column.name, "unknown", "transformation");
      }
    }
  }
  const start_ = key(start.node, start.column);
  return [...best.entries()].filter(([k]) => k !== start_).map(([, item]) => item);
};

/** Everything upstream of a column (or node): the columns it is computed from and depends on. */
export const traceUpstream = (lineage: Lineage, start: ColumnPoint): Reached[] => {
  const best = new Map<string, Reached>();
  const queue: Reached[] = [];
  const visit = (item: Reached) => {
    const k = key(item.node, item.column);
    const seen = best.get(k);
    if (seen && REACH_RANK[seen.reach] <= REACH_RANK[item.reach]) return;
    best.set(k, item);
    queue.push(item);
  };
  visit({
    ...start,
    column: start.column.toLowerCase(),
    reach: "projection",
    shape: "identity",
    path: [start],
  });
  while (queue.length > 0) {
    const item = queue.shift()!;
    if (best.get(key(item.node, item.column)) !== item) continue;
    const node: LineageNode | undefined = lineage.nodes.get(item.node);
    if (!node) continue;
    const next = (up: string, column: string, reach: Reach, shape: Shape) =>
      visit({
        node: up,
        column,
        reach: weaker(item.reach, reach),
        shape: stronger(item.shape, shape),
        path: [...item.path, { node: up, column, via: reach }],
      });
    if (node.lineage === "unknown" || item.column === "*" || node.kind === "exposure") {
      for (const up of node.upstream)
        next(up, "*", node.lineage === "unknown" ? "unknown" : item.reach, "identity");
      continue;
    }
    const column = node.columnLineage?.find((c) => c.name === item.column);
    for (const source of column?.sources ?? []) next(source.node, source.column, "projection", source.shape);
    if (!column) for (const up of node.passthrough ?? []) next(up, item.column, "projection", "identity");
    for (const dep of node.dependencies ?? []) next(dep.node, dep.column, "dependency", "identity");
  }
  const start_ = key(start.node, start.column);
  return [...best.entries()].filter(([k]) => k !== start_).map(([, item]) => item);
};

/** `public.orders.email → stg_orders.customer_email → dim_customers.email` */
export const formatPath = (lineage: Lineage, path: readonly ColumnPoint[]): string =>
  path
    .map((point) => {
      const label = lineage.nodes.get(point.node)?.label ?? point.node;
      return point.column === "*" ? label : `${label}.${point.column}`;
    })
    .join(" → ");
