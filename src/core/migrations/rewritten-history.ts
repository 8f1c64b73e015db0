import type { Finding } from "../model/finding.ts";
import type { SchemaState } from "../model/schema.ts";
import { mentionedNames } from "../sql/names.ts";
import type { MigrationSet } from "./discover-migrations.ts";

/** A migration of the base's history that the PR edits, deletes (or renames), or a new one it slots in before applied ones. */
export type RewrittenMigration = {
  kind: "edited" | "deleted" | "inserted";
  /** What is said when no contract is concerned (a warning finding) and the core of the violation's message. */
  finding: Finding;
  /** Qualified names the old and new texts mention (see core/sql/names.ts). */
  names: string[][];
  dialect: MigrationSet["dialect"];
};

const WHY =
  "migration tools record what they applied and never run an applied migration again, so deployed databases keep the old history while new ones get this one: the replayed schema may match no real database";

/** Names of the datasets the base state says a file created or changed, when its text is not at hand. */
const namesFromState = (state: SchemaState, file: string): string[][] =>
  [...state.datasets.values()]
    .filter(
      (dataset) =>
        dataset.location?.file === file || dataset.columns.some((column) => column.location?.file === file),
    )
    .map((dataset) => dataset.name.split("."));

/**
 * Applied history is what the base's migration files say; a PR that edits, deletes or renames one
 * of them, or adds one that sorts before applied ones, rewrites it. Replaying the rewritten
 * history shows what a new database would get, not what deployed ones will: say so.
 */
export const findRewrittenHistory = ({
  baseSets,
  headSets,
  changed,
  baseContents,
  headContents,
  baseState,
}: {
  baseSets: readonly MigrationSet[];
  headSets: readonly MigrationSet[];
  changed: ReadonlySet<string>;
  baseContents: ReadonlyMap<string, string>;
  headContents: ReadonlyMap<string, string>;
  baseState: SchemaState;
}): RewrittenMigration[] => {
  const found: RewrittenMigration[] = [];
  for (const headSet of headSets) {
    const baseSet = baseSets.find((set) => set.root === headSet.root);
    if (!baseSet || baseSet.files.length === 0) continue;
    const { dialect } = headSet;
    const inHead = new Set(headSet.files);
    const inBase = new Set(baseSet.files);
    const names = (file: string, ...texts: Array<string | undefined>) => {
      const known = texts.filter((text): text is string => text !== undefined);
      return known.length > 0
        ? known.flatMap((text) => mentionedNames(text, dialect))
        : namesFromState(baseState, file);
    };
    for (const file of baseSet.files) {
      if (!changed.has(file)) continue;
      const edited = inHead.has(file);
      found.push({
        kind: edited ? "edited" : "deleted",
        dialect,
        names: names(file, baseContents.get(file), headContents.get(file)),
        finding: {
          rule: "migration-history-rewritten",
          severity: "warning",
          file,
          line: 1,
          message: edited
            ? `${file} is already on the base branch and this change edits it: ${WHY}.`
            : `${file} is already on the base branch and this change deletes or renames it: ${WHY}; a renamed file also counts as a new migration and runs again where the old one ran.`,
          help: edited
            ? "Restore the applied migration and make the change in a new migration after the last one."
            : "Restore the applied migration under its name; undo what it did in a new migration if needed.",
        },
      });
    }
    const lastApplied = headSet.files.findLastIndex((file) => inBase.has(file));
    headSet.files.slice(0, Math.max(lastApplied, 0)).forEach((file) => {
      if (inBase.has(file)) return;
      const after = headSet.files[lastApplied]!;
      found.push({
        kind: "inserted",
        dialect,
        names: names(file, headContents.get(file)),
        finding: {
          rule: "migration-history-rewritten",
          severity: "warning",
          file,
          line: 1,
          message: `${file} is new but sorts before ${after}, which is already applied: tools that track the last applied version skip it or refuse to run (Flyway without outOfOrder), so deployed databases may never get it.`,
          help: `Name the migration so that it sorts after ${after}.`,
        },
      });
    });
  }
  return found;
};
