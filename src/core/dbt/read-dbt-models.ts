import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type YAMLMap } from "yaml";
import { basename, dirname } from "../config/path-filter.ts";
import { repositoryYamlProblem } from "../model/bounded-yaml.ts";
import type { Dialect } from "../model/contract-levels.ts";
import { compareByPosition, type Finding } from "../model/finding.ts";
import { normalizeType } from "../model/normalize-type.ts";
import type { Column, ForeignKey, SourceLocation, TableSchema, UniqueConstraint } from "../model/schema.ts";
import type { NormalizedType } from "../model/type-family.ts";
import {
  type DbtModelConfig,
  type DbtProjectConfig,
  dbtProjectLayout,
  defaultDbtProjectConfig,
  folderOf,
  mergeConfig,
  parseDbtProject,
  parseFinding,
  projectConfigFor,
  readConfigObject,
} from "./dbt-project.ts";
import type { DbtProject } from "./discover-dbt-projects.ts";
import { parseConfigCall, renderJinja } from "./render-jinja.ts";
import { type SelectList, selectColumns } from "./select-columns.ts";

/** The type of a column known only from the SQL select list: present, type not stated. */
export const UNKNOWN_DBT_TYPE: NormalizedType = { family: "other", base: "unknown", raw: "" };

export type ReadDbtModelsInput = {
  project: DbtProject;
  /** Path -> content for the files `discoverDbtProjects` listed (the project file included). */
  files: ReadonlyMap<string, string>;
  /**
   * The warehouse's dialect, for `data_type`. Without it, portable spellings (`integer`,
   * `string`, `timestamp`) compare by family only, since the adapter is not known.
   */
  dialect?: Dialect;
};

type Record_ = Record<string, unknown>;
const isRecord = (value: unknown): value is Record_ =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A YAML file with positions. */
type Yaml = { file: string; lineCounter: LineCounter };

const lineOf = (yaml: Yaml, node: unknown): number =>
  isNode(node) && node.range ? yaml.lineCounter.linePos(node.range[0]).line : 1;

const nodeOf = (map: unknown, key: string): unknown => (isMap(map) ? map.get(key, true) : undefined);

const jsOf = (node: unknown): unknown => (isNode(node) ? node.toJSON() : undefined);

/** The line of `key:` itself in a mapping (for a block value, the value starts on a later line). */
const keyLineOf = (yaml: Yaml, map: unknown, key: string): number | undefined => {
  if (!isMap(map)) return undefined;
  const pair = map.items.find((item) => isScalar(item.key) && item.key.value === key);
  return pair ? lineOf(yaml, pair.key) : undefined;
};

/** Where an accepted_values test lists its values: `values:` (also under dbt 1.10's `arguments:`). */
const acceptedValuesLine = (yaml: Yaml, column: unknown): number | undefined => {
  for (const list of [nodeOf(column, "tests"), nodeOf(column, "data_tests")]) {
    if (!isSeq(list)) continue;
    for (const test of list.items) {
      const args = nodeOf(test, "accepted_values");
      if (args === undefined) continue;
      return (
        keyLineOf(yaml, args, "values") ??
        keyLineOf(yaml, nodeOf(args, "arguments"), "values") ??
        keyLineOf(yaml, test, "accepted_values")
      );
    }
  }
  return undefined;
};

/** Where a YAML level sets `enabled` (under `config:`, or beside it before dbt 1.5). */
const enabledLineOf = (yaml: Yaml, node: unknown): number | undefined =>
  keyLineOf(yaml, nodeOf(node, "config"), "enabled") ??
  keyLineOf(yaml, nodeOf(node, "config"), "+enabled") ??
  keyLineOf(yaml, node, "enabled");

/** A column as the YAML declares it. */
type ColumnSpec = {
  name: string;
  dataType?: string;
  notNull: boolean;
  unique: boolean;
  primaryKey: boolean;
  foreignKeys: { dataset: string; columns: string[] }[];
  acceptedValues?: string[];
  acceptedValuesLocation?: SourceLocation;
  classification?: string;
  location: SourceLocation;
};

