import { refStub, sourceStub } from "../dbt/render-jinja.ts";
import { datasetMatches } from "../model/contract.ts";
import type { Dialect } from "../model/contract-levels.ts";
import type { Finding } from "../model/finding.ts";
import type { SchemaState } from "../model/schema.ts";
import { type DbtNode, SNAPSHOT_COLUMNS } from "./dbt-graph.ts";
import { type ParsedQuery, parseModelQuery } from "./parse-model-query.ts";
import { type ColumnLineage, type QueryLineage, resolveQuery, type Upstream } from "./resolve-query.ts";

export type LineageNodeKind = "dataset" | "model" | "seed" | "snapshot" | "source" | "exposure";

/**
 * One node of the lineage graph. Ids: a migration dataset's qualified name (`public.orders`); a
 * dbt model, seed or snapshot's name; `source:<source>.<table>` for a source no migration builds
 * (one that matches a dataset by schema + identifier IS that dataset); `exposure:<name>`.
 */
export type LineageNode = {
  id: string;
  kind: LineageNodeKind;
  /** How people call it: the dataset's or model's name, `shop.orders` for a source. */
  label: string;
  file?: string;
  line?: number;
  owners: string[];
  /** Output columns, lower case, when known. */
  columns?: string[];
  /** Node ids it reads. */
  upstream: string[];
  /** Column lineage: known (parsed), or unknown (with the reason): never "no dependency". */
  lineage: "known" | "unknown" | "none";
  reason?: string;
  columnLineage?: ColumnLineage[];
  passthrough?: string[];
  dependencies?: QueryLineage["dependencies"];
  /** dbt sources that are this dataset. */
  sources?: string[];
  contractEnforced?: boolean;
  project?: string;
  exposure?: { type?: string; url?: string };
};

export type Lineage = {
  nodes: Map<string, LineageNode>;
  findings: Finding[];
  /** Resolves a model's column lineage on demand. */
  resolve?: (id: string) => void;
  /** Built with a focus: models are resolved only as a trace reaches them. */
  lazy?: boolean;
};

export type BuildLineageInput = {
  /** Datasets built by the migrations (dbt models in the state are ignored: the graph has them). */
  state: SchemaState;
  dialectOf: (dataset: string) => Dialect;
  dbt: readonly DbtNode[];
  /**
   * Columns to keep on a node although it no longer has them: what a change removes, so that what
   * still reads them is found (and `select *` carries them on as it did).
   */
  removed?: ReadonlyMap<string, readonly string[]>;
  /** Parsed queries by SQL text and dialect, reused between revisions. */
  cache?: Map<string, ParsedQuery>;
  /**
   * Only what is downstream of these nodes needs its column lineage (a pull request's changes):
   * other models are parsed only when a downstream one reads their columns (`select *`).
   */
  focus?: readonly string[];
};

const uniq = (list: string[]): string[] => [...new Set(list)];

/**
 * Two renders of one model (`is_incremental()` false, then true): the first's columns, each also
 * fed by what feeds the same column in the second; everything else the second reads is a
 * dependency of every row, so nothing either render reads is lost.
 */
const mergeLineage = (first: QueryLineage, second: QueryLineage): QueryLineage => {
  const seen = new Set(first.columns.map((c) => c.name));
  const byName = new Map(second.columns.map((c) => [c.name, c]));
  const key = (s: { node: string; column: string }) => `${s.node}\u0000${s.column}`;
  const columns = first.columns.map((column) => {
    const other = byName.get(column.name);
    if (!other) return column;
    const have = new Set(column.sources.map(key));
    return {
      ...column,
      sources: [...column.sources, ...other.sources.filter((s) => !have.has(key(s)))],
      ...(column.opaque || other.opaque ? { opaque: true } : {}),
    };
  });
  const dependencies = new Map([...first.dependencies, ...second.dependencies].map((d) => [key(d), d]));
  for (const column of second.columns)
    if (!seen.has(column.name))
      for (const source of column.sources)
        dependencies.set(key(source), { node: source.node, column: source.column });
  return {
    columns,
    passthrough: uniq([...first.passthrough, ...second.passthrough]),
    dependencies: [...dependencies.values()],
    unknownRelations: uniq([...first.unknownRelations, ...second.unknownRelations]),
  };
};

