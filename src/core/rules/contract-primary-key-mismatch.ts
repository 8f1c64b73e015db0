import { changesOf, conformanceBindings, contractLabel, headName, type Rule, violationOf } from "./rule.ts";

const same = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((name, i) => name.toLowerCase() === b[i]?.toLowerCase());

export const contractPrimaryKeyMismatch: Rule = {
  id: "contract-primary-key-mismatch",
  severity: "error",
  description: "The head schema's primary key is not the one the contract declares.",
  check: (context) =>
    conformanceBindings(context).flatMap((binding) => {
      const declared = binding.contract.schema.primary_key;
      const dataset = binding.headDataset;
      // dbt models, views and files carry no enforceable key: nothing to compare.
      if (!declared || !dataset || dataset.kind !== "table" || dataset.keysKnown === false) return [];
      const actual = dataset.primaryKey?.columns ?? [];
      if (same(declared, actual)) return [];
      // A key this PR changes is reported once, by primary-key-changed.
      if (changesOf(binding, "primary-key-changed").length > 0) return [];
      const want = declared.join(", ");
      const have = actual.length > 0 ? `(${actual.join(", ")})` : "no primary key";
      const location = dataset.primaryKey?.location ?? dataset.location;
      return [
        violationOf(contractPrimaryKeyMismatch, binding, {
          message: `${headName(binding)} has ${have}, but ${contractLabel(binding)} declares primary key (${want}): readers that join, deduplicate or upsert on (${want}) will get wrong results.`,
          help: `Declare PRIMARY KEY (${want}) on ${headName(binding)}, or publish a new major version of the contract with the key the table really has.`,
          expected: `(${want})`,
          actual: have,
          ...(location ? { location } : {}),
        }),
      ];
    }),
};
