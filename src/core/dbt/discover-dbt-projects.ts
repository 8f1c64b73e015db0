import {
  basename,
  createPathFilter,
  dirname,
  isUnder,
  joinPath,
  normalizePath,
} from "../config/path-filter.ts";
import type { RepoConfig } from "../config/repo-config.ts";

export type DbtProject = {
  /** Directory of `dbt_project.yml`, repository-relative ("" for the repository root). */
  root: string;
  /** `<root>/dbt_project.yml`, when the repository has it (a configured path may lack it). */
  projectFile?: string;
  /**
   * Files to read and pass to `readDbtModels`: the project file and every `.sql`, `.py`,
   * `.yml`, `.yaml` below the root, except dbt's non-model folders; for lineage also the SQL and
   * YAML of seeds and snapshots, seeds' CSV (of which only the header is read), the SQL of macros,
   * and `profiles.yml`. The model paths come from the
   * project file, so they are filtered there, not here.
   */
  files: string[];
};

const NON_MODEL_DIRS = new Set([
  "macros",
  "tests",
  "seeds",
  "data",
  "snapshots",
  "analyses",
  "analysis",
  "logs",
  "target",
  "dbt_packages",
]);
const LINEAGE_DIRS = new Set(["seeds", "data", "snapshots"]);
const LINEAGE_FILE = /\.(sql|ya?ml)$/i;
// A seed's columns are its CSV header: the readers keep only a `.csv`'s first line (see headerOnly).
const SEED_DIRS = new Set(["seeds", "data"]);
const SEED_FILE = /\.csv$/i;
const MODEL_FILE = /\.(sql|py|ya?ml)$/i;

/**
 * Every dbt project of a repository: each `dbt_project.yml` (outside installed packages and
 * ignored paths) plus each `dbt` entry of the configuration. A file belongs to the deepest
 * project that contains it, so nested projects do not share models.
 */
export const discoverDbtProjects = (paths: string[], config: RepoConfig): DbtProject[] => {
  const keep = createPathFilter(config);
  const all = [...new Set(paths.map(normalizePath))].filter(keep);
  const roots = new Set(all.filter((path) => basename(path) === "dbt_project.yml").map(dirname));
  for (const entry of config.dbt)
    roots.add(normalizePath(entry.path).replace(/\/+$/, "").replace(/^\.$/, ""));
  const ordered = [...roots].sort((a, b) => b.length - a.length);
  const projects = new Map<string, DbtProject>(
    ordered.map((root) => {
      const projectFile = joinPath(root, "dbt_project.yml");
      return [root, { root, ...(all.includes(projectFile) ? { projectFile } : {}), files: [] }];
    }),
  );
  for (const path of all) {
    const root = ordered.find((candidate) => isUnder(path, candidate));
    if (root === undefined) continue;
    const project = projects.get(root)!;
    if (path === project.projectFile) {
      project.files.push(path);
      continue;
    }
    const relative = root === "" ? path : path.slice(root.length + 1);
    const segments = relative.split("/");
    // Lineage reads seeds' headers, snapshots and the warehouse type of profiles.yml (beside the
    // project, or in a folder of it that DBT_PROFILES_DIR names, e.g. `profile/profiles.yml`).
    // Lineage also expands the project's macros (`macros/*.sql`) where models call them.
    if (
      /^(?:[^/]+\/)?profiles\.yml$/.test(relative) ||
      (segments.length >= 2 && LINEAGE_DIRS.has(segments[0]!) && LINEAGE_FILE.test(path)) ||
      (segments.length >= 2 && SEED_DIRS.has(segments[0]!) && SEED_FILE.test(path)) ||
      (segments.length >= 2 && segments[0] === "macros" && /\.sql$/i.test(path))
    ) {
      project.files.push(path);
      continue;
    }
    if (segments.length < 2 || NON_MODEL_DIRS.has(segments[0]!) || !MODEL_FILE.test(path)) continue;
    project.files.push(path);
  }
  return [...projects.values()]
    .map((project) => ({ ...project, files: project.files.sort() }))
    .sort((a, b) => a.root.localeCompare(b.root));
};
