import { changesOf, contractLabel, diffBindings, qualified, type Rule, violationOf } from "./rule.ts";

// Columns the database fills itself are not a burden on writers.
const GENERATED = /serial|identity|auto_?increment|generated/i;

export const requiredColumnAdded: Rule = {
  id: "required-column-added",
  severity: "error",
  description:
    "A NOT NULL column without a default is added to a contracted dataset: existing writers break.",
  check: (context) =>
    diffBindings(context).flatMap((binding) =>
      changesOf(binding, "column-added")
        .filter(
          (change) =>
            change.headColumn && !change.headColumn.nullable && change.headColumn.default === undefined,
        )
        .filter((change) => !GENERATED.test(change.headColumn?.type.raw ?? ""))
        .map((change) =>
          violationOf(requiredColumnAdded, binding, {
            column: change.column ?? "",
            message: `Column ${qualified(change.dataset, change.column)} is added as NOT NULL without a default: every writer of ${contractLabel(binding)} that does not set it will fail.`,
            help: `Add ${change.column} as nullable or with a DEFAULT, update the writers, then make it NOT NULL in a later release.`,
            expected: "nullable or with a default",
            actual: "NOT NULL, no default",
            ...(change.location ? { location: change.location } : {}),
          }),
        ),
    ),
};
