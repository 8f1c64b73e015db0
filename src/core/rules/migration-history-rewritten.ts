import type { Rule } from "./rule.ts";
import { violationOf } from "./rule.ts";
import { touchedBindings } from "./unverified.ts";

/**
 * The PR rewrites applied migration history (edits, deletes or renames a migration of the base,
 * or slots a new one before applied ones) and that migration names a contracted dataset: deployed
 * databases will not follow the replay, so the change to that dataset cannot be verified.
 */
export const migrationHistoryRewritten: Rule = {
  id: "migration-history-rewritten",
  severity: "error",
  description:
    "An applied migration that names a contracted dataset is edited, deleted, renamed, or a new one is slotted before applied ones.",
  check: ({ rewritten = [], bindings }) =>
    rewritten.flatMap((item) =>
      // Only the names the migration's text mentions count: a rewrite that names no contracted
      // dataset stays a warning finding.
      touchedBindings({ ...item, kind: "dynamic", history: new Set() }, bindings).map(({ binding }) =>
        violationOf(migrationHistoryRewritten, binding, {
          message: `${item.finding.message} It names ${binding.baseDataset?.name ?? binding.contract.dataset.name}, which the contract covers.`,
          ...(item.finding.help ? { help: item.finding.help } : {}),
          location: item.finding,
          detail: `${item.kind}:${item.finding.file}`,
        }),
      ),
    ),
};
