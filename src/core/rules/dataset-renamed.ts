import { datasetNoun } from "./describe.ts";
import { changesOf, contractLabel, diffBindings, type Rule, violationOf } from "./rule.ts";

export const datasetRenamed: Rule = {
  id: "dataset-renamed",
  severity: "error",
  description: "A contracted table, view or dbt model is renamed (explicit RENAME, or a dbt model moved).",
  check: (context) =>
    diffBindings(context).flatMap((binding) =>
      changesOf(binding, "dataset-renamed").map((change) =>
        violationOf(datasetRenamed, binding, {
          message: `${datasetNoun(binding, change.dataset)} is renamed to ${change.to}, but ${contractLabel(binding)} is bound to ${change.dataset}: readers that query ${change.dataset} will fail.`,
          help: `Rename in steps (expand/contract): create ${change.to} and keep ${change.dataset} readable (e.g. a view over the new table), migrate readers, then drop the old name in a later release; point the contract's dataset.name at ${change.to} in a new major version.`,
          expected: change.dataset,
          actual: change.to ?? "renamed",
          ...(change.location ? { location: change.location } : {}),
        }),
      ),
    ),
};
