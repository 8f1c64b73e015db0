import { changesOf, contractLabel, covers, diffBindings, type Rule, violationOf } from "./rule.ts";

export const uniqueRemoved: Rule = {
  id: "unique-removed",
  severity: "warning",
  description: "A unique constraint or index on a contracted dataset is dropped: duplicates may appear.",
  check: (context) =>
    diffBindings(context).flatMap((binding) =>
      changesOf(binding, "unique-removed")
        .filter((change) => change.column === undefined || covers(binding.contract, change.column))
        .map((change) =>
          violationOf(uniqueRemoved, binding, {
            ...(change.column === undefined ? { detail: change.before ?? "" } : { column: change.column }),
            message: `The ${change.before} constraint on ${change.dataset} is dropped: readers of ${contractLabel(binding)} that rely on one row per key may now see duplicates.`,
            help: "Keep the unique constraint (recreate it before dropping the old index if you are replacing it), or tell the readers before merging.",
            expected: change.before ?? "",
            actual: "dropped",
            ...(change.location ? { location: change.location } : {}),
          }),
        ),
    ),
};
