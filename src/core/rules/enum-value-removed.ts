import { changesOf, contractLabel, covers, diffBindings, qualified, type Rule, violationOf } from "./rule.ts";

export const enumValueRemoved: Rule = {
  id: "enum-value-removed",
  severity: "error",
  description: "A value leaves an enum type or accepted-values list of a covered column.",
  check: (context) =>
    diffBindings(context).flatMap((binding) =>
      changesOf(binding, "enum-value-removed")
        .filter((change) => change.column !== undefined && covers(binding.contract, change.column))
        .map((change) =>
          violationOf(enumValueRemoved, binding, {
            column: change.column ?? "",
            message: `Column ${qualified(change.dataset, change.column)} no longer accepts ${change.before}: writers of ${contractLabel(binding)} that send it will fail and existing rows holding it break the type.`,
            help: `Keep ${change.before}; to retire a value, stop writing it, migrate existing rows, and remove it in a new major version of the contract.`,
            expected: `accepts ${change.before}`,
            actual: `accepts ${change.after || "(none)"}`,
            ...(change.location ? { location: change.location } : {}),
          }),
        ),
    ),
};
