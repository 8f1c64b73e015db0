import type { DbtProject } from "../dbt/discover-dbt-projects.ts";
import type { MigrationSet } from "../migrations/discover-migrations.ts";
import type { Finding } from "../model/finding.ts";
import type { UnreadableFile } from "./repository-files.ts";

/** Which contracts an unreadable file may affect: those of tables, of dbt models, or any. */
export type UnreadableScope = "tables" | "dbt_models" | "any";

export type UnreadableInScope = UnreadableFile & { scope: UnreadableScope };

/**
 * An unreadable file matters when the PR changes it, or changes the migration history or dbt
 * project it belongs to (their replay then rests on a file nobody could read). Without its text
 * nothing says which dataset it touches, so it may touch every contract of its kind.
 */
export const scopeUnreadable = ({
  unreadable,
  changed,
  migrationSets,
  dbtProjects,
}: {
  unreadable: readonly UnreadableFile[];
  changed: ReadonlySet<string>;
  migrationSets: readonly MigrationSet[];
  dbtProjects: readonly DbtProject[];
}): { inScope: UnreadableInScope[]; findings: Finding[] } => {
  const inScope: UnreadableInScope[] = [];
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const file of unreadable) {
    if (seen.has(file.path)) continue;
    seen.add(file.path);
    const sets = migrationSets.filter(
      (set) => set.files.includes(file.path) || set.needs?.includes(file.path),
    );
    const projects = dbtProjects.filter((project) => project.files.includes(file.path));
    const touched =
      changed.has(file.path) ||
      sets.some((set) => set.files.some((f) => changed.has(f))) ||
      projects.some((project) => project.files.some((f) => changed.has(f)));
    if (!touched) continue;
    const scope: UnreadableScope =
      sets.length > 0 && projects.length === 0
        ? "tables"
        : projects.length > 0 && sets.length === 0
          ? "dbt_models"
          : "any";
    inScope.push({ ...file, scope });
    findings.push({
      rule: "file-unreadable",
      severity: "error",
      file: file.path,
      line: 1,
      message: `${file.path} could not be read: ${file.reason}. It was not analysed.`,
      help: "Keep migrations, dbt files and contracts as text files (UTF-8) in the repository itself, within the size limit.",
    });
  }
  return { inScope, findings };
};