/** A dbt source's relation as the migrations' dataset it designates, if any. */
const matchDataset = (
  node: DbtNode,
  datasets: string[],
  dialectOf: (name: string) => Dialect,
): string | undefined => {
  if (!node.relation) return undefined;
  const wanted = `${node.relation.schema}.${node.relation.identifier}`.toLowerCase();
  return (
    datasets.find((name) => name.toLowerCase() === wanted) ??
    datasets.find((name) => datasetMatches(wanted, name, dialectOf(name))) ??
    (node.relation.database
      ? datasets.find((name) => name.toLowerCase() === `${node.relation!.database}.${wanted}`.toLowerCase())
      : undefined)
  );
};

/**
 * The lineage graph: migration datasets -> dbt sources (matched by schema + identifier) -> models,
 * seeds, snapshots -> exposures, with column-level edges split into projection and dependency.
 * Pure; a model that cannot be parsed has lineage "unknown" and a `lineage-unknown` finding.
 */
export const buildLineage = ({
  state,
  dialectOf,
  dbt,
  removed,
  cache,
  focus,
}: BuildLineageInput): Lineage => {
  const nodes = new Map<string, LineageNode>();
  const findings: Finding[] = [];
  const datasetNames = [...state.datasets.values()].filter((d) => d.kind !== "dbt_model").map((d) => d.name);
  for (const name of datasetNames) {
    const dataset = state.datasets.get(name)!;
    nodes.set(name, {
      id: name,
      kind: "dataset",
      label: name,
      ...(dataset.location ? { file: dataset.location.file, line: dataset.location.line } : {}),
      owners: [],
      columns: uniq([...dataset.columns.map((c) => c.name.toLowerCase()), ...(removed?.get(name) ?? [])]),
      upstream: [],
      lineage: "none",
    });
  }
  for (const [name, columns] of removed ?? []) {
    if (nodes.has(name) || dbt.some((node) => node.id === name)) continue;
    // A dataset the change removes: what read it is found through its last columns.
    nodes.set(name, {
      id: name,
      kind: "dataset",
      label: name,
      owners: [],
      columns: [...columns],
      upstream: [],
      lineage: "none",
    });
  }
  // Sources first: a matched one is the dataset itself.
  const alias = new Map<string, string>();
  for (const node of dbt.filter((n) => n.kind === "source")) {
    const dataset =
      matchDataset(node, datasetNames, dialectOf) ??
      (removed &&
        [...removed.keys()].find(
          (name) =>
            name.toLowerCase() === `${node.relation?.schema}.${node.relation?.identifier}`.toLowerCase(),
        ));
    if (dataset && nodes.has(dataset)) {
      alias.set(node.id, dataset);
      const target = nodes.get(dataset)!;
      target.sources = uniq([...(target.sources ?? []), node.name]);
      target.owners = uniq([...target.owners, ...node.owners]);
      continue;
    }
    nodes.set(node.id, {
      id: node.id,
      kind: "source",
      label: node.name,
      ...(node.file ? { file: node.file, line: node.line ?? 1 } : {}),
      owners: node.owners,
      upstream: [],
      lineage: "none",
      project: node.project,
    });
  }
  const resolveId = (id: string): string => alias.get(id) ?? id;
  const byStub = new Map<string, string>();
  for (const node of dbt) {
    if (node.kind === "source") {
      const [source, ...rest] = node.name.split(".");
      byStub.set(sourceStub(source!, rest.join(".")).toLowerCase(), resolveId(node.id));
    } else if (node.kind !== "exposure") byStub.set(refStub(node.name).toLowerCase(), node.id);
  }
  const dbtById = new Map(dbt.filter((n) => n.kind !== "source").map((n) => [n.id, n]));
  for (const node of dbtById.values()) {
    nodes.set(node.id, {
      id: node.id,
      kind: node.kind as LineageNodeKind,
      label: node.name,
      ...(node.file ? { file: node.file, line: node.line ?? 1 } : {}),
      owners: node.owners,
      upstream: uniq(node.upstream.map(resolveId)),
      // A seed's CSV header is every column it has; its YAML may list only some: without a
      // header its columns stay unknown (every name resolves).
      lineage: node.sql !== undefined ? "unknown" : "none",
      ...(node.header ? { columns: uniq(node.header.map((c) => c.toLowerCase())) } : {}),
      ...(node.contractEnforced ? { contractEnforced: true } : {}),
      project: node.project,
      ...(node.exposure ? { exposure: node.exposure } : {}),
    });
  }

  const lazy = focus !== undefined;
  const resolving = new Set<string>();
  const done = new Set<string>();
  const columnsOf = (id: string): Upstream => {
    const node = nodes.get(id);
    if (!node) return { node: id };
    const dbtNode = dbtById.get(id);
    const cached = dbtNode?.outputColumns;
    if (cached !== undefined && lazy && !done.has(id) && !resolving.has(id) && !removed?.has(id)) {
      // Not downstream of the change: the base's resolution holds.
      return cached === null ? { node: id } : { node: id, columns: cached };
    }
    if (dbtNode?.sql !== undefined) resolveModel(id);
    const extra = removed?.get(id) ?? [];
    if (node.columns === undefined || (node.passthrough?.length ?? 0) > 0) return { node: id };
    return { node: id, columns: uniq([...node.columns, ...extra]) };
  };
  const catalog = (relation: string): Upstream | undefined => {
    const lower = relation.toLowerCase();
    const stub = byStub.get(lower.split(".").pop() ?? lower);
    if (stub) return columnsOf(stub);
    const dataset =
      datasetNames.find((name) => name.toLowerCase() === lower) ??
      datasetNames.find((name) => datasetMatches(lower, name, dialectOf(name)));
    return dataset ? columnsOf(dataset) : undefined;
  };
  const resolveModel = (id: string): void => {
    if (done.has(id) || resolving.has(id)) return;
    resolving.add(id);
    const dbtNode = dbtById.get(id)!;
    const node = nodes.get(id)!;
    const parsed = parseModelQuery(dbtNode.sql ?? "", dbtNode.dialect, cache, {
      ...(dbtNode.macros ? { macros: dbtNode.macros } : {}),
      ...(dbtNode.vars ? { vars: dbtNode.vars } : {}),
      ...(dbtNode.model ? { model: dbtNode.model } : {}),
      columnsOf: (stub) => {
        const upstream = byStub.has(stub.toLowerCase()) ? catalog(stub) : undefined;
        return upstream?.columns;
      },
    });
    if (!parsed.ok) {
      node.lineage = "unknown";
      node.reason = parsed.error;
      if (dbtNode.columns) node.columns = dbtNode.columns.map((c) => c.toLowerCase());
      findings.push({
        rule: "lineage-unknown",
        severity: "info",
        file: dbtNode.file ?? "",
        line: parsed.line ?? dbtNode.line ?? 1,
        message: `The column lineage of ${dbtNode.kind} ${dbtNode.name} is unknown (${parsed.error}): any change upstream of it is taken to reach all of its columns.`,
        help: "Write the model's SQL so the parser of its dialect reads it once Jinja is rendered, or declare the project's warehouse (profiles.yml or `dbt: [{ path, dialect }]` in .github/covenant.yml).",
      });
    } else {
      const result = (parsed.variants ?? []).reduce(
        (merged, variant) => mergeLineage(merged, resolveQuery(variant, catalog)),
        resolveQuery(parsed.query, catalog),
      );
      node.lineage = "known";
      node.columnLineage = result.columns;
      node.passthrough = result.passthrough;
      node.dependencies = result.dependencies;
      node.columns = result.columns.map((c) => c.name);
      if (dbtNode.kind === "snapshot") node.columns = uniq([...node.columns, ...SNAPSHOT_COLUMNS]);
      const read = uniq([
        ...result.columns.flatMap((c) => c.sources.map((s) => s.node)),
        ...result.passthrough,
        ...result.dependencies.map((d) => d.node),
      ]);
      node.upstream = uniq([...node.upstream, ...read.filter((n) => n !== id)]);
    }
    resolving.delete(id);
    done.add(id);
  };
  // With a focus, models are resolved as a trace reaches them (see traceDownstream), each reading
  // the base's resolution of the models upstream of it: a pull request parses what it reaches.
  if (!lazy) for (const id of dbtById.keys()) if (dbtById.get(id)!.sql !== undefined) resolveModel(id);
  return {
    nodes,
    findings,
    ...(lazy ? { lazy: true } : {}),
    resolve: (id) => {
      if (dbtById.get(id)?.sql !== undefined) resolveModel(id);
    },
  };
};
