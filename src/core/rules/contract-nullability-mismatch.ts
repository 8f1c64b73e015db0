import {
  changesOf,
  conformanceBindings,
  contractLabel,
  declaredColumns,
  headColumn,
  headName,
  qualified,
  type Rule,
  violationOf,
} from "./rule.ts";

export const contractNullabilityMismatch: Rule = {
  id: "contract-nullability-mismatch",
  severity: "error",
  description: "The contract declares a column required, but the head schema allows NULL.",
  check: (context) =>
    conformanceBindings(context).flatMap((binding) =>
      declaredColumns(binding.contract)
        .filter((declared) => declared.required)
        .flatMap((declared) => {
          const actual = headColumn(binding, declared.name);
          if (!actual?.nullable) return [];
          // Most specific location: the statement of this PR that dropped NOT NULL.
          const change = changesOf(binding, "column-became-nullable", "column-added").find(
            (c) => c.column?.toLowerCase() === declared.name.toLowerCase(),
          );
          const location = change?.location ?? actual.location;
          return [
            violationOf(contractNullabilityMismatch, binding, {
              column: declared.name,
              message: `Column ${qualified(headName(binding), declared.name)} allows NULL, but ${contractLabel(binding)} declares it required: readers that rely on a value in every row will get nulls.`,
              help: `Keep ${declared.name} NOT NULL (backfill missing values first), or make it optional in a new major version of the contract once readers handle nulls.`,
              expected: "required (NOT NULL)",
              actual: "nullable",
              ...(location ? { location } : {}),
            }),
          ];
        }),
    ),
};
