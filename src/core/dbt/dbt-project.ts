import { isNode, LineCounter, parseDocument } from "yaml";
import { dirname, isUnder, joinPath } from "../config/path-filter.ts";
import { repositoryYamlProblem } from "../model/bounded-yaml.ts";
import type { Finding } from "../model/finding.ts";

/** What a folder of a dbt project holds, as dbt_project.yml's `*-paths` say. */
export type DbtPathKind = "model" | "seed" | "macro" | "snapshot" | "analysis" | "test" | "docs" | "asset";

/**
 * dbt's folder settings and their defaults (dbt 1.x; `source-paths` and `data-paths` are the
 * names before 1.0). `data` stays a seed folder by default, as dbt before 1.0 had it.
 */
const PATH_SETTINGS: ReadonlyArray<{ kind: DbtPathKind; keys: string[]; defaults: string[] }> = [
  { kind: "model", keys: ["model-paths", "source-paths"], defaults: ["models"] },
  { kind: "seed", keys: ["seed-paths", "data-paths"], defaults: ["seeds", "data"] },
  { kind: "macro", keys: ["macro-paths"], defaults: ["macros"] },
  { kind: "snapshot", keys: ["snapshot-paths"], defaults: ["snapshots"] },
  { kind: "analysis", keys: ["analysis-paths"], defaults: ["analyses", "analysis"] },
  { kind: "test", keys: ["test-paths"], defaults: ["tests"] },
  { kind: "docs", keys: ["docs-paths"], defaults: [] },
  { kind: "asset", keys: ["asset-paths"], defaults: [] },
];

/** Single-folder settings whose folder holds dbt's output or installed packages: never read. */
const OUTPUT_SETTINGS: ReadonlyArray<{ key: string; fallback: string }> = [
  { key: "target-path", fallback: "target" },
  { key: "packages-install-path", fallback: "dbt_packages" },
  { key: "log-path", fallback: "logs" },
];

export type DbtProjectConfig = {
  name?: string;
  /**
   * Every folder setting as repository paths (`./models/` of a project in `analytics` is
   * `analytics/models`; `../shared` a folder beside the project). A setting that is not a list
   * of folders inside the repository keeps dbt's default, and says so in an error finding.
   */
  folders: Record<DbtPathKind, string[]>;
  /** dbt's output and package folders (`target-path`, `packages-install-path`, `log-path`). */
  outputFolders: string[];
  vars: Record<string, unknown>;
  /** The `models:` tree as written: project name -> folders -> `+config` keys. */
  models: Record<string, unknown>;
  findings: Finding[];
};

/** Settings Covenant takes from dbt's config hierarchy (project file, YAML, `config()`). */
export type DbtModelConfig = {
  materialized?: string;
  enabled?: boolean;
  contractEnforced?: boolean;
  meta?: Record<string, unknown>;
  tags?: string[];
  group?: string;
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export const parseFinding = (file: string, line: number, message: string, help?: string): Finding => ({
  rule: "dbt-parse-error",
  severity: "warning",
  file,
  line,
  message,
  ...(help ? { help } : {}),
});

const defaultFolders = (root: string): Record<DbtPathKind, string[]> =>
  Object.fromEntries(
    PATH_SETTINGS.map((setting) => [setting.kind, setting.defaults.map((dir) => joinPath(root, dir))]),
  ) as Record<DbtPathKind, string[]>;

/** dbt's defaults, for the project in `root` when its dbt_project.yml is missing or broken. */
export const defaultDbtProjectConfig = (root: string): DbtProjectConfig => ({
  folders: defaultFolders(root),
  outputFolders: OUTPUT_SETTINGS.map((setting) => joinPath(root, setting.fallback)),
  vars: {},
  models: {},
  findings: [],
});

/**
 * A folder as written in dbt_project.yml, as a repository path with `.` and `..` resolved ("" for
 * the repository root), or why it cannot be used: empty, absolute, or leaving the repository.
 * `root` is the project's directory in the repository.
 */
const resolveFolder = (root: string, written: string): { dir: string } | { problem: string } => {
  if (written.trim() === "") return { problem: "is an empty folder name" };
  if (/^(?:[A-Za-z]:)?[\\/]/.test(written) || written.startsWith("~"))
    return {
      problem: `is an absolute path (${JSON.stringify(written)}): dbt reads its folders relative to the project`,
    };
  const segments = root === "" ? [] : root.split("/");
  for (const segment of written.replace(/\\/g, "/").split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment !== "..") segments.push(segment);
    else if (segments.length > 0) segments.pop();
    else return { problem: `leaves the repository (${JSON.stringify(written)})` };
  }
  return { dir: segments.join("/") };
};

