import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { DEFAULT_REPO_CONFIG } from "../core/config/default-repo-config.ts";
import type { RepoConfig } from "../core/config/repo-config.ts";
import { discoverDbtProjects } from "../core/dbt/discover-dbt-projects.ts";
import { CovenantError } from "../core/errors.ts";
import { discoverMigrations, resolveMigrationSets } from "../core/migrations/discover-migrations.ts";
import { extractMigrationUp } from "../core/migrations/extract-migration-up.ts";
import { naturalCompare } from "../core/migrations/natural-compare.ts";
import type { Dialect } from "../core/model/contract-levels.ts";
import type { Finding } from "../core/model/finding.ts";
import { emptySchemaState, type SchemaState } from "../core/model/schema.ts";
import { replay } from "../core/sql/replay.ts";

const SKIP = new Set(["node_modules", ".git"]);

/**
 * The files under `dir`, each as `prefix` + its "/"-separated path below `dir`. Built by appending
 * names, not by `path.relative` per file: on a history of a few hundred files that cost more than
 * the walk itself.
 */
const walk = (dir: string, prefix: string, out: string[]): void => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    if (entry.isDirectory()) walk(join(dir, entry.name), `${prefix}${entry.name}/`, out);
    else if (entry.isFile()) out.push(`${prefix}${entry.name}`);
  }
};

const toPosix = (path: string): string => path.split(sep).join("/");

export type LoadedSchema = {
  state: SchemaState;
  findings: Finding[];
  dialects: Map<string, Dialect | "dbt">;
};

/**
 * Replays files and directories from disk into one schema: a file is replayed as given (in the
 * order given); a directory is searched for migration histories and dbt projects.
 */
export const loadSchemaFromPaths = async (
  cwd: string,
  inputs: readonly string[],
  dialect: Dialect | undefined,
): Promise<LoadedSchema> => {
  const state = emptySchemaState();
  const findings: Finding[] = [];
  const dialects = new Map<string, Dialect | "dbt">();
  const read = (path: string): string => readFileSync(resolve(cwd, path), "utf8");
  const merge = (from: SchemaState, d: Dialect | "dbt") => {
    for (const [name, dataset] of from.datasets) {
      state.datasets.set(name, dataset);
      dialects.set(name, d);
    }
    for (const [name, value] of from.enums) state.enums.set(name, value);
  };
  const looseFiles: string[] = [];
  for (const input of inputs) {
    let stats: ReturnType<typeof statSync>;
    try {
      stats = statSync(resolve(cwd, input));
    } catch {
      throw new CovenantError("invalid_input", `no such file or directory: ${input}`);
    }
    if (stats.isFile()) {
      looseFiles.push(input);
      continue;
    }
    const root = toPosix(relative(cwd, resolve(cwd, input))) || ".";
    const paths: string[] = [];
    walk(resolve(cwd, input), root === "." ? "" : `${root}/`, paths);
    const config: RepoConfig = dialect
      ? { ...DEFAULT_REPO_CONFIG, migrations: [{ path: root, dialect }] }
      : DEFAULT_REPO_CONFIG;
    const contents = new Map<string, string>();
    const source = (path: string) => {
      if (!contents.has(path)) contents.set(path, read(path));
      return contents.get(path);
    };
    const sets = resolveMigrationSets(discoverMigrations(paths, config), source);
    const projects = discoverDbtProjects(paths, config, source);
    if (sets.length === 0 && projects.length === 0) {
      looseFiles.push(...paths.filter((p) => p.toLowerCase().endsWith(".sql")).sort(naturalCompare));
    }
    for (const set of sets) {
      const result = await replay({
        files: set.files.map((path) => ({ path, content: extractMigrationUp(source(path) ?? "", set.tool) })),
        dialect: set.dialect,
      });
      merge(result.state, set.dialect);
      findings.push(...result.findings, ...(set.findings ?? []));
    }
    // dbt's reader (and the YAML parser it needs) loads only for a folder that holds a dbt project.
    if (projects.length > 0) {
      const { readDbtModels } = await import("../core/dbt/read-dbt-models.ts");
      for (const project of projects) {
        const files = new Map(project.files.map((path) => [path, source(path) ?? ""] as const));
        const result = readDbtModels({ project, files, ...(dialect ? { dialect } : {}) });
        const dbtState = emptySchemaState();
        for (const dataset of result.datasets) dbtState.datasets.set(dataset.name, dataset);
        merge(dbtState, "dbt");
        findings.push(...result.findings);
      }
    }
  }
  if (looseFiles.length > 0) {
    const result = await replay({
      files: looseFiles.map((path) => ({ path, content: extractMigrationUp(read(path)) })),
      dialect: dialect ?? "postgres",
    });
    merge(result.state, dialect ?? "postgres");
    findings.push(...result.findings);
  }
  return { state, findings, dialects };
};