/** A model (or one version of it) as the YAML declares it. */
type ModelSpec = {
  name: string;
  yaml: Yaml;
  node: YAMLMap;
  columns: ColumnSpec[];
  config: DbtModelConfig;
  constraints: ConstraintSpec[];
  deprecationDate?: string;
  location: SourceLocation;
  /** The `columns:` key, or the entry's name when it has none. */
  columnsAt: SourceLocation;
  /** Where the entry sets `enabled`, if it does. */
  enabledAt?: SourceLocation;
};

type ConstraintSpec = {
  type: string;
  columns: string[];
  to?: string;
  toColumns?: string[];
  location: SourceLocation;
};

/** `ref('customers')` -> customers, `source('shop', 'orders')` -> shop.orders, else as written. */
const relationName = (text: string): string => {
  const args = [...text.matchAll(/(['"])((?:(?!\1).)*)\1/g)].map((m) => m[2] ?? "");
  if (/^\s*ref\s*\(/.test(text)) return args[args.length - 1] ?? text;
  if (/^\s*source\s*\(/.test(text)) return args.slice(0, 2).join(".");
  return text.trim();
};

const readConstraint = (
  raw: unknown,
  location: SourceLocation,
  column?: string,
): ConstraintSpec | undefined => {
  if (!isRecord(raw) || typeof raw.type !== "string") return undefined;
  const columns = Array.isArray(raw.columns) ? raw.columns.map(String) : column ? [column] : [];
  const spec: ConstraintSpec = { type: raw.type.toLowerCase(), columns, location };
  if (typeof raw.to === "string") spec.to = relationName(raw.to);
  if (Array.isArray(raw.to_columns)) spec.toColumns = raw.to_columns.map(String);
  // Before dbt 1.9 a foreign key was only an expression: `customers (id)`.
  const expression =
    typeof raw.expression === "string" ? /^\s*([\w."]+)\s*\(([^)]*)\)\s*$/.exec(raw.expression) : null;
  if (spec.type === "foreign_key" && !spec.to && expression) {
    spec.to = expression[1]!.replace(/"/g, "");
    spec.toColumns = expression[2]!.split(",").map((part) => part.trim().replace(/"/g, ""));
  }
  return spec;
};

/** A generic test as a name and its arguments: `unique`, `{accepted_values: {values}}`, dbt 1.10's `arguments:`. */
const readTest = (raw: unknown): { name: string; args: Record_ } | undefined => {
  if (typeof raw === "string") return { name: raw, args: {} };
  if (!isRecord(raw)) return undefined;
  const [name, value] = Object.entries(raw)[0] ?? [];
  if (!name) return undefined;
  const args = isRecord(value) ? value : {};
  return { name, args: isRecord(args.arguments) ? { ...args, ...args.arguments } : args };
};

const PII_WORDS = new Set(["pii", "personal", "sensitive", "confidential", "restricted"]);

/** dbt has no standard for PII: accept the common spellings in `meta` and `tags`. */
const classificationOf = (raw: Record_): string | undefined => {
  const config = isRecord(raw.config) ? raw.config : {};
  const meta = { ...(isRecord(raw.meta) ? raw.meta : {}), ...(isRecord(config.meta) ? config.meta : {}) };
  for (const key of ["classification", "data_classification", "sensitivity"]) {
    if (typeof meta[key] === "string") return (meta[key] as string).toLowerCase();
  }
  if (meta.pii === true || meta.contains_pii === true || meta.is_pii === true) return "pii";
  const tags = [raw.tags, config.tags].flatMap((tags) =>
    Array.isArray(tags) ? tags : typeof tags === "string" ? [tags] : [],
  );
  const tag = tags.map((t) => String(t).toLowerCase()).find((t) => PII_WORDS.has(t));
  return tag;
};

const readColumn = (yaml: Yaml, node: unknown, findings: Finding[]): ColumnSpec | undefined => {
  const raw = jsOf(node);
  if (!isRecord(raw)) return undefined;
  if (typeof raw.name !== "string") {
    findings.push(
      parseFinding(
        yaml.file,
        lineOf(yaml, node),
        "a column entry has no name",
        "Give every entry of `columns` a `name`.",
      ),
    );
    return undefined;
  }
  const location = { file: yaml.file, line: lineOf(yaml, nodeOf(node, "name")) };
  const spec: ColumnSpec = {
    name: raw.name,
    notNull: false,
    unique: false,
    primaryKey: false,
    foreignKeys: [],
    location,
  };
  if (typeof raw.data_type === "string" && raw.data_type.trim() !== "") spec.dataType = raw.data_type;
  for (const constraint of Array.isArray(raw.constraints) ? raw.constraints : []) {
    const c = readConstraint(constraint, location, raw.name);
    if (c?.type === "not_null") spec.notNull = true;
    if (c?.type === "unique") spec.unique = true;
    if (c?.type === "primary_key") spec.primaryKey = true;
    if (c?.type === "foreign_key" && c.to)
      spec.foreignKeys.push({ dataset: c.to, columns: c.toColumns ?? [] });
  }
  for (const test of [raw.tests, raw.data_tests].flatMap((list) => (Array.isArray(list) ? list : []))) {
    const t = readTest(test);
    if (t?.name === "not_null") spec.notNull = true;
    if (t?.name === "unique") spec.unique = true;
    if (t?.name === "accepted_values" && Array.isArray(t.args.values)) {
      spec.acceptedValues = t.args.values.map(String);
      const line = acceptedValuesLine(yaml, node);
      if (line !== undefined) spec.acceptedValuesLocation = { file: yaml.file, line };
    }
    if (t?.name === "relationships" && typeof t.args.to === "string") {
      const field = typeof t.args.field === "string" ? [t.args.field] : [];
      spec.foreignKeys.push({ dataset: relationName(t.args.to), columns: field });
    }
  }
  const classification = classificationOf(raw);
  if (classification) spec.classification = classification;
  return spec;
};

const readColumns = (yaml: Yaml, seq: unknown, findings: Finding[]): ColumnSpec[] =>
  isSeq(seq) ? seq.items.flatMap((item) => readColumn(yaml, item, findings) ?? []) : [];

const readModelSpec = (yaml: Yaml, node: YAMLMap, name: string, findings: Finding[]): ModelSpec => {
  const raw = jsOf(node) as Record_;
  const location = { file: yaml.file, line: lineOf(yaml, nodeOf(node, "name")) };
  const constraintsNode = nodeOf(node, "constraints");
  const constraints = isSeq(constraintsNode)
    ? constraintsNode.items.flatMap(
        (item) => readConstraint(jsOf(item), { file: yaml.file, line: lineOf(yaml, item) }) ?? [],
      )
    : [];
  const config = mergeConfig(
    readConfigObject(isRecord(raw.config) ? raw.config : {}),
    // Before dbt 1.5 `enabled` could sit beside `config`.
    typeof raw.enabled === "boolean" ? { enabled: raw.enabled } : {},
  );
  const enabledLine = enabledLineOf(yaml, node);
  return {
    name,
    yaml,
    node,
    columns: readColumns(yaml, nodeOf(node, "columns"), findings),
    config,
    constraints,
    columnsAt: { file: yaml.file, line: keyLineOf(yaml, node, "columns") ?? location.line },
    ...(enabledLine !== undefined ? { enabledAt: { file: yaml.file, line: enabledLine } } : {}),
    ...(raw.deprecation_date !== undefined && raw.deprecation_date !== null
      ? { deprecationDate: String(raw.deprecation_date) }
      : {}),
    location,
  };
};

/** A version's columns: the model's, filtered by `include`/`exclude`, overridden or extended by its own. */
const versionColumns = (
  yaml: Yaml,
  model: ModelSpec,
  versionNode: unknown,
  findings: Finding[],
): ColumnSpec[] => {
  const seq = nodeOf(versionNode, "columns");
  if (!isSeq(seq)) return model.columns;
  let include: "all" | string[] = "all";
  let exclude: string[] = [];
  const own: ColumnSpec[] = [];
  for (const item of seq.items) {
    const raw = jsOf(item);
    if (isRecord(raw) && ("include" in raw || "exclude" in raw)) {
      if (Array.isArray(raw.include)) include = raw.include.map(String);
      if (Array.isArray(raw.exclude)) exclude = raw.exclude.map(String);
      continue;
    }
    const column = readColumn(yaml, item, findings);
    if (column) own.push(column);
  }
  const inherited = model.columns.filter(
    (column) => (include === "all" || include.includes(column.name)) && !exclude.includes(column.name),
  );
  const ownNames = new Set(own.map((column) => column.name.toLowerCase()));
  const kept = inherited.filter((column) => !ownNames.has(column.name.toLowerCase()));
  return [...kept, ...own];
};

type CodeFile = { path: string; name: string; folders: string[]; content: string };

type ModelSql = {
  config: DbtModelConfig;
  select?: SelectList;
  file: string;
  /** The line of `enabled=` in a `config()` call, when the SQL sets it. */
  enabledLine?: number;
};

const enabledLineInSql = (content: string): number | undefined => {
  const match = /\benabled\s*=/.exec(content);
  return match ? content.slice(0, match.index).split("\n").length : undefined;
};

const readModelSql = (code: CodeFile, findings: Finding[]): ModelSql => {
  if (code.path.endsWith(".py")) return { config: {}, file: code.path };
  const rendered = renderJinja(code.content);
  const config = mergeConfig(...rendered.configs.map(parseConfigCall));
  const enabledLine = config.enabled === undefined ? undefined : enabledLineInSql(code.content);
  const base = { config, file: code.path, ...(enabledLine !== undefined ? { enabledLine } : {}) };
  if (rendered.unterminatedAt !== undefined) {
    findings.push(
      parseFinding(
        code.path,
        rendered.unterminatedAt,
        `unterminated Jinja tag in model ${code.name}`,
        "Close the tag; the model's columns are treated as unknown.",
      ),
    );
    return { ...base, select: { columns: [], known: false } };
  }
  const select = selectColumns(rendered.sql);
  if (select.error) {
    findings.push(
      parseFinding(
        code.path,
        select.error.line,
        `could not read the columns of model ${code.name}: ${select.error.message}`,
        "Columns declared in a schema .yml file are still used; declare the others there (with data_type) to have them checked.",
      ),
    );
  }
  return { ...base, select };
};

const toColumn = (spec: ColumnSpec, nullable: boolean, dialect: Dialect | undefined): Column => ({
  name: spec.name,
  type: spec.dataType ? normalizeType(spec.dataType, dialect) : UNKNOWN_DBT_TYPE,
  nullable,
  ...(spec.acceptedValues ? { acceptedValues: spec.acceptedValues } : {}),
  ...(spec.acceptedValuesLocation ? { acceptedValuesLocation: spec.acceptedValuesLocation } : {}),
  ...(spec.classification ? { classification: spec.classification } : {}),
  location: spec.location,
});

/**
 * Builds one dataset. Columns declared in YAML come first with their types and constraints;
 * columns only the SQL selects are appended with `UNKNOWN_DBT_TYPE` (family `other`) and are
 * nullable. The column list counts as complete when the SQL's select list is fully known or when
 * dbt enforces the YAML contract (dbt then refuses to build a model whose columns differ).
 */
const buildDataset = (args: {
  name: string;
  spec?: ModelSpec;
  columns: ColumnSpec[];
  sql?: ModelSql;
  config: DbtModelConfig;
  version?: string;
  deprecationDate?: string;
  location: SourceLocation;
  /** The YAML `columns:` key the model's columns are declared under. */
  columnsAt?: SourceLocation;
  /** Where the level of config that decides `enabled` sets it. */
  enabledAt?: SourceLocation;
  project: string;
  dialect: Dialect | undefined;
  findings: Finding[];
}): TableSchema => {
  const { name, spec, columns: specs, sql, config, dialect } = args;
  const constraints = spec?.constraints ?? [];
  const modelLevel = (type: string) => constraints.filter((constraint) => constraint.type === type);
  const required = new Set(
    [...modelLevel("not_null"), ...modelLevel("primary_key")]
      .flatMap((c) => c.columns)
      .map((c) => c.toLowerCase()),
  );
  const contractEnforced = config.contractEnforced ?? false;
  const columns = specs.map((column) =>
    toColumn(
      column,
      !(column.notNull || column.primaryKey || required.has(column.name.toLowerCase())),
      dialect,
    ),
  );
  if (contractEnforced) {
    for (const column of specs.filter((c) => !c.dataType)) {
      args.findings.push({
        rule: "dbt-contract-incomplete",
        severity: "warning",
        file: column.location.file,
        line: column.location.line,
        message: `column ${name}.${column.name} has no data_type, but the model's contract is enforced: dbt will refuse to build it`,
        help: "Add `data_type` to the column.",
      });
    }
  }
  const declared = new Set(columns.map((column) => column.name.toLowerCase()));
  for (const column of sql?.select?.columns ?? []) {
    if (declared.has(column.name.toLowerCase())) continue;
    declared.add(column.name.toLowerCase());
    columns.push({
      name: column.name,
      type: UNKNOWN_DBT_TYPE,
      nullable: true,
      undeclared: true,
      location: { file: sql!.file, line: column.line },
    });
  }
  const pkConstraint = modelLevel("primary_key")[0];
  const pkColumns = pkConstraint
    ? pkConstraint.columns
    : specs.filter((c) => c.primaryKey).map((c) => c.name);
  const pkLocation = pkConstraint?.location ?? specs.find((c) => c.primaryKey)?.location;
  const uniques: UniqueConstraint[] = [
    ...modelLevel("unique").map((c) => ({ columns: c.columns, location: c.location })),
    ...specs.filter((c) => c.unique).map((c) => ({ columns: [c.name], location: c.location })),
  ];
  const foreignKeys: ForeignKey[] = [
    ...modelLevel("foreign_key").flatMap((c) =>
      c.to
        ? [
            {
              columns: c.columns,
              references: { dataset: c.to, columns: c.toColumns ?? [] },
              location: c.location,
            },
          ]
        : [],
    ),
    ...specs.flatMap((c) =>
      c.foreignKeys.map((fk) => ({ columns: [c.name], references: fk, location: c.location })),
    ),
  ];
  const columnsKnown = (contractEnforced && specs.length > 0) || (sql?.select?.known ?? false);
  return {
    name,
    kind: "dbt_model",
    columns,
    columnsKnown,
    ...(pkColumns.length > 0
      ? { primaryKey: { columns: pkColumns, ...(pkLocation ? { location: pkLocation } : {}) } }
      : {}),
    uniques,
    foreignKeys,
    location: args.location,
    dbt: {
      contractEnforced,
      materialized: config.materialized ?? "view",
      ...(args.version !== undefined ? { version: args.version } : {}),
      ...(args.deprecationDate !== undefined ? { deprecationDate: args.deprecationDate } : {}),
      enabled: config.enabled ?? true,
      ...(config.enabled === false && args.enabledAt ? { disabledAt: args.enabledAt } : {}),
      project: args.project,
      ...(args.columnsAt ? { columnsAt: args.columnsAt } : {}),
    },
  };
};

const readYamlModels = (file: string, text: string, findings: Finding[]): ModelSpec[] => {
  const lineCounter = new LineCounter();
  const tooDeep = repositoryYamlProblem(text);
  if (tooDeep) {
    findings.push(
      parseFinding(
        file,
        tooDeep.line,
        `YAML does not parse: ${tooDeep.message}`,
        "Fix the YAML; the models it describes are read from their SQL only.",
      ),
    );
    return [];
  }
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const yaml: Yaml = { file, lineCounter };
  if (doc.errors.length > 0) {
    const error = doc.errors[0]!;
    findings.push(
      parseFinding(
        file,
        lineCounter.linePos(error.pos[0]).line,
        `YAML does not parse: ${error.message.split("\n")[0]}`,
        "Fix the YAML; the models it describes are read from their SQL only.",
      ),
    );
    return [];
  }
  const models = nodeOf(doc.contents, "models");
  if (models === undefined || models === null) return [];
  if (!isSeq(models)) {
    findings.push(
      parseFinding(
        file,
        lineOf(yaml, models),
        "`models:` must be a list of models",
        "Write `models:` as a YAML list (`- name: …`).",
      ),
    );
    return [];
  }
  const specs: ModelSpec[] = [];
  for (const item of models.items) {
    const nameNode = nodeOf(item, "name");
    if (!isMap(item) || !isScalar(nameNode) || typeof nameNode.value !== "string") {
      findings.push(
        parseFinding(
          file,
          lineOf(yaml, item),
          "a model entry has no name",
          "Give every entry of `models:` a `name`.",
        ),
      );
      continue;
    }
    specs.push(readModelSpec(yaml, item, nameNode.value, findings));
  }
  return specs;
};

/**
 * The models of one dbt project as datasets: one per model, one per version of a versioned
 * model (named `<model>_v<v>`, as dbt names its relations). Disabled models are returned with
 * `dbt.enabled: false` so the diff can tell a disabled model from a deleted one. Config follows
 * dbt's precedence: `config()` in the SQL > YAML (version > model) > dbt_project.yml. Problems are
 * findings (`dbt-parse-error`); this never throws.
 */
export const readDbtModels = ({
  project,
  files,
  dialect,
}: ReadDbtModelsInput): { datasets: TableSchema[]; findings: Finding[] } => {
  const findings: Finding[] = [];
  const projectText = project.projectFile ? files.get(project.projectFile) : undefined;
  const projectConfig: DbtProjectConfig =
    projectText !== undefined && project.projectFile
      ? parseDbtProject(projectText, project.projectFile)
      : defaultDbtProjectConfig(project.root);
  findings.push(...projectConfig.findings);
  const modelRoots = projectConfig.folders.model;
  const layout = dbtProjectLayout(projectConfig);

  const code = new Map<string, CodeFile>();
  const specs: ModelSpec[] = [];
  for (const [path, content] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    const folder = path === project.projectFile ? undefined : folderOf(layout, path);
    if (folder?.kind !== "model") continue;
    const modelRoot = folder.dir;
    if (/\.(sql|py)$/i.test(path)) {
      const name = basename(path).replace(/\.(sql|py)$/i, "");
      const folders = dirname(path).slice(modelRoot.length).split("/").filter(Boolean);
      const existing = code.get(name);
      if (existing) {
        findings.push(
          parseFinding(
            path,
            1,
            `model ${name} is defined twice (also in ${existing.path}); dbt refuses to compile this`,
            "Rename one of the files.",
          ),
        );
        continue;
      }
      code.set(name, { path, name, folders, content });
    } else if (/\.ya?ml$/i.test(path)) {
      specs.push(...readYamlModels(path, content, findings));
    }
  }

  const datasets: TableSchema[] = [];
  const used = new Set<string>();
  const sqlCache = new Map<string, ModelSql>();
  const sqlOf = (file: CodeFile): ModelSql => {
    const cached = sqlCache.get(file.path) ?? readModelSql(file, findings);
    sqlCache.set(file.path, cached);
    return cached;
  };
  const configOf = (
    file: CodeFile | undefined,
    name: string,
    ...yamlLevels: DbtModelConfig[]
  ): DbtModelConfig =>
    mergeConfig(
      projectConfigFor(projectConfig, file?.folders ?? [], file?.name ?? name),
      ...yamlLevels,
      file ? sqlOf(file).config : {},
    );
  /**
   * Where the level that decides `enabled` sets it, following the precedence of `configOf`:
   * the SQL's `config()`, then the YAML levels (last wins), then dbt_project.yml.
   */
  const enabledAtOf = (
    file: CodeFile | undefined,
    ...yamlLevels: Array<{ config: DbtModelConfig; at?: SourceLocation | undefined }>
  ): SourceLocation | undefined => {
    const sql = file ? sqlOf(file) : undefined;
    if (file && sql?.config.enabled !== undefined) return { file: file.path, line: sql.enabledLine ?? 1 };
    for (const level of [...yamlLevels].reverse()) {
      if (level.config.enabled !== undefined) return level.at;
    }
    if (project.projectFile === undefined || projectText === undefined) return undefined;
    const match = /\+?enabled\s*:\s*false\b/i.exec(projectText);
    const line = match ? projectText.slice(0, match.index).split("\n").length : 1;
    return { file: project.projectFile, line };
  };
  const seenSpecs = new Set<string>();

  for (const spec of specs) {
    if (seenSpecs.has(spec.name)) {
      findings.push(
        parseFinding(
          spec.location.file,
          spec.location.line,
          `model ${spec.name} is described twice in YAML; the first description is used`,
          "Keep one entry per model.",
        ),
      );
      continue;
    }
    seenSpecs.add(spec.name);
    const versions = nodeOf(spec.node, "versions");
    if (isSeq(versions) && versions.items.length > 0) {
      const all = versions.items.map((item) => jsOf(item));
      const numbers = all.map((raw) => (isRecord(raw) ? raw.v : undefined));
      const latestRaw = jsOf(nodeOf(spec.node, "latest_version"));
      const latest =
        latestRaw !== undefined
          ? String(latestRaw)
          : String([...numbers].sort((a, b) => Number(b) - Number(a))[0]);
      versions.items.forEach((item, index) => {
        const raw = all[index];
        if (!isRecord(raw) || raw.v === undefined || raw.v === null) {
          findings.push(
            parseFinding(
              spec.yaml.file,
              lineOf(spec.yaml, item),
              `a version of model ${spec.name} has no \`v\``,
              "Give every version a `v`.",
            ),
          );
          return;
        }
        const v = String(raw.v);
        const definedIn = typeof raw.defined_in === "string" ? raw.defined_in : `${spec.name}_v${v}`;
        const file =
          code.get(definedIn) ??
          (v === latest && !code.has(`${spec.name}_v${v}`) ? code.get(spec.name) : undefined);
        if (file) used.add(file.name);
        const versionConfig = readConfigObject(isRecord(raw.config) ? raw.config : {});
        const deprecation = raw.deprecation_date ?? spec.deprecationDate;
        datasets.push(
          buildDataset({
            name: `${spec.name}_v${v}`,
            spec,
            columns: versionColumns(spec.yaml, spec, item, findings),
            ...(file ? { sql: sqlOf(file) } : {}),
            config: configOf(file, spec.name, spec.config, versionConfig),
            enabledAt: enabledAtOf(
              file,
              { config: spec.config, at: spec.enabledAt },
              {
                config: versionConfig,
                at: { file: spec.yaml.file, line: enabledLineOf(spec.yaml, item) ?? lineOf(spec.yaml, item) },
              },
            ),
            columnsAt: isSeq(nodeOf(item, "columns"))
              ? { file: spec.yaml.file, line: keyLineOf(spec.yaml, item, "columns") ?? 1 }
              : spec.columnsAt,
            project: project.root,
            version: v,
            ...(deprecation !== undefined && deprecation !== null
              ? { deprecationDate: String(deprecation) }
              : {}),
            location: file
              ? { file: file.path, line: 1 }
              : { file: spec.yaml.file, line: lineOf(spec.yaml, item) },
            dialect,
            findings,
          }),
        );
      });
      // `ref('dim_customers')` resolves to the latest version: a contract on the model's own name
      // promises what that reference returns, so moving latest_version changes it.
      const latestDataset = datasets.find(
        (dataset) => dataset.dbt?.version === latest && dataset.name === `${spec.name}_v${latest}`,
      );
      if (latestDataset && (!code.has(spec.name) || used.has(spec.name)))
        datasets.push({ ...latestDataset, name: spec.name });
      continue;
    }
    const file = code.get(spec.name);
    if (!file) {
      findings.push(
        parseFinding(
          spec.location.file,
          spec.location.line,
          `YAML describes model ${spec.name}, but no ${spec.name}.sql exists under ${modelRoots.join(", ")}`,
          "Rename the entry to match the model file, or remove it.",
        ),
      );
      continue;
    }
    used.add(file.name);
    datasets.push(
      buildDataset({
        name: spec.name,
        spec,
        columns: spec.columns,
        sql: sqlOf(file),
        config: configOf(file, spec.name, spec.config),
        enabledAt: enabledAtOf(file, { config: spec.config, at: spec.enabledAt }),
        columnsAt: spec.columnsAt,
        project: project.root,
        ...(spec.deprecationDate !== undefined ? { deprecationDate: spec.deprecationDate } : {}),
        location: { file: file.path, line: 1 },
        dialect,
        findings,
      }),
    );
  }
  for (const file of code.values()) {
    if (used.has(file.name)) continue;
    datasets.push(
      buildDataset({
        name: file.name,
        columns: [],
        sql: sqlOf(file),
        config: configOf(file, file.name),
        enabledAt: enabledAtOf(file),
        project: project.root,
        location: { file: file.path, line: 1 },
        dialect,
        findings,
      }),
    );
  }
  return {
    datasets: datasets.sort((a, b) => a.name.localeCompare(b.name)),
    findings: findings.sort(compareByPosition),
  };
};
