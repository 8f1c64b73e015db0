import type { Change, ChangeKind } from "../model/change.ts";
import type { Finding } from "../model/finding.ts";
import type { Impact } from "../model/impact.ts";
import type { SchemaState } from "../model/schema.ts";
import type { Lineage } from "./build-lineage.ts";
import { formatPath, indexLineage, type Reached, traceDownstream } from "./trace-lineage.ts";

/** Changes whose effect flows downstream: what readers of the column or dataset see differently. */
export const TRACED_KINDS: ReadonlySet<ChangeKind> = new Set<ChangeKind>([
  "dataset-removed",
  "dataset-renamed",
  "column-removed",
  "column-renamed",
  "column-type-changed",
  "column-type-widened",
  "column-became-nullable",
  "enum-value-removed",
]);

/** Changes after which a reader of the old column or dataset no longer finds it. */
export const REMOVING_KINDS: ReadonlySet<ChangeKind> = new Set<ChangeKind>([
  "dataset-removed",
  "dataset-renamed",
  "column-removed",
  "column-renamed",
]);

export type ChangeTrace = { change: Change; reached: Reached[] };

/** What the lineage rules read through the rule context. */
export type LineageContext = { lineage: Lineage; traces: ChangeTrace[] };

/**
 * What a change removes, by node, to keep on the head lineage (see `buildLineage`'s `removed`):
 * a dropped or renamed column, or every column of a dropped or renamed dataset.
 */
export const removedColumns = (
  changes: readonly Change[],
  base: SchemaState,
  /** The base columns of a dataset the schema state does not hold (a seed's header). */
  columnsOf: (dataset: string) => readonly string[] | undefined = () => undefined,
): Map<string, string[]> => {
  const removed = new Map<string, string[]>();
  const add = (node: string, columns: string[]) =>
    removed.set(node, [...new Set([...(removed.get(node) ?? []), ...columns.map((c) => c.toLowerCase())])]);
  for (const change of changes) {
    if (change.kind === "column-removed" || change.kind === "column-renamed") {
      if (change.column) add(change.dataset, [change.column]);
    } else if (change.kind === "dataset-removed" || change.kind === "dataset-renamed") {
      add(
        change.dataset,
        base.datasets.get(change.dataset)?.columns.map((c) => c.name) ?? [
          ...(columnsOf(change.dataset) ?? []),
        ],
      );
    }
  }
  return removed;
};

const isWhole = (change: Change): boolean =>
  change.kind === "dataset-removed" || change.kind === "dataset-renamed";

/** Traces every change that flows downstream through the (head) lineage. */
export const traceChanges = (lineage: Lineage, changes: readonly Change[]): ChangeTrace[] => {
  const index = indexLineage(lineage);
  return changes
    .filter((change) => TRACED_KINDS.has(change.kind) && lineage.nodes.has(change.dataset))
    .filter((change) => isWhole(change) || change.column !== undefined)
    .map((change) => ({
      change,
      reached: traceDownstream(index, {
        node: change.dataset,
        column: isWhole(change) ? "*" : change.column!,
      }),
    }));
};

/** The blast radius of each traced change: downstream nodes with the columns reached, exposures, owners. */
export const impactOf = (
  lineage: Lineage,
  traces: readonly ChangeTrace[],
  contractOwners: (node: string) => string[],
): Impact[] =>
  traces
    .filter((trace) => trace.reached.length > 0)
    .map(({ change, reached }) => {
      const downstream = new Map<string, Impact["downstream"][number]>();
      const exposures: Impact["exposures"] = [];
      const owners = new Set<string>();
      for (const item of reached) {
        const node = lineage.nodes.get(item.node);
        if (!node) continue;
        for (const owner of [...node.owners, ...contractOwners(node.id)]) owners.add(owner);
        if (node.kind === "exposure") {
          exposures.push({
            name: node.label,
            ...(node.exposure?.type ? { type: node.exposure.type } : {}),
            ...(node.exposure?.url ? { url: node.exposure.url } : {}),
            owners: node.owners,
            reach: item.reach,
            path: formatPath(lineage, item.path),
          });
          continue;
        }
        const entry = downstream.get(node.id) ?? {
          node: node.label,
          kind: node.kind,
          ...(node.file ? { file: node.file } : {}),
          owners: [...new Set([...node.owners, ...contractOwners(node.id)])],
          columns: [],
        };
        entry.columns.push({ name: item.column, reach: item.reach, path: formatPath(lineage, item.path) });
        downstream.set(node.id, entry);
      }
      for (const entry of downstream.values()) entry.columns.sort((a, b) => a.name.localeCompare(b.name));
      return {
        kind: change.kind,
        dataset: change.dataset,
        ...(change.column ? { column: change.column } : {}),
        ...(change.location ? { file: change.location.file, line: change.location.line } : {}),
        downstream: [...downstream.values()].sort((a, b) => a.node.localeCompare(b.node)),
        exposures: exposures.sort((a, b) => a.name.localeCompare(b.name)),
        owners: [...owners].sort(),
      };
    });

