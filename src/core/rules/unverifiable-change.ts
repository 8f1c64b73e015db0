import type { Rule } from "./rule.ts";
import { violationOf } from "./rule.ts";
import { touchedBindings, unverifiedDetail } from "./unverified.ts";

/**
 * A changed migration runs code Covenant cannot follow (a DO block, EXECUTE of a computed
 * string, a function or procedure call, COPY … PROGRAM, MySQL PREPARE/EXECUTE) and its text
 * names a contracted dataset: whatever it does to that dataset is unseen, so it is a violation.
 */
export const unverifiableChange: Rule = {
  id: "unverifiable-change",
  severity: "error",
  description:
    "A changed migration runs code Covenant cannot follow (DO/EXECUTE/function calls/COPY PROGRAM) and names a contracted dataset.",
  check: ({ unverified = [], bindings }) =>
    unverified
      .filter((item) => item.kind === "dynamic")
      .flatMap((item) =>
        touchedBindings(item, bindings).map(({ binding }) => {
          const dataset =
            binding.headDataset?.name ?? binding.baseDataset?.name ?? binding.contract.dataset.name;
          return violationOf(unverifiableChange, binding, {
            message: `${item.finding.message} It names ${dataset}, so Covenant cannot verify what it does to that dataset.`,
            help: "Write the schema change as plain DDL in the migration; if the code is known to leave the contract intact, a contract owner can waive this violation.",
            location: item.finding,
            detail: unverifiedDetail(item),
          });
        }),
      ),
};
