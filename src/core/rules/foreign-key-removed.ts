import { changesOf, contractLabel, covers, diffBindings, type Rule, violationOf } from "./rule.ts";

export const foreignKeyRemoved: Rule = {
  id: "foreign-key-removed",
  severity: "warning",
  description: "A foreign key on a contracted dataset is dropped: orphan rows may appear.",
  check: (context) =>
    diffBindings(context).flatMap((binding) =>
      changesOf(binding, "foreign-key-removed")
        .filter((change) => change.column === undefined || covers(binding.contract, change.column))
        .map((change) =>
          violationOf(foreignKeyRemoved, binding, {
            ...(change.column === undefined ? { detail: change.before ?? "" } : { column: change.column }),
            message: `The foreign key ${change.before} on ${change.dataset} is dropped: readers of ${contractLabel(binding)} that join on it may now meet rows with no match.`,
            help: "Keep the foreign key, or recreate it (NOT VALID, then VALIDATE) if you are changing it; tell the readers before merging if it must go.",
            expected: change.before ?? "",
            actual: "dropped",
            ...(change.location ? { location: change.location } : {}),
          }),
        ),
    ),
};
