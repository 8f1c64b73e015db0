import { LineCounter, parseDocument } from "yaml";
import { repositoryYamlProblem } from "../model/bounded-yaml.ts";
import type { Finding } from "../model/finding.ts";

export type DbtProjectConfig = {
  name?: string;
  /** Directories holding models, relative to the project root; dbt's default is `models`. */
  modelPaths: string[];
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

/** Reads `dbt_project.yml`; never throws: a broken file gives dbt's defaults and a finding. */
export const parseDbtProject = (text: string, file: string): DbtProjectConfig => {
  const lineCounter = new LineCounter();
  const fallback: DbtProjectConfig = { modelPaths: ["models"], vars: {}, models: {}, findings: [] };
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
  const paths = value["model-paths"] ?? value["source-paths"];
  const modelPaths =
    Array.isArray(paths) && paths.every((path) => typeof path === "string")
      ? (paths as string[])
      : ["models"];
  return {
    ...(typeof value.name === "string" ? { name: value.name } : {}),
    modelPaths: modelPaths.map((path) => path.replace(/^\.\//, "").replace(/\/+$/, "")),
    vars: isRecord(value.vars) ? value.vars : {},
    models: isRecord(value.models) ? value.models : {},
    findings: [],
  };
};

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
