import { CovenantError, isCovenantError } from "../errors.ts";
import { datasetMatches } from "../model/contract.ts";
import type { Lineage, LineageNode } from "./build-lineage.ts";
import { formatPath, indexLineage, type Reached, traceDownstream, traceUpstream } from "./trace-lineage.ts";

export type ImpactDirection = "upstream" | "downstream" | "both";

type ReportEntry = {
  node: string;
  label: string;
  kind: string;
  file: string | null;
  column: string;
  reach: string;
  path: string;
  /** How each step of the path is reached (projection, dependency, unknown). */
  steps: string[];
  owners: string[];
};

/** What `covenant impact` and `GET /lineage` answer (snake_case JSON). */
export type ImpactReport = {
  dataset: string;
  node: string;
  column: string | null;
  lineage: string;
  upstream: ReportEntry[];
  downstream: ReportEntry[];
  owners: string[];
};

/** A node named as users write it: its id, its label (`shop.orders`, a model), or `orders` for `public.orders`. */
export const findLineageNode = (lineage: Lineage, name: string): LineageNode => {
  const lower = name.toLowerCase();
  const nodes = [...lineage.nodes.values()];
  const found =
    lineage.nodes.get(name) ??
    nodes.find((n) => n.id.toLowerCase() === lower) ??
    nodes.find((n) => n.label.toLowerCase() === lower) ??
    nodes.find((n) => (n.sources ?? []).some((s) => s.toLowerCase() === lower)) ??
    nodes.find((n) => n.kind === "dataset" && datasetMatches(name, n.id, "postgres"));
  if (found) return found;
  const near = nodes
    .filter((n) => n.kind !== "exposure" && n.label.toLowerCase().includes(lower.split(".").pop() ?? lower))
    .map((n) => n.label)
    .slice(0, 5);
  throw new CovenantError(
    "not_found",
    `no dataset, dbt model, seed, snapshot or source named ${name} in the lineage${near.length > 0 ? ` (did you mean ${near.join(", ")}?)` : ""}: name a migration dataset (public.orders), a dbt model, or a source (shop.orders)`,
  );
};

/** `public.orders.email`, `stg_orders`, `shop.orders`: the longest prefix that names a node, the rest a column. */
export const splitImpactTarget = (lineage: Lineage, target: string): { dataset: string; column?: string } => {
  try {
    findLineageNode(lineage, target);
    return { dataset: target };
  } catch (error) {
    const dot = target.lastIndexOf(".");
    if (dot <= 0 || !isCovenantError(error)) throw error;
    try {
      findLineageNode(lineage, target.slice(0, dot));
    } catch {
      throw error;
    }
    return { dataset: target.slice(0, dot), column: target.slice(dot + 1) };
  }
};

const entry = (lineage: Lineage, item: Reached): ReportEntry => {
  const node = lineage.nodes.get(item.node);
  return {
    node: item.node,
    label: node?.label ?? item.node,
    kind: node?.kind ?? "unknown",
    file: node?.file ?? null,
    column: item.column,
    reach: item.reach,
    path: formatPath(lineage, item.path),
    steps: item.path.slice(1).map((step) => step.via ?? "projection"),
    owners: node?.owners ?? [],
  };
};

const byPath = (a: ReportEntry, b: ReportEntry) =>
  a.path.split(" → ").length - b.path.split(" → ").length || a.path.localeCompare(b.path);

/** Upstream and downstream of a dataset (or one of its columns), with owners. */
export const impactReport = (
  lineage: Lineage,
  { dataset, column, direction = "both" }: { dataset: string; column?: string; direction?: ImpactDirection },
): ImpactReport => {
  const node = findLineageNode(lineage, dataset);
  const start = { node: node.id, column: column?.toLowerCase() ?? "*" };
  if (column && node.columns && !node.columns.includes(start.column) && (node.passthrough ?? []).length === 0)
    throw new CovenantError(
      "not_found",
      `${node.label} has no column ${column} (its columns: ${node.columns.join(", ")})`,
    );
  const downstream =
    direction === "upstream"
      ? []
      : traceDownstream(indexLineage(lineage), start)
          .map((r) => entry(lineage, r))
          .sort(byPath);
  const upstream =
    direction === "downstream"
      ? []
      : traceUpstream(lineage, start)
          .map((r) => entry(lineage, r))
          .sort(byPath);
  return {
    dataset: node.label,
    node: node.id,
    column: column ?? null,
    lineage: node.lineage,
    upstream,
    downstream,
    owners: [...new Set([...node.owners, ...downstream.flatMap((e) => e.owners)])].sort(),
  };
};

const quote = (text: string): string => `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;

/** Edges of the report's paths, each once: `a.col -> b.col`. */
const edgesOf = (report: ImpactReport): Array<[string, string, string]> => {
  const edges = new Map<string, [string, string, string]>();
  for (const [list, reverse] of [
    [report.downstream, false],
    [report.upstream, true],
  ] as const)
    for (const item of list) {
      const steps = item.path.split(" → ");
      for (let i = 1; i < steps.length; i++) {
        const [from, to] = reverse ? [steps[i]!, steps[i - 1]!] : [steps[i - 1]!, steps[i]!];
        edges.set(`${from}\u0000${to}`, [from, to, item.steps[i - 1] ?? "projection"]);
      }
    }
  return [...edges.values()];
};

export const renderImpactDot = (report: ImpactReport): string =>
  [
    "digraph lineage {",
    "  rankdir=LR;",
    ...edgesOf(report).map(
      ([from, to, reach]) =>
        `  ${quote(from)} -> ${quote(to)}${reach === "projection" ? "" : ` [style=dashed, label=${quote(reach)}]`};`,
    ),
    "}",
    "",
  ].join("\n");

export const renderImpactMermaid = (report: ImpactReport): string => {
  const ids = new Map<string, string>();
  const id = (label: string) => {
    if (!ids.has(label)) ids.set(label, `n${ids.size}`);
    return ids.get(label)!;
  };
  const lines = edgesOf(report).map(([from, to, reach]) => {
    const arrow = reach === "projection" ? "-->" : `-. ${reach} .->`;
    return `  ${id(from)}[${quote(from)}] ${arrow} ${id(to)}[${quote(to)}]`;
  });
  return ["flowchart LR", ...lines, ""].join("\n");
};

export const renderImpactText = (report: ImpactReport): string => {
  const subject = report.column ? `${report.dataset}.${report.column}` : report.dataset;
  const lines = [`${subject} (lineage ${report.lineage})`];
  for (const [title, list] of [
    ["upstream", report.upstream],
    ["downstream", report.downstream],
  ] as const) {
    if (list.length === 0) continue;
    lines.push("", `${title} (${list.length}):`);
    for (const item of list)
      lines.push(
        `  ${item.path}${item.reach === "projection" ? "" : ` [${item.reach}]`}${item.owners.length > 0 ? ` — owners ${item.owners.join(", ")}` : ""}`,
      );
  }
  if (report.upstream.length === 0 && report.downstream.length === 0)
    lines.push("", "nothing upstream or downstream");
  if (report.owners.length > 0) lines.push("", `owners: ${report.owners.join(", ")}`);
  return `${lines.join("\n")}\n`;
};