const PATH_HELP =
  'Write it as a list of folders relative to the project, inside the repository, e.g. `seed-paths: ["seeds"]`. Until then Covenant reads dbt\'s default folders and cannot vouch for the models it would miss.';

/**
 * Reads `dbt_project.yml`; never throws: a broken file gives dbt's defaults and a finding. A
 * folder setting that is not a list of folders inside the repository is an error finding at its
 * line (the setting keeps dbt's default meanwhile); `dbtProjectProblems` says which.
 */
export const parseDbtProject = (text: string, file: string): DbtProjectConfig => {
  const root = dirname(file);
  const lineCounter = new LineCounter();
  const fallback = defaultDbtProjectConfig(root);
  const tooDeep = repositoryYamlProblem(text);
  if (tooDeep) {
    fallback.findings.push(
      parseFinding(
        file,
        tooDeep.line,
        `dbt_project.yml does not parse: ${tooDeep.message}`,
        "Fix the YAML; models are read with dbt's defaults meanwhile.",
      ),
    );
    return fallback;
  }
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const error = doc.errors[0]!;
    const message = error.message.split("\n")[0] ?? error.message;
    fallback.findings.push(
      parseFinding(
        file,
        lineCounter.linePos(error.pos[0]).line,
        `dbt_project.yml does not parse: ${message}`,
        "Fix the YAML; models are read with dbt's defaults meanwhile.",
      ),
    );
    return fallback;
  }
  const value: unknown = doc.toJS();
  if (!isRecord(value)) return fallback;
  const findings: Finding[] = [];
  const lineOf = (key: string, index?: number): number => {
    const node: unknown = index === undefined ? doc.get(key, true) : doc.getIn([key, index], true);
    const pair = isNode(node) && node.range ? node.range[0] : undefined;
    return pair === undefined ? 1 : lineCounter.linePos(pair).line;
  };
  const pathProblem = (key: string, line: number, problem: string) =>
    findings.push({
      ...parseFinding(file, line, `\`${key}\` in ${file} ${problem}`, PATH_HELP),
      severity: "error",
    });
  const folders = defaultFolders(root);
  for (const setting of PATH_SETTINGS) {
    const key = setting.keys.find((name) => Object.hasOwn(value, name));
    if (key === undefined) continue;
    const written = value[key];
    if (!Array.isArray(written) || !written.every((item) => typeof item === "string")) {
      const what = Array.isArray(written)
        ? "has an entry that is not a folder name"
        : `is ${written === null ? "empty" : `a ${typeof written}`}, not a list of folders`;
      pathProblem(key, lineOf(key), what);
      continue;
    }
    const dirs: string[] = [];
    (written as string[]).forEach((item, index) => {
      const resolved = resolveFolder(root, item);
      if ("problem" in resolved) pathProblem(key, lineOf(key, index), resolved.problem);
      else dirs.push(resolved.dir);
    });
    if (dirs.length === (written as string[]).length) folders[setting.kind] = [...new Set(dirs)];
  }
  const outputFolders = OUTPUT_SETTINGS.map(({ key, fallback: dir }) => {
    const written = value[key];
    if (written === undefined) return joinPath(root, dir);
    const resolved =
      typeof written === "string" ? resolveFolder(root, written) : { problem: "is not a folder name" };
    if ("dir" in resolved) return resolved.dir;
    pathProblem(key, lineOf(key), resolved.problem);
    return joinPath(root, dir);
  });
  return {
    ...(typeof value.name === "string" ? { name: value.name } : {}),
    folders,
    outputFolders,
    vars: isRecord(value.vars) ? value.vars : {},
    models: isRecord(value.models) ? value.models : {},
    findings,
  };
};

