import type { Change } from "../model/change.ts";
import { datasetNoun } from "./describe.ts";
import {
  type ContractBinding,
  changesOf,
  contractLabel,
  diffBindings,
  type Rule,
  violationOf,
} from "./rule.ts";

/** A disabled dbt model is gone for its readers as a deleted one is, but the fix is another. */
const disabled = (binding: ContractBinding, change: Change) => {
  const where = change.location ? ` (${change.location.file}:${change.location.line})` : "";
  return {
    message: `${datasetNoun(binding, change.dataset)} is disabled${where}, but ${contractLabel(binding)} promises it to its consumers: dbt no longer builds it, so every reader of ${change.dataset} (dashboards, jobs, downstream models) stops getting fresh data, and fails once the relation is dropped.`,
    help: `Remove enabled=false there to keep building ${change.dataset}. To retire it, mark the contract deprecated with a successor, migrate its readers, and disable the model in a later release under a new major version of the contract.`,
    actual: "disabled",
  };
};

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
          ...(change.after === "disabled" ? disabled(binding, change) : {}),
          ...(change.location ? { location: change.location } : {}),
        }),
      ),
    ),
};
