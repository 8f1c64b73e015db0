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
          const expected = `${change.column} (${type}, ${required ? "required" : "optional"})`;
          const at = change.location ? { location: change.location } : {};
          if (change.after === "undeclared") {
            return violationOf(columnRemoved, binding, {
              column: change.column ?? "",
              message: `Column ${qualified(change.dataset, change.column)} is no longer declared in the YAML of dbt model ${change.dataset}, whose contract is enforced: the SQL still selects it, but dbt no longer guarantees its name and type, and ${contractLabel(binding)} promises it${required ? " as a required column" : ""}.`,
              help: `Keep the entry of ${change.column} (name, data_type, constraints) under the model's columns. To retire it: mark it deprecated in the contract, migrate every reader off it, publish a new major version of the contract without it, then remove it from the YAML and the SQL together.`,
              expected,
              actual: "no longer declared",
              ...at,
            });
          }
          return violationOf(columnRemoved, binding, {
            column: change.column ?? "",
            message: `Column ${qualified(change.dataset, change.column)} is dropped, but ${contractLabel(binding)} promises it: readers that select ${change.column} will fail${required ? ", and it is a required column" : ""}.`,
            help: `Keep ${change.column}. To retire it: mark it deprecated in the contract, migrate every reader off it, publish a new major version of the contract without it, and only then drop the column.`,
            expected,
            actual: "dropped",
            ...at,
          });
        }),
    ),
};
