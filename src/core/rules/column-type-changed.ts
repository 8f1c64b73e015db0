import type { Change } from "../model/change.ts";
import { formatType, normalizeType, typeSatisfies } from "../model/normalize-type.ts";
import { EXPAND_CONTRACT } from "./describe.ts";
import {
  type ContractBinding,
  changesOf,
  contractLabel,
  covers,
  declaredColumn,
  diffBindings,
  qualified,
  type Rule,
  violationOf,
} from "./rule.ts";

/**
 * The type the contract pins for a column the PR widened, when the widened type no longer
 * satisfies it: the widening is still the PR's change, so this rule reports it rather than
 * contract-type-mismatch (each fact once, by the rule that judges the PR's change).
 */
export const pinnedTypeBrokenByWidening = (binding: ContractBinding, change: Change): string | undefined => {
  const declared = declaredColumn(binding.contract, change.column)?.type;
  if (!declared || !change.headColumn) return undefined;
  return typeSatisfies(normalizeType(declared), change.headColumn.type) ? undefined : declared;
};

export const columnTypeChanged: Rule = {
  id: "column-type-changed",
  severity: "error",
  description:
    "A covered column changes type family or narrows, or widens away from the exact type the contract declares.",
  check: (context) =>
    diffBindings(context).flatMap((binding) =>
      changesOf(binding, "column-type-changed", "column-type-widened")
        .filter((change) => covers(binding.contract, change.column))
        .flatMap((change) => {
          const pinned =
            change.kind === "column-type-widened" ? pinnedTypeBrokenByWidening(binding, change) : undefined;
          if (change.kind === "column-type-widened" && pinned === undefined) return [];
          const column = qualified(change.dataset, change.column);
          const message =
            pinned === undefined
              ? `Column ${column} changes type from ${change.before} to ${change.after}, which ${contractLabel(binding)} covers: readers that expect ${change.before} values, and writers whose values no longer fit, will break.`
              : `Column ${column} changes type from ${change.before} to ${change.after}, but ${contractLabel(binding)} declares ${pinned}: readers that follow the contract will receive ${change.headColumn ? formatType(change.headColumn.type) : change.after} values.`;
          const help =
            pinned === undefined
              ? `Keep ${change.before}, or widen it instead (a longer varchar, a bigger integer). ${EXPAND_CONTRACT}`
              : `Keep ${change.before}, or publish a new major version of the contract declaring ${change.after} (or a portable family such as string) once readers are ready.`;
          return [
            violationOf(columnTypeChanged, binding, {
              column: change.column ?? "",
              message,
              help,
              expected: pinned ?? change.before ?? "",
              actual: change.after ?? "",
              ...(change.location ? { location: change.location } : {}),
            }),
          ];
        }),
    ),
};
