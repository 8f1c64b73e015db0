import { isUnknownType } from "../diff/diff-schemas.ts";
import { formatType, normalizeType, typeSatisfies } from "../model/normalize-type.ts";
import {
  conformanceBindings,
  contractLabel,
  declaredColumns,
  diffReports,
  headColumn,
  headName,
  qualified,
  type Rule,
  violationOf,
} from "./rule.ts";

export const contractTypeMismatch: Rule = {
  id: "contract-type-mismatch",
  severity: "error",
  description: "A column's type in the head schema does not satisfy the type the contract declares.",
  check: (context) =>
    conformanceBindings(context).flatMap((binding) =>
      declaredColumns(binding.contract).flatMap((declared) => {
        const actual = headColumn(binding, declared.name);
        // A dbt column with no data_type has no type to disagree with.
        if (!actual || !declared.type || isUnknownType(actual.type)) return [];
        const expected = normalizeType(declared.type);
        if (typeSatisfies(expected, actual.type)) return [];
        // A type change made by this PR (a widening included) is reported once, by column-type-changed.
        if (diffReports(binding, declared.name, "column-type-changed", "column-type-widened")) return [];
        const location = actual.location;
        return [
          violationOf(contractTypeMismatch, binding, {
            column: declared.name,
            message: `Column ${qualified(headName(binding), declared.name)} is ${formatType(actual.type)}, but ${contractLabel(binding)} declares ${declared.type}: readers that follow the contract will parse the wrong type.`,
            help: `Make the column ${declared.type} again, or publish a new major version of the contract declaring ${formatType(actual.type)} once readers are ready.`,
            expected: declared.type,
            actual: formatType(actual.type),
            ...(location ? { location } : {}),
          }),
        ];
      }),
    ),
};
