import { contractLabel, diffBindings, type Rule, violationOf } from "./rule.ts";

/**
 * Deleting an active contract's file takes every promise back at once, and from the next PR on
 * nothing guards its dataset: the retirement path is to deprecate it first (a deprecated
 * contract is not enforced, so its file can then be deleted).
 */
export const contractRemoved: Rule = {
  id: "contract-removed",
  severity: "error",
  description:
    "An active contract's file is deleted (or moved where contracts are not read) without being deprecated first.",
  check: (context) =>
    diffBindings(context)
      .filter((binding) => binding.removedByPr)
      .map((binding) =>
        violationOf(contractRemoved, binding, {
          message: `This change deletes ${binding.file ?? "the file"} of ${contractLabel(binding)}, which is active: once merged nothing enforces what it promises about ${binding.contract.dataset.name}, and the next change can break its consumers unseen.`,
          help: `To retire the contract, set status: deprecated in ${binding.file ?? "its file"} (with a reason and a successor) in one change, and delete the file in a later one. If the file moved, keep it where the configuration's contracts globs read it.`,
          expected: `${binding.file ?? "the contract"} kept`,
          actual: "deleted",
          detail: "removed",
        }),
      ),
};
