import { formatType } from "../model/normalize-type.ts";
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

export const columnRemoved: Rule = {
  id: "column-removed",
  severity: "error",
  description: "A column the contract covers is dropped.",
  check: (context) =>
    diffBindings(context).flatMap((binding) =>
      changesOf(binding, "column-removed")
        .filter((change) => covers(binding.contract, change.column))
        .map((change) => {
          const declared = declaredColumn(binding.contract, change.column);
          const required = declared ? declared.required : change.baseColumn?.nullable === false;
          const type = declared?.type ?? (change.baseColumn ? formatType(change.baseColumn.type) : "");
          return violationOf(columnRemoved, binding, {
            column: change.column ?? "",
            message: `Column ${qualified(change.dataset, change.column)} is dropped, but ${contractLabel(binding)} promises it: readers that select ${change.column} will fail${required ? ", and it is a required column" : ""}.`,
            help: `Keep ${change.column}. To retire it: mark it deprecated in the contract, migrate every reader off it, publish a new major version of the contract without it, and only then drop the column.`,
            expected: `${change.column} (${type}, ${required ? "required" : "optional"})`,
            actual: "dropped",
            ...(change.location ? { location: change.location } : {}),
          });
        }),
    ),
};
