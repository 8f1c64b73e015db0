import { parse as parseYaml } from "yaml";
import { basename, joinPath } from "../config/path-filter.ts";
import {
  type DbtModelConfig,
  dbtProjectLayout,
  defaultDbtProjectConfig,
  folderOf,
  parseDbtProject,
  parseFinding,
  projectConfigFor,
} from "../dbt/dbt-project.ts";
import type { DbtProject } from "../dbt/discover-dbt-projects.ts";
import type { DbtModelContext } from "../dbt/expand-dbt-model.ts";
import { macrosCalledBy, projectVars, readMacroDefinitions } from "../dbt/project-macros.ts";
import { parseConfigCall, renderJinja } from "../dbt/render-jinja.ts";
import { HEADER_BYTES, parseCsvHeader } from "../dbt/seed-header.ts";
import type { UnreadableFile } from "../files/repository-files.ts";
import { repositoryYamlProblem } from "../model/bounded-yaml.ts";
import type { Change } from "../model/change.ts";
import type { Finding } from "../model/finding.ts";

export type DbtNodeKind = "model" | "seed" | "snapshot" | "source" | "exposure";

/** A node of the dbt graph of one project, as its files describe it (nothing evaluated). */
export type DbtNode = {
  /** model/seed/snapshot: its name; source: `source:<source>.<table>`; exposure: `exposure:<name>`. */
  id: string;
  kind: DbtNodeKind;
  name: string;
  project: string;
  file?: string;
  line?: number;
  owners: string[];
  /** Sources: the relation they read, to meet the migrations' datasets. */
  relation?: { database?: string; schema: string; identifier: string };
  /** Columns the YAML declares, or a seed's CSV header. */
  columns?: string[];
  /** Seeds: the names of their CSV's header, every column dbt loads (absent: not known). */
  header?: string[];
  /** Models and snapshots: the SQL, Jinja included. */
  sql?: string;
  /** Upstream node ids (refs and sources), as written. */
  upstream: string[];
  /** Exposures: its type (dashboard, notebook, …) and URL. */
  exposure?: { type?: string; url?: string };
  contractEnforced?: boolean;
  /** The warehouse dialect of the project, from its profile or the repository configuration. */
  dialect?: string;
  /**
   * Models and snapshots: their output columns as the base snapshot resolved them (null: not
   * known), so a pull request's lineage parses only what is downstream of its changes.
   */
  outputColumns?: string[] | null;
  /** Models and snapshots: the project's macro definitions their SQL may call (see expandDbtModel). */
  macros?: string;
  /** Models and snapshots that call `var()`: the project's vars (with `--vars` over them). */
  vars?: Record<string, unknown>;
  /** Models whose Jinja reads dbt's `model` (or `config.get`): what the project's files say of it. */
  model?: DbtModelContext;
};

export type DbtGraph = { nodes: DbtNode[]; findings: Finding[] };

type Rec = Record<string, unknown>;
const isRecord = (value: unknown): value is Rec =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const asString = (value: unknown): string | undefined =>
  typeof value === "string" && value.trim() !== "" ? value : undefined;

export const sourceId = (source: string, table: string): string => `source:${source}.${table}`;
export const exposureId = (name: string): string => `exposure:${name}`;

const readYaml = (file: string, text: string, findings: Finding[]): Rec | undefined => {
  const problem = repositoryYamlProblem(text);
  if (problem) {
    findings.push(parseFinding(file, problem.line, `YAML does not parse: ${problem.message}`));
    return undefined;
  }
  try {
    const value: unknown = parseYaml(text, { uniqueKeys: false });
    return isRecord(value) ? value : undefined;
  } catch {
    // read-dbt-models reports YAML errors of model files; lineage only skips them.
    return undefined;
  }
};