/**
 * Where each kind of file of a project lies: a path's kind is that of the deepest folder holding
 * it (a `tests` folder set inside a model folder holds tests, not models); dbt's output and
 * package folders hold nothing to read.
 */
export type DbtProjectLayout = { folders: ReadonlyArray<{ dir: string; kind: DbtPathKind | "output" }> };

export const dbtProjectLayout = (config: DbtProjectConfig): DbtProjectLayout => ({
  folders: [
    ...config.outputFolders.map((dir) => ({ dir, kind: "output" as const })),
    ...PATH_SETTINGS.flatMap((setting) =>
      config.folders[setting.kind].map((dir) => ({ dir, kind: setting.kind })),
    ),
  ].sort((a, b) => b.dir.length - a.dir.length),
});

/** The folder of the layout a path lies in (the deepest), with its kind; undefined when none. */
export const folderOf = (
  layout: DbtProjectLayout,
  path: string,
): { dir: string; kind: DbtPathKind | "output" } | undefined =>
  layout.folders.find((folder) => isUnder(path, folder.dir) && path !== folder.dir);

/** Config keys that may be written without `+` in dbt_project.yml. */
const CONFIG_KEYS = new Set([
  "materialized",
  "enabled",
  "contract",
  "meta",
  "tags",
  "schema",
  "alias",
  "database",
  "docs",
  "persist_docs",
  "grants",
  "on_schema_change",
  "unique_key",
  "incremental_strategy",
  "access",
  "group",
]);

/** Turns one level of config (`materialized: table`, `contract: {enforced: true}`) into a DbtModelConfig. */
export const readConfigObject = (raw: Record<string, unknown>): DbtModelConfig => {
  const config: DbtModelConfig = {};
  for (const [key, value] of Object.entries(raw)) {
    const name = key.replace(/^\+/, "");
    if (name === "materialized" && typeof value === "string") config.materialized = value;
    if (name === "enabled" && typeof value === "boolean") config.enabled = value;
    if (name === "contract" && isRecord(value) && typeof value.enforced === "boolean")
      config.contractEnforced = value.enforced;
    if (name === "meta" && isRecord(value)) config.meta = value;
    if (name === "group" && typeof value === "string") config.group = value;
    if (name === "tags") config.tags = (Array.isArray(value) ? value : [value]).map(String);
  }
  return config;
};

export const mergeConfig = (...levels: DbtModelConfig[]): DbtModelConfig => {
  const merged: DbtModelConfig = {};
  for (const level of levels) {
    for (const [key, value] of Object.entries(level)) {
      if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
    }
  }
  return merged;
};

/**
 * The project-level config of one model, following dbt's resource path: `models:` ->
 * project name -> each folder below the model path -> the model's own name; deeper wins.
 */
export const projectConfigFor = (
  project: DbtProjectConfig,
  folders: string[],
  model: string,
): DbtModelConfig => {
  const levels: DbtModelConfig[] = [];
  const configsOf = (node: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(Object.entries(node).filter(([key]) => key.startsWith("+") || CONFIG_KEYS.has(key)));
  levels.push(readConfigObject(configsOf(project.models)));
  let node: unknown = project.name ? project.models[project.name] : undefined;
  for (const step of [...folders, model]) {
    if (!isRecord(node)) break;
    levels.push(readConfigObject(configsOf(node)));
    node = node[step];
  }
  if (isRecord(node)) levels.push(readConfigObject(configsOf(node)));
  return mergeConfig(...levels);
};
