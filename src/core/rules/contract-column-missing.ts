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

export const contractColumnMissing: Rule = {
  id: "contract-column-missing",
  severity: "error",
  description: "The head schema lacks a column the contract declares.",
  check: (context) =>
    conformanceBindings(context).flatMap((binding) => {
      const dataset = binding.headDataset;
      if (!dataset?.columnsKnown) return [];
      return (
        declaredColumns(binding.contract)
          .filter((column) => headColumn(binding, column.name) === undefined)
          // A column this PR drops or renames is reported by column-removed / column-renamed.
          .filter(
            (column) =>
              !diffReports(binding, column.name, "column-removed", "column-renamed", "dataset-removed"),
          )
          .map((column) =>
            violationOf(contractColumnMissing, binding, {
              column: column.name,
              message: `${contractLabel(binding)} declares column ${qualified(headName(binding), column.name)} (${column.type}${column.required ? ", required" : ""}), but the schema has no such column: readers relying on the contract will fail.`,
              help: `Add ${column.name} to ${headName(binding)} with a migration, or remove it from the contract in a new major version once no reader uses it.`,
              expected: `${column.name} (${column.type}${column.required ? ", required" : ""})`,
              actual: "missing",
              // The contract is where the promise is written: its entry for the column.
              ...(binding.file
                ? {
                    location: {
                      file: binding.file,
                      line: binding.lines?.column[column.name.toLowerCase()] ?? 1,
                    },
                  }
                : {}),
            }),
          )
      );
    }),
};
