import { changesOf, contractLabel, diffBindings, type Rule, violationOf } from "./rule.ts";

export const primaryKeyChanged: Rule = {
  id: "primary-key-changed",
  severity: "error",
  description: "The primary key of a contracted dataset is dropped or changed.",
  check: (context) =>
    diffBindings(context).flatMap((binding) =>
      changesOf(binding, "primary-key-changed").map((change) =>
        violationOf(primaryKeyChanged, binding, {
          message: `The primary key of ${change.dataset} changes from (${change.before}) to (${change.after}): readers of ${contractLabel(binding)} that join, deduplicate or upsert on (${change.before}) will get wrong results.`,
          help: `Keep the primary key (${change.before}); add a unique constraint for the new key alongside it, migrate readers, and change the key in a new major version of the contract.`,
          expected: change.before ?? "",
          actual: change.after ?? "",
          ...(change.location ? { location: change.location } : {}),
        }),
      ),
    ),
};
