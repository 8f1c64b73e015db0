import {
  basename,
  createPathFilter,
  dirname,
  isUnder,
  joinPath,
  normalizePath,
} from "../config/path-filter.ts";
import type { RepoConfig } from "../config/repo-config.ts";
import type { Finding } from "../model/finding.ts";
import {
  type DbtPathKind,
  type DbtProjectLayout,
  dbtProjectLayout,
  defaultDbtProjectConfig,
  parseDbtProject,
} from "./dbt-project.ts";

export type DbtProject = {
  /** Directory of `dbt_project.yml`, repository-relative ("" for the repository root). */
  root: string;
  /** `<root>/dbt_project.yml`, when the repository has it (a configured path may lack it). */
  projectFile?: string;
  /**
   * Files to read and pass to `readDbtModels`: the project file, the `.sql`, `.py`, `.yml`,
   * `.yaml` of its model folders, and for lineage the SQL and YAML of its snapshot folders, the
   * CSV (of which only the header is read) and YAML of its seed folders, the SQL of its macro
   * folders and `profiles.yml`. The folders are those dbt_project.yml names (`model-paths`,
   * `seed-paths`, …, dbt's defaults otherwise); analyses, tests, docs and dbt's output are not read.
   */
  files: string[];
  /**
   * Why the project's folders are not known for sure: its dbt_project.yml does not parse, or a
   * folder setting is not a list of folders inside the repository (dbt's defaults are read then).
   */
  problems?: Finding[];
};

/** dbt_project.yml's text by path: a map of read files, or a reader. */
export type DbtProjectTexts = ReadonlyMap<string, string> | ((path: string) => string | undefined);

const MODEL_FILE = /\.(sql|py|ya?ml)$/i;
const YAML_FILE = /\.ya?ml$/i;
const SQL_FILE = /\.sql$/i;
// A seed's columns are its CSV header: the readers keep only a `.csv`'s first line (see headerOnly).
const SEED_FILE = /\.(csv|ya?ml)$/i;

/** Which files of each kind of folder are read; other kinds (analyses, tests, docs) are not. */
const READ: Partial<Record<DbtPathKind | "unknown", (path: string) => boolean>> = {
  model: (path) => MODEL_FILE.test(path),
  seed: (path) => SEED_FILE.test(path),
  snapshot: (path) => SQL_FILE.test(path) || YAML_FILE.test(path),
  macro: (path) => SQL_FILE.test(path),
  // Folders not known yet (dbt_project.yml not read): whatever any kind would read.
  unknown: (path) => MODEL_FILE.test(path) || SEED_FILE.test(path),
};

const rootsOf = (all: readonly string[], config: RepoConfig): string[] => {
  const roots = new Set(all.filter((path) => basename(path) === "dbt_project.yml").map(dirname));
  for (const entry of config.dbt)
    roots.add(normalizePath(entry.path).replace(/\/+$/, "").replace(/^\.$/, ""));
  return [...roots];
};

/**
 * The `dbt_project.yml` files to read before `discoverDbtProjects`: their folder settings decide
 * which other files belong to a project.
 */
export const dbtProjectFiles = (paths: readonly string[], config: RepoConfig): string[] => {
  const keep = createPathFilter(config);
  return [...new Set(paths.map(normalizePath))].filter(
    (path) => basename(path) === "dbt_project.yml" && keep(path),
  );
};

type Claim = { dir: string; kind: DbtPathKind | "output" | "root" | "unknown"; project: DbtProject };

/**
 * Every dbt project of a repository: each `dbt_project.yml` (outside installed packages and
 * ignored paths) plus each `dbt` entry of the configuration, with the files of the folders its
 * dbt_project.yml names. A file belongs to the project whose folder holding it is the deepest,
 * so a nested project keeps its own files and a `tests` folder inside a model folder holds tests.
 *
 * `projectTexts` gives the dbt_project.yml files' text (see `dbtProjectFiles`). Where it is not
 * known, every file of the project that any kind of folder would read is listed, never fewer.
 */
export const discoverDbtProjects = (
  paths: readonly string[],
  config: RepoConfig,
  projectTexts?: DbtProjectTexts,
): DbtProject[] => {
  const keep = createPathFilter(config);
  const all = [...new Set(paths.map(normalizePath))].filter(keep);
  const present = new Set(all);
  const textOf =
    typeof projectTexts === "function" ? projectTexts : (path: string) => projectTexts?.get(path);
  const projects = new Map<string, DbtProject>();
  const claims: Claim[] = [];
  for (const root of rootsOf(all, config)) {
    const file = joinPath(root, "dbt_project.yml");
    const projectFile = present.has(file) ? file : undefined;
    const project: DbtProject = { root, ...(projectFile ? { projectFile } : {}), files: [] };
    projects.set(root, project);
    const text = projectFile ? textOf(projectFile) : undefined;
    const parsed = text !== undefined && projectFile ? parseDbtProject(text, projectFile) : undefined;
    if (parsed && parsed.findings.length > 0) project.problems = parsed.findings;
    const layout: DbtProjectLayout = dbtProjectLayout(parsed ?? defaultDbtProjectConfig(root));
    claims.push({ dir: root, kind: projectFile && text === undefined ? "unknown" : "root", project });
    for (const folder of layout.folders)
      if (!(projectFile && text === undefined) || folder.kind === "output")
        claims.push({ ...folder, project });
  }
  // Deepest folder first; at equal depth a project's own folder before its root.
  claims.sort((a, b) => b.dir.length - a.dir.length || Number(a.kind === "root") - Number(b.kind === "root"));
  const rootsDeepestFirst = [...projects.keys()].sort((a, b) => b.length - a.length);
  for (const path of all) {
    const owner = rootsDeepestFirst.find((root) => isUnder(path, root));
    if (owner !== undefined) {
      const project = projects.get(owner)!;
      const relative = owner === "" ? path : path.slice(owner.length + 1);
      // Lineage reads the warehouse type of profiles.yml (beside the project, or in a folder of it
      // that DBT_PROFILES_DIR names, e.g. `profile/profiles.yml`).
      if (path === project.projectFile || /^(?:[^/]+\/)?profiles\.yml$/.test(relative)) {
        project.files.push(path);
        continue;
      }
    }
    const claim = claims.find((candidate) => isUnder(path, candidate.dir) && path !== candidate.dir);
    if (!claim) continue;
    const reads = claim.kind === "root" || claim.kind === "output" ? undefined : READ[claim.kind];
    if (reads?.(path)) claim.project.files.push(path);
  }
  return [...projects.values()]
    .map((project) => ({ ...project, files: [...new Set(project.files)].sort() }))
    .sort((a, b) => a.root.localeCompare(b.root));
};