/**
 * `downstream-column-missing`: a dbt model (or snapshot) that still reads a column or dataset the
 * change removes will fail to build, contract or not; one that has the column only through a `*`
 * builds without it. Reported at the change, naming the model.
 */
export const downstreamColumnMissing = (lineage: Lineage, traces: readonly ChangeTrace[]): Finding[] => {
  const findings: Finding[] = [];
  for (const { change } of traces) {
    if (!REMOVING_KINDS.has(change.kind)) continue;
    const column = change.column?.toLowerCase();
    for (const node of lineage.nodes.values()) {
      if (node.kind !== "model" && node.kind !== "snapshot") continue;
      const matches = (s: { node: string; column: string }) =>
        s.node === change.dataset && s.column === column;
      const columnReads = isWhole(change)
        ? []
        : [
            ...(node.columnLineage ?? []).flatMap((c) => c.sources.filter(matches)),
            ...(node.dependencies ?? []).filter(matches),
          ];
      if (isWhole(change) ? !node.upstream.includes(change.dataset) : columnReads.length === 0) continue;
      const what = isWhole(change) ? change.dataset : `${change.dataset}.${change.column}`;
      const done = change.kind.endsWith("renamed")
        ? `renames${change.to ? ` to ${change.to}` : ""}`
        : "drops";
      // Read only through a `*`: the model still builds, without the column.
      const onlyThroughStar = columnReads.length > 0 && columnReads.every((s) => s.unnamed);
      findings.push({
        rule: "downstream-column-missing",
        severity: "warning",
        file: change.location?.file ?? node.file ?? "",
        line: change.location?.line ?? 1,
        message: onlyThroughStar
          ? `dbt ${node.kind} ${node.label}${node.file ? ` (${node.file})` : ""} selects every column of ${change.dataset} (\`*\`), ${what} among them, which this change ${done}: the model will build without it once this is deployed.`
          : `dbt ${node.kind} ${node.label}${node.file ? ` (${node.file})` : ""} still reads ${what}, which this change ${done}: the model will fail to build once it is deployed.`,
        help: `Update ${node.label} in the same pull request (or first), or keep ${what} until no model reads it.`,
      });
    }
  }
  return findings;
};

/**
 * A dbt model whose own contract is enforced (`contract: {enforced: true}`) but that has no
 * Covenant contract: what reaches its declared columns is said as a finding (dbt will refuse to
 * build it), not a violation: nobody owns it in Covenant to waive it, so it does not gate the PR.
 * Register a contract on the model (`dataset: { type: dbt_model }`) to enforce it.
 */
export const dbtContractFindings = (
  context: LineageContext,
  contracted: (node: string) => boolean,
  describe: {
    severityOf: (change: Change, reached: Reached) => "error" | "warning";
    reachText: (change: Change, reached: Reached) => string;
    describeChange: (change: Change) => string;
    judged: ReadonlySet<string>;
  },
): Finding[] => {
  const findings = new Map<string, Finding>();
  for (const { change, reached } of context.traces) {
    if (!describe.judged.has(change.kind)) continue;
    for (const item of reached) {
      const node = context.lineage.nodes.get(item.node);
      if (!node?.contractEnforced || contracted(node.id)) continue;
      const declared = node.columns ?? [];
      if (item.column !== "*" && !declared.includes(item.column)) continue;
      const target = item.column === "*" ? node.label : `${node.label}.${item.column}`;
      const key = `${change.dataset}.${change.column ?? "*"}\u0000${target}`;
      if (findings.has(key)) continue;
      findings.set(key, {
        rule: "downstream-contract-broken",
        severity: "warning",
        file: change.location?.file ?? node.file ?? "",
        line: change.location?.line ?? 1,
        message: `${describe.describeChange(change)}, and it reaches ${target}, whose dbt model contract is enforced (dbt will refuse to build the model) ${describe.reachText(change, item)}: ${formatPath(context.lineage, item.path)}. No Covenant contract covers ${node.label}, so this does not gate the pull request.`,
        help: `Keep the old column until ${node.label} stops reading it, or register a contract on the dbt model ${node.label} to enforce it at its level.`,
      });
    }
  }
  return [...findings.values()];
};
