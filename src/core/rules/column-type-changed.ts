import { EXPAND_CONTRACT } from "./describe.ts";
import { changesOf, contractLabel, covers, diffBindings, qualified, type Rule, violationOf } from "./rule.ts";

export const columnTypeChanged: Rule = {
  id: "column-type-changed",
  severity: "error",
  description: "A covered column changes type family or narrows.",
  check: (context) =>
    diffBindings(context).flatMap((binding) =>
      changesOf(binding, "column-type-changed")
        .filter((change) => covers(binding.contract, change.column))
        .map((change) =>
          violationOf(columnTypeChanged, binding, {
            column: change.column ?? "",
            message: `Column ${qualified(change.dataset, change.column)} changes type from ${change.before} to ${change.after}, which ${contractLabel(binding)} covers: readers that expect ${change.before} values, and writers whose values no longer fit, will break.`,
            help: `Keep ${change.before}, or widen it instead (a longer varchar, a bigger integer). ${EXPAND_CONTRACT}`,
            expected: change.before ?? "",
            actual: change.after ?? "",
            ...(change.location ? { location: change.location } : {}),
          }),
        ),
    ),
};
