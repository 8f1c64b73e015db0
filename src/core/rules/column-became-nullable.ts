import {
  changesOf,
  contractLabel,
  covers,
  declaredColumn,
  diffBindings,
  qualified,
  type Rule,
  violationOf,
} from "./rule.ts";

export const columnBecameNullable: Rule = {
  id: "column-became-nullable",
  severity: "warning",
  description:
    "NOT NULL is dropped from a covered column the contract leaves optional: readers may now get nulls.",
  check: (context) =>
    diffBindings(context).flatMap((binding) =>
      changesOf(binding, "column-became-nullable")
        // On a column the contract declares required, contract-nullability-mismatch reports it as an error.
        .filter((change) => covers(binding.contract, change.column))
        .filter((change) => declaredColumn(binding.contract, change.column)?.required !== true)
        .map((change) =>
          violationOf(columnBecameNullable, binding, {
            column: change.column ?? "",
            message: `Column ${qualified(change.dataset, change.column)} drops NOT NULL: readers of ${contractLabel(binding)} that assume a value may now get nulls.`,
            help: `Keep NOT NULL if every row has a value; otherwise tell the readers of ${change.dataset} and handle nulls there before merging.`,
            expected: "NOT NULL",
            actual: "NULL allowed",
            ...(change.location ? { location: change.location } : {}),
          }),
        ),
    ),
};
