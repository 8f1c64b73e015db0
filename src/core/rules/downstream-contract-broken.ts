import { formatPath, type Reached } from "../lineage/trace-lineage.ts";
import type { Change } from "../model/change.ts";
import { enforcementRank } from "../model/contract-levels.ts";
import type { Violation } from "../model/violation.ts";
import { contractLabel, covers, qualified, type Rule, type RuleContext, violationOf } from "./rule.ts";

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

export const describeChange = (change: Change): string => {
  const what = qualified(change.dataset, change.column);
  switch (change.kind) {
    case "column-removed":
      return `Column ${what} is dropped`;
    case "column-renamed":
      return `Column ${what} is renamed to ${change.to}`;
    case "column-type-changed":
      return `The type of ${what} changes${change.before ? ` from ${change.before}` : ""}${change.after ? ` to ${change.after}` : ""}`;
    case "dataset-removed":
      return `${change.dataset} is dropped`;
    case "dataset-renamed":
      return `${change.dataset} is renamed to ${change.to}`;
    default:
      return `${what} changes`;
  }
};

/** Which changes this rule judges: removals and renames (columns or datasets) and changes of type. */
export const JUDGED = new Set([
  "column-removed",
  "column-renamed",
  "column-type-changed",
  "dataset-removed",
  "dataset-renamed",
]);

/**
 * Error through projection (the contracted column is computed from the changed one); warning
 * through a filter or join, through a model whose lineage is unknown, or for a type change that a
 * cast on the way absorbs.
 */
export const severityOf = (change: Change, reached: Reached): "error" | "warning" => {
  if (reached.reach !== "projection") return "warning";
  if (change.kind === "column-type-changed" && reached.shape === "cast") return "warning";
  return "error";
};

export const reachText = (change: Change, reached: Reached): string => {
  if (reached.reach === "dependency") return "through a filter, join or grouping";
  if (reached.reach === "unknown") return "possibly (a model on the way could not be parsed)";
  if (change.kind === "column-type-changed" && reached.shape === "cast")
    return "through a cast that may absorb the new type";
  return "through the columns it is computed from";
};

export const downstreamContractBroken: Rule = {
  id: "downstream-contract-broken",
  severity: "error",
  description: "A change reaches, through lineage, a column a downstream contract covers.",
  check: (context: RuleContext): Violation[] => {
    const lineage = context.lineage;
    if (!lineage) return [];
    const out = new Map<string, Violation>();
    const keep = (violation: Violation) => {
      const seen = out.get(violation.id);
      if (!seen || (seen.severity === "warning" && violation.severity === "error"))
        out.set(violation.id, violation);
    };
    const bindings = context.bindings.filter((b) => b.origin === "base" && b.enforcement !== "INACTIVE");
    for (const { change, reached } of lineage.traces) {
      if (!JUDGED.has(change.kind)) continue;
      for (const item of reached) {
        const node = lineage.lineage.nodes.get(item.node);
        if (!node || node.kind === "exposure") continue;
        const path = formatPath(lineage.lineage, item.path);
        const location = change.location ? { location: change.location } : {};
        const ours = bindings.filter((b) => {
          const name = b.baseDataset?.name ?? b.headDataset?.name;
          return name !== undefined && same(name, node.id);
        });
        for (const binding of ours) {
          const columns: Array<string | undefined> =
            item.column === "*" ? [undefined] : covers(binding.contract, item.column) ? [item.column] : [];
          for (const column of columns) {
            // One fact, one violation: a contract whose own column the PR changes is judged directly.
            if (
              binding.changes.some((c) => c.kind === "dataset-removed" || c.kind === "dataset-renamed") ||
              (column !== undefined &&
                binding.changes.some((c) => c.column !== undefined && same(c.column, column)))
            )
              continue;
            const severity = severityOf(change, item);
            keep({
              ...violationOf({ id: downstreamContractBroken.id, severity }, binding, {
                ...(column === undefined ? {} : { column }),
                detail: `${change.dataset}.${change.column ?? "*"}`,
                message: `${describeChange(change)}, and it reaches ${column === undefined ? node.label : `${node.label}.${column}`}, which ${contractLabel(binding)} (${binding.enforcement}) promises, ${reachText(change, item)}: ${path}.`,
                help: "Keep the old column (or dataset) until the downstream models stop reading it: add the new one, move the models over, publish the contract's new version, then drop the old one.",
                expected: column === undefined ? node.label : `${node.label}.${column}`,
                actual: path,
                ...location,
              }),
            });
          }
        }
      }
    }
    return [...out.values()].sort((a, b) => enforcementRank(b.enforcement) - enforcementRank(a.enforcement));
  },
};
