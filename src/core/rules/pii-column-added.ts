import { isPiiColumn } from "./pii.ts";
import {
  changesOf,
  contractLabel,
  declaredColumn,
  diffBindings,
  qualified,
  type Rule,
  violationOf,
} from "./rule.ts";

export const piiColumnAdded: Rule = {
  id: "pii-column-added",
  severity: "error",
  description:
    "A column classified as PII (explicitly or by its name) is added to a dataset whose contract restricts PII.",
  check: (context) =>
    diffBindings(context)
      .filter((binding) => binding.contract.restrict_pii === true)
      .flatMap((binding) =>
        changesOf(binding, "column-added", "column-renamed")
          .filter((change) => change.headColumn !== undefined)
          .filter((change) => {
            const column = change.headColumn!;
            return isPiiColumn(column, declaredColumn(binding.contract, column.name));
          })
          .map((change) => {
            const name = change.headColumn!.name;
            return violationOf(piiColumnAdded, binding, {
              column: name,
              message: `Column ${qualified(change.dataset, name)} looks like personal data (PII), but ${contractLabel(binding)} restricts PII: every consumer of ${change.dataset} would receive it.`,
              help: `Keep ${name} out of ${change.dataset} (store it in a restricted table, or hash/tokenize it), or have the contract owners lift restrict_pii and classify the column.`,
              expected: "no PII columns",
              actual: name,
              ...(change.location ? { location: change.location } : {}),
            });
          }),
      ),
};
