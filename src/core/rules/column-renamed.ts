import { changesOf, contractLabel, covers, diffBindings, qualified, type Rule, violationOf } from "./rule.ts";

export const columnRenamed: Rule = {
  id: "column-renamed",
  severity: "error",
  description: "A column the contract covers is renamed (RENAME COLUMN, MySQL CHANGE).",
  check: (context) =>
    diffBindings(context).flatMap((binding) =>
      changesOf(binding, "column-renamed")
        .filter((change) => covers(binding.contract, change.column))
        .map((change) =>
          violationOf(columnRenamed, binding, {
            column: change.column ?? "",
            message: `Column ${qualified(change.dataset, change.column)} is renamed to ${change.to}, but ${contractLabel(binding)} promises ${change.column}: readers and writers that use ${change.column} will fail.`,
            help: `Rename in steps (expand/contract): add ${change.to}, backfill it and keep both columns in sync, migrate readers and writers to ${change.to}, then drop ${change.column} in a later release with a new major version of the contract.`,
            expected: change.column ?? "",
            actual: change.to ?? "renamed",
            ...(change.location ? { location: change.location } : {}),
          }),
        ),
    ),
};
