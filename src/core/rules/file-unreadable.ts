import type { Rule } from "./rule.ts";
import { violationOf } from "./rule.ts";

/**
 * Fail closed: a file the PR changes (or whose migration history or dbt project it changes) that
 * could not be read may change any contracted dataset of its kind, so the change is unverified.
 */
export const fileUnreadable: Rule = {
  id: "file-unreadable",
  severity: "error",
  description:
    "A file the change depends on could not be read (binary, too large, a submodule, a link out of the repository): the contracts it may touch cannot be verified.",
  check: (context) =>
    (context.unreadable ?? []).flatMap((file) =>
      context.bindings
        .filter(
          (binding) =>
            file.scope === "any" ||
            (file.scope === "dbt_models") === (binding.contract.dataset.type === "dbt_model"),
        )
        .map((binding) =>
          violationOf(fileUnreadable, binding, {
            location: { file: file.path, line: 1 },
            detail: file.path,
            message: `Covenant could not read ${file.path}: ${file.reason}. It may change ${binding.contract.dataset.name}, which contract "${binding.contract.name}" covers, so this change cannot be verified.`,
            help: "Make the file a UTF-8 text file inside the repository (not a submodule, not a link leaving it, within the size limit), then run the check again.",
            expected: "a readable file",
            actual: file.reason,
          }),
        ),
    ),
};
