import { changesOf, contractLabel, covers, diffBindings, qualified, type Rule, violationOf } from "./rule.ts";

export const columnBecameRequired: Rule = {
  id: "column-became-required",
  severity: "error",
  description: "A covered column goes from nullable to NOT NULL: writers that leave it empty break.",
  check: (context) =>
    diffBindings(context).flatMap((binding) =>
      changesOf(binding, "column-became-required")
        .filter((change) => covers(binding.contract, change.column))
        .map((change) =>
          violationOf(columnBecameRequired, binding, {
            column: change.column ?? "",
            message: `Column ${qualified(change.dataset, change.column)} becomes NOT NULL: writers of ${contractLabel(binding)} that insert no value (or NULL) will fail, and so will the migration on existing NULL rows.`,
            help: `Backfill ${change.column} and give it a default first, update every writer, then add NOT NULL in a later release.`,
            expected: "NULL allowed",
            actual: "NOT NULL",
            ...(change.location ? { location: change.location } : {}),
          }),
        ),
    ),
};