/** `ref('a')`, `ref('pkg', 'a')`, `source('s', 't')` in a string (exposures' depends_on, tests' `to`). */
export const parseRefString = (text: string): string | undefined => {
  const args = [
    ...text.replace(/\b(v|version)\s*=\s*(['"]?)[^,)]*\2/g, "").matchAll(/(['"])((?:(?!\1).)*)\1/g),
  ].map((m) => m[2] ?? "");
  if (/^\s*ref\s*\(/.test(text)) return args[args.length - 1];
  if (/^\s*source\s*\(/.test(text) && args.length >= 2) return sourceId(args[0]!, args[1]!);
  return undefined;
};

const ownerText = (owner: unknown): string | undefined => {
  if (typeof owner === "string") return asString(owner);
  if (isRecord(owner)) return asString(owner.name) ?? asString(owner.email);
  return undefined;
};

const metaOwners = (...metas: unknown[]): string[] =>
  metas.flatMap((meta) => {
    if (!isRecord(meta)) return [];
    const owner = meta.owner ?? meta.owners ?? meta.team;
    return (Array.isArray(owner) ? owner : [owner]).flatMap((o) => ownerText(o) ?? []);
  });

const sqlOwner = (sql: string): string[] => {
  const match = /\bowner['"]?\s*[:=]\s*['"]([^'"]+)['"]/.exec(sql);
  return match ? [match[1]!] : [];
};

const sqlGroup = (sql: string): string | undefined => /\bgroup\s*=\s*['"]([\w-]+)['"]/.exec(sql)?.[1];

const lineOf = (text: string, pattern: RegExp): number | undefined => {
  const match = pattern.exec(text);
  return match ? text.slice(0, match.index).split("\n").length : undefined;
};

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The warehouse of a project: `profiles.yml` beside it (its default target's `type`), else undefined. */
const profileDialect = (projectValue: Rec, profiles: Rec | undefined): string | undefined => {
  const profileName = asString(projectValue.profile);
  const profile = profileName && profiles ? profiles[profileName] : undefined;
  if (!isRecord(profile) || !isRecord(profile.outputs)) return undefined;
  const target = asString(profile.target) ?? Object.keys(profile.outputs)[0];
  const output = target ? profile.outputs[target] : undefined;
  return isRecord(output) ? asString(output.type)?.toLowerCase() : undefined;
};

const upstreamOf = (sql: string): string[] => {
  const rendered = renderJinja(sql, { macroArgs: true });
  return [
    ...new Set([
      ...rendered.refs,
      ...rendered.sources.map((s) => {
        const [source, ...table] = s.split(".");
        return sourceId(source!, table.join("."));
      }),
    ]),
  ];
};

/**
 * The graph of one dbt project: models, seeds, snapshots, sources (with the relation they read),
 * exposures, their owners (`meta.owner`, `group`, exposures' `owner`) and their ref/source edges.
 */
export const readDbtGraph = ({
  project,
  files,
  dialect,
  vars: overrides,
}: {
  project: DbtProject;
  files: ReadonlyMap<string, string>;
  /** From the repository configuration; wins over the profile. */
  dialect?: string;
  /** Given on the command line (`--vars`, as `dbt run --vars`): they win over dbt_project.yml's. */
  vars?: Readonly<Record<string, unknown>>;
}): DbtGraph => {
  const findings: Finding[] = [];
  const projectText = project.projectFile ? files.get(project.projectFile) : undefined;
  const projectValue =
    projectText && project.projectFile ? readYaml(project.projectFile, projectText, []) : undefined;
  const projectConfig =
    projectText && project.projectFile ? parseDbtProject(projectText, project.projectFile) : undefined;
  const layout = dbtProjectLayout(projectConfig ?? defaultDbtProjectConfig(project.root));
  const kindOf = (path: string) => (path === project.projectFile ? undefined : folderOf(layout, path));
  const definitions = readMacroDefinitions(
    [...files].filter(([path]) => /\.sql$/i.test(path) && kindOf(path)?.kind === "macro"),
  );
  const vars = {
    ...(projectConfig ? projectVars(projectConfig.vars, projectConfig.name) : {}),
    ...overrides,
  };
  /** What a model's Jinja may need beyond its own text. */
  const jinjaOf = (sql: string): Pick<DbtNode, "macros" | "vars"> => {
    const macros = macrosCalledBy(sql, definitions);
    const withVars = /\bvar\s*\(/.test(sql) || (macros !== undefined && /\bvar\s*\(/.test(macros));
    return {
      ...(macros ? { macros } : {}),
      ...(withVars && Object.keys(vars).length > 0 ? { vars } : {}),
    };
  };
  // profiles.yml beside the project, else in one of its folders (where DBT_PROFILES_DIR points).
  const besides = joinPath(project.root, "profiles.yml");
  const profilesFile = files.has(besides)
    ? besides
    : [...files.keys()]
        .sort()
        .find(
          (path) =>
            path.startsWith(project.root === "" ? "" : `${project.root}/`) &&
            /^(?:[^/]+\/)?profiles\.yml$/.test(path.slice(project.root === "" ? 0 : project.root.length + 1)),
        );
  const profiles = profilesFile ? readYaml(profilesFile, files.get(profilesFile)!, []) : undefined;
  const projectDialect = dialect ?? (projectValue ? profileDialect(projectValue, profiles) : undefined);

  const nodes = new Map<string, DbtNode>();
  const groups = new Map<string, string[]>();
  const yamlModels = new Map<string, Rec>();
  const add = (node: DbtNode) => {
    if (!nodes.has(node.id)) nodes.set(node.id, node);
  };
  const base = (id: string, kind: DbtNodeKind, name: string) => ({
    id,
    kind,
    name,
    project: project.root,
    owners: [] as string[],
    upstream: [] as string[],
    ...(projectDialect ? { dialect: projectDialect } : {}),
  });

  const sorted = [...files].sort(([a], [b]) => a.localeCompare(b));
  // YAML first: sources, exposures, groups and model descriptions.
  for (const [path, text] of sorted) {
    if (!/\.ya?ml$/i.test(path) || path === project.projectFile || path === profilesFile) continue;
    const doc = readYaml(path, text, findings);
    if (!doc) continue;
    for (const group of asArray(doc.groups)) {
      if (!isRecord(group) || !asString(group.name)) continue;
      const owner = ownerText(group.owner);
      groups.set(String(group.name), owner ? [owner] : []);
    }
    for (const source of asArray(doc.sources)) {
      if (!isRecord(source) || !asString(source.name)) continue;
      const sourceName = String(source.name);
      for (const table of asArray(source.tables)) {
        if (!isRecord(table) || !asString(table.name)) continue;
        const tableName = String(table.name);
        const columns = asArray(table.columns).flatMap((c) =>
          isRecord(c) && asString(c.name) ? [String(c.name)] : [],
        );
        const database = asString(table.database) ?? asString(source.database);
        const owners = metaOwners(
          source.meta,
          table.meta,
          isRecord(source.config) ? source.config.meta : undefined,
        );
        add({
          ...base(sourceId(sourceName, tableName), "source", `${sourceName}.${tableName}`),
          file: path,
          line: lineOf(text, new RegExp(`name:\\s*['"]?${escapeRegExp(tableName)}['"]?\\s*$`, "m")) ?? 1,
          owners,
          relation: {
            ...(database ? { database } : {}),
            schema: asString(table.schema) ?? asString(source.schema) ?? sourceName,
            identifier: asString(table.identifier) ?? tableName,
          },
          ...(columns.length > 0 ? { columns } : {}),
        });
      }
    }
    for (const exposure of asArray(doc.exposures)) {
      if (!isRecord(exposure) || !asString(exposure.name)) continue;
      const name = String(exposure.name);
      const owner = ownerText(exposure.owner);
      add({
        ...base(exposureId(name), "exposure", name),
        file: path,
        line: lineOf(text, new RegExp(`name:\\s*['"]?${escapeRegExp(name)}['"]?\\s*$`, "m")) ?? 1,
        owners: owner ? [owner] : [],
        upstream: asArray(exposure.depends_on).flatMap((d) =>
          typeof d === "string" ? (parseRefString(d) ?? []) : [],
        ),
        exposure: {
          ...(asString(exposure.type) ? { type: String(exposure.type) } : {}),
          ...(asString(exposure.url) ? { url: String(exposure.url) } : {}),
        },
      });
    }
    for (const model of [...asArray(doc.models), ...asArray(doc.seeds), ...asArray(doc.snapshots)]) {
      if (isRecord(model) && asString(model.name))
        yamlModels.set(String(model.name), { ...model, __file: path });
    }
  }

  const ownersOf = (name: string, folders: string[], sql: string): string[] => {
    const yaml = yamlModels.get(name);
    const config = isRecord(yaml?.config) ? yaml.config : {};
    const fromProject = projectConfig ? projectConfigFor(projectConfig, folders, name) : {};
    const group = sqlGroup(sql) ?? asString(config.group) ?? asString(yaml?.group) ?? fromProject.group;
    return [
      ...new Set([
        ...sqlOwner(sql),
        ...metaOwners(yaml?.meta, config.meta, fromProject.meta),
        ...(group ? (groups.get(group) ?? []) : []),
      ]),
    ];
  };
  const yamlColumns = (name: string): string[] | undefined => {
    const columns = asArray(yamlModels.get(name)?.columns).flatMap((c) =>
      isRecord(c) && asString(c.name) ? [String(c.name)] : [],
    );
    return columns.length > 0 ? columns : undefined;
  };

  for (const [path, text] of sorted) {
    const folder = kindOf(path);
    if (folder?.kind === "model" && /\.sql$/i.test(path)) {
      const modelRoot = folder.dir;
      const name = basename(path).replace(/\.sql$/i, "");
      const folders = path.slice(modelRoot.length).split("/").filter(Boolean).slice(0, -1);
      const columns = yamlColumns(name);
      const yaml = yamlModels.get(name);
      const config = isRecord(yaml?.config) ? yaml.config : {};
      const contract = isRecord(config.contract)
        ? config.contract
        : isRecord(yaml?.contract)
          ? yaml.contract
          : {};
      const fromProject = projectConfig ? projectConfigFor(projectConfig, folders, name) : {};
      const usesModel =
        /\bmodel\s*[.[]|\bconfig\s*\.\s*get\b/.test(text) ||
        /\bmodel\s*[.[]|\bconfig\s*\.\s*get\b/.test(jinjaOf(text).macros ?? "");
      const enforced =
        /\bcontract\s*=\s*\{[^}]*['"]enforced['"]\s*:\s*true/i.test(text) ||
        contract.enforced === true ||
        (contract.enforced === undefined && fromProject.contractEnforced === true);
      add({
        ...base(name, "model", name),
        file: path,
        line: 1,
        owners: ownersOf(name, folders, text),
        sql: text,
        ...jinjaOf(text),
        upstream: upstreamOf(text),
        ...(columns ? { columns } : {}),
        ...(enforced ? { contractEnforced: true } : {}),
        ...(usesModel
          ? {
              model: modelContext({
                name,
                path,
                sql: text,
                yamlConfig: config,
                fromProject,
                root: project.root,
                ...(projectConfig?.name ? { packageName: projectConfig.name } : {}),
              }),
            }
          : {}),
      });
      continue;
    }
    if (folder?.kind === "snapshot" && /\.sql$/i.test(path)) {
      for (const match of text.matchAll(
        /\{%-?\s*snapshot\s+(\w+)\s*-?%\}([\s\S]*?)\{%-?\s*endsnapshot\s*-?%\}/g,
      )) {
        const name = match[1]!;
        const offset = match.index ?? 0;
        const line = text.slice(0, offset).split("\n").length;
        // Keep line numbers: the body starts where it stands in the file.
        const body = `${text.slice(0, offset + match[0].indexOf("%}") + 2).replace(/[^\n]/g, " ")}${match[2]}`;
        add({
          ...base(name, "snapshot", name),
          file: path,
          line,
          owners: ownersOf(name, [], body),
          sql: body,
          ...jinjaOf(body),
          upstream: upstreamOf(body),
        });
      }
    }
  }
  // Seeds: a CSV in the seed paths, its columns the names of its header (the readers keep only
  // that line); YAML adds owners, and the columns of a seed whose header is not known.
  for (const [path, text] of sorted) {
    if (!/\.csv$/i.test(path) || kindOf(path)?.kind !== "seed") continue;
    const name = basename(path).replace(/\.csv$/i, "");
    const header = parseCsvHeader(text);
    const columns = header ?? yamlColumns(name);
    add({
      ...base(name, "seed", name),
      file: path,
      line: 1,
      owners: ownersOf(name, [], ""),
      ...(columns ? { columns } : {}),
      ...(header ? { header } : {}),
    });
  }
  // A seed only YAML describes (its CSV not in the listing): the YAML's columns, maybe not all.
  for (const [name, yaml] of yamlModels) {
    const file = String(yaml.__file);
    if (nodes.has(name) || kindOf(file)?.kind !== "seed") continue;
    const columns = yamlColumns(name);
    add({
      ...base(name, "seed", name),
      file,
      line: 1,
      owners: ownersOf(name, [], ""),
      ...(columns ? { columns } : {}),
    });
  }
  return { nodes: [...nodes.values()], findings };
};

/**
 * dbt's `model` for a model's Jinja, from its files: the config settings Covenant reads merged as
 * dbt merges them (`config()` in the SQL over YAML over dbt_project.yml); `materialized` is `view`
 * unless one of them says otherwise.
 */
const modelContext = ({
  name,
  path,
  sql,
  yamlConfig,
  fromProject,
  root,
  packageName,
}: {
  name: string;
  path: string;
  sql: string;
  yamlConfig: Rec;
  fromProject: DbtModelConfig;
  root: string;
  packageName?: string;
}): DbtModelContext => {
  const inline = renderJinja(sql).configs.join(",");
  const setting = (key: string): string | undefined =>
    new RegExp(`\\b${key}\\s*=\\s*['"]([^'"]+)['"]`).exec(inline)?.[1] ?? asString(yamlConfig[key]);
  const materialized =
    parseConfigCall(inline).materialized ??
    asString(yamlConfig.materialized) ??
    fromProject.materialized ??
    "view";
  const alias = setting("alias");
  const schema = setting("schema");
  const tags = fromProject.tags ?? (Array.isArray(yamlConfig.tags) ? yamlConfig.tags.map(String) : undefined);
  const meta = isRecord(yamlConfig.meta) ? yamlConfig.meta : fromProject.meta;
  return {
    name,
    ...(packageName ? { packageName } : {}),
    originalFilePath: root === "" || !path.startsWith(`${root}/`) ? path : path.slice(root.length + 1),
    config: {
      materialized,
      ...(alias ? { alias } : {}),
      ...(schema ? { schema } : {}),
      ...(tags ? { tags } : {}),
      ...(meta ? { meta } : {}),
    },
  };
};

/** dbt adds these to every snapshot. */
export const SNAPSHOT_COLUMNS = ["dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to"];

const seedHeaders = (nodes: readonly DbtNode[]) =>
  new Map(nodes.flatMap((n) => (n.kind === "seed" && n.header ? [[n.id, n] as const] : [])));

/**
 * What a pull request changes in its seeds' CSV headers, as the diff says it of a dataset: a
 * column gone is `column-removed`, one name replaced in place is `column-renamed`, a seed gone
 * (deleted, or renamed: its models still `ref` the old name) is `dataset-removed`. A seed whose
 * header is unknown at the head is not compared here: see `unreadableSeedHeaders`.
 */
export const diffSeedHeaders = (base: readonly DbtNode[], head: readonly DbtNode[]): Change[] => {
  const after = seedHeaders(head);
  const present = new Set(head.map((n) => n.id));
  const changes: Change[] = [];
  for (const [id, was] of seedHeaders(base)) {
    const now = after.get(id);
    if (!present.has(id))
      changes.push({ kind: "dataset-removed", dataset: id, location: { file: was.file ?? "", line: 1 } });
    if (!now) continue;
    const before = was.header!;
    const names = now.header!;
    const location = { file: now.file ?? "", line: 1 };
    const kept = new Set(names.map((c) => c.toLowerCase()));
    const gone = before.filter((c) => !kept.has(c.toLowerCase()));
    const old = new Set(before.map((c) => c.toLowerCase()));
    const added = names.filter((c) => !old.has(c.toLowerCase()));
    const renamed =
      gone.length === 1 && added.length === 1 && before.length === names.length
        ? before.indexOf(gone[0]!) === names.indexOf(added[0]!)
        : false;
    if (renamed)
      changes.push({ kind: "column-renamed", dataset: id, column: gone[0]!, to: added[0]!, location });
    else for (const column of gone) changes.push({ kind: "column-removed", dataset: id, column, location });
  }
  return changes;
};

/** The columns a seed's CSV header had at the base, for what a change removes from it. */
export const seedColumns = (base: readonly DbtNode[], id: string): string[] | undefined =>
  seedHeaders(base).get(id)?.header;

/**
 * Seeds the change edits whose header was known at the base and cannot be read at the head (a
 * blank first line, an unterminated quote, an empty name, a header longer than the readers keep):
 * what they now give the models reading them is unknown, so they count as unreadable files.
 */
export const unreadableSeedHeaders = (
  base: readonly DbtNode[],
  head: readonly DbtNode[],
  changed: ReadonlySet<string>,
): UnreadableFile[] => {
  const known = seedHeaders(base);
  return head
    .filter((n) => n.kind === "seed" && !n.header && n.file && changed.has(n.file) && known.has(n.id))
    .map((n) => ({
      path: n.file!,
      reason: `its CSV header (the first line: the seed's column names) cannot be read: it is blank, has an unterminated quote or an empty name, is longer than ${HEADER_BYTES / 1024} KiB, or the file is too large for its header to be fetched`,
    }));
};
