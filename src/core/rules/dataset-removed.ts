import { datasetNoun } from "./describe.ts";
import { changesOf, contractLabel, diffBindings, type Rule, violationOf } from "./rule.ts";

export const datasetRemoved: Rule = {
  id: "dataset-removed",
  severity: "error",
  description: "A contracted table, view or dbt model is dropped, deleted or disabled.",
  check: (context) =>
    diffBindings(context).flatMap((binding) =>
      changesOf(binding, "dataset-removed").map((change) =>
        violationOf(datasetRemoved, binding, {
          message: `${datasetNoun(binding, change.dataset)} is removed, but ${contractLabel(binding)} promises it to its consumers: every reader of ${change.dataset} (dashboards, jobs, services) will fail.`,
          help: `Keep ${change.dataset}. To retire it, mark the contract deprecated with a successor, migrate its readers, and drop the dataset in a later release under a new major version of the contract.`,
          expected: `${change.dataset} exists`,
          actual: "removed",
          ...(change.location ? { location: change.location } : {}),
        }),
      ),
    ),
};
