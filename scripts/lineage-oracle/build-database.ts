// Builds one dbt project in a PostgreSQL schema, as the oracle of measure-lineage: sources and
// seeds as tables, every model and snapshot as a view in dependency order, rendered by
// render-dbt.ts. PostgreSQL then resolves every name itself; its stored query trees are read by
// view-lineage.ts.
import { createHash } from "node:crypto";
import type pg from "pg";
import { renderDbtModel } from "./render-dbt.ts";
import { type BaseColumn, type PgNode, parseNodeTree, viewLineage } from "./view-lineage.ts";

export type OracleInput = {
  models: Array<{ id: string; sql: string }>;
  sources: Array<{ id: string; source: string; table: string; columns: string[] }>;
  seeds: Array<{ id: string; header: string[]; rows: string[][] }>;
  macros: string;
  vars: Record<string, unknown>;
  /** The project's name (`name:` of dbt_project.yml). */
  project?: string;
};

export type OracleNode = {
  id: string;
  kind: "source" | "seed" | "model";
  columns: string[];
  /** Models: output column -> `node\0column` it is computed from. */
  projection?: Map<string, string[]>;
  /** Models: `node\0column` its rows depend on. */
  dependencies?: string[];
  /** Models: nodes read at all. */
  reads?: string[];
};

export type OracleProject = {
  nodes: Map<string, OracleNode>;
  /** Models PostgreSQL could not create, with the reason (their downstream is not measured). */
  failed: Map<string, string>;
  /** Source columns found by letting PostgreSQL report them missing. */
  discovered: number;
};

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
/** A relation name within PostgreSQL's 63-byte limit, stable for a node id. */
const relationName = (id: string): string => {
  const plain = id.replace(/^source:/, "src__").replace(/[^A-Za-z0-9_]/g, "_");
  return plain.length <= 60
    ? plain
    : `${plain.slice(0, 48)}_${createHash("sha1").update(id).digest("hex").slice(0, 10)}`;
};

/** A column type from a name, for source columns no YAML types (lineage does not depend on it). */
const typeByName = (name: string): string => {
  const n = name.toLowerCase();
  if (/^(is|has|was|should|can)_/.test(n)) return "boolean";
  if (/(_at|_time|timestamp|_ts)$/.test(n)) return "timestamp";
  if (/(^date|_date$|_day$|^day$)/.test(n)) return "date";
  if (
    /(amount|price|cost|total|subtotal|tax|revenue|cents|count|quantity|qty|number|num_|_num$|percent|rate|score|value)/.test(
      n,
    )
  )
    return "numeric";
  return "text";
};

const typeOfValues = (values: string[]): string => {
  const present = values.filter((v) => v !== "");
  if (present.length === 0) return "text";
  if (present.every((v) => /^-?\d{1,18}$/.test(v))) return "bigint";
  if (present.every((v) => /^-?\d*\.?\d+(e[+-]?\d+)?$/i.test(v))) return "numeric";
  if (present.every((v) => /^(true|false)$/i.test(v))) return "boolean";
  if (present.every((v) => /^\d{4}-\d{2}-\d{2}$/.test(v))) return "date";
  if (present.every((v) => /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(v))) return "timestamp";
  return "text";
};

const missingColumn = (message: string): { qualifier?: string; column: string } | undefined => {
  const m = /^column "?(?:([^".\s]+)\.)?([^".\s]+)"? does not exist/.exec(message);
  if (!m) return undefined;
  return { ...(m[1] ? { qualifier: m[1] } : {}), column: m[2]! };
};

export const buildOracleProject = async (
  client: pg.Client,
  schema: string,
  input: OracleInput,
): Promise<OracleProject> => {
  await client.query(`drop schema if exists ${quote(schema)} cascade`);
  await client.query(`create schema ${quote(schema)}`);
  await client.query(`set search_path to ${quote(schema)}`);
  const idOf = new Map<string, string>();
  const name = (id: string) => {
    const n = relationName(id);
    idOf.set(n, id);
    return n;
  };
  const sourceColumns = new Map(
    input.sources.map((s) => [s.id, [...new Set(s.columns.map((c) => c.toLowerCase()))]]),
  );
  let discovered = 0;
  const createSource = async (id: string) => {
    const cols = sourceColumns.get(id)!;
    await client.query(
      `create table ${quote(name(id))} (${cols.length > 0 ? cols.map((c) => `${quote(c)} ${typeByName(c)}`).join(", ") : ""})`,
    );
    columnsCache.set(name(id), [...cols]);
  };
  const columnsCache = new Map<string, string[]>();
  for (const s of input.sources) await createSource(s.id);
  for (const seed of input.seeds) {
    const cols = seed.header.map(
      (c, i) => `${quote(c.toLowerCase())} ${typeOfValues(seed.rows.map((r) => r[i] ?? ""))}`,
    );
    await client.query(`create table ${quote(name(seed.id))} (${cols.join(", ")})`);
    columnsCache.set(
      name(seed.id),
      seed.header.map((c) => c.toLowerCase()),
    );
  }
  for (const m of input.models) name(m.id);
  const sourceByKey = new Map(input.sources.map((s) => [`${s.source}.${s.table}`.toLowerCase(), s.id]));
  const modelIds = new Set([...input.models.map((m) => m.id), ...input.seeds.map((s) => s.id)]);
  const created = new Set<string>([...input.seeds.map((s) => s.id)]);
  const columnsOf = async (relation: string) => {
    const r = await client.query<{ attname: string }>(
      `select a.attname from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = $1 and c.relname = $2 and a.attnum > 0 and not a.attisdropped order by a.attnum`,
      [schema, relation],
    );
    return r.rows.map((row) => row.attname);
  };
  const failed = new Map<string, string>();
  const refsOf = new Map<string, { refs: string[]; sources: string[] }>();
  let pending = [...input.models];
  const attempts = new Map<string, number>();
  for (let progress = true; progress && pending.length > 0; ) {
    progress = false;
    const next: typeof pending = [];
    for (const model of pending) {
      let rendered: ReturnType<typeof renderDbtModel>;
      const waitingFor: string[] = [];
      try {
        rendered = renderDbtModel(model.sql, {
          macros: input.macros,
          vars: input.vars,
          ...(input.project ? { project: input.project } : {}),
          self: quote(name(model.id)),
          catalog: {
            relationOf: (ref) => {
              if (ref.model !== undefined) {
                if (!created.has(ref.model)) waitingFor.push(ref.model);
                return quote(relationName(ref.model));
              }
              const id = sourceByKey.get(`${ref.source![0]}.${ref.source![1]}`.toLowerCase());
              if (!id) throw new Error(`source('${ref.source![0]}', '${ref.source![1]}') is not declared`);
              return quote(name(id));
            },
            columnsOf: (relation) => columnsCache.get(relation.replace(/^"|"$/g, "")),
          },
        });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (waitingFor.length > 0 || /columns of .* are not known/.test(message)) next.push(model);
        else
          failed.set(
            model.id,
            `render: ${message.replace(/^.*\[Line \d+, Column \d+\]\s*/s, "").split("\n")[0]}`,
          );
        continue;
      }
      const sources = rendered.sources.map(([s, t]) => sourceByKey.get(`${s}.${t}`.toLowerCase())!);
      refsOf.set(model.id, { refs: rendered.refs, sources });
      const unknownRef = rendered.refs.find((r) => !modelIds.has(r));
      if (unknownRef) {
        failed.set(model.id, `ref('${unknownRef}') names no model or seed of the project`);
        continue;
      }
      if (waitingFor.length > 0) {
        next.push(model);
        continue;
      }
      try {
        await client.query(`create view ${quote(name(model.id))} as ${rendered.sql.replace(/;\s*$/, "")}`);
        created.add(model.id);
        columnsCache.set(name(model.id), await columnsOf(name(model.id)));
        progress = true;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const missing = missingColumn(message);
        const tries = (attempts.get(model.id) ?? 0) + 1;
        attempts.set(model.id, tries);
        // A source column no YAML declares: add it to a source this model reads (directly, else
        // through its upstream models), drop what read that source before and build it again.
        const candidates = missing && tries < 60 ? upstreamSources(model.id, refsOf) : [];
        const target = candidates.find(
          (id) => !sourceColumns.get(id)!.includes(missing!.column.toLowerCase()),
        );
        if (!missing || !target) {
          failed.set(model.id, message.split("\n")[0]!);
          continue;
        }
        sourceColumns.get(target)!.push(missing.column.toLowerCase());
        discovered++;
        const before = await viewsOf(client, schema);
        await client.query(`drop table ${quote(name(target))} cascade`);
        await createSource(target);
        const after = new Set(await viewsOf(client, schema));
        for (const gone of before.filter((v) => !after.has(v))) {
          const id = idOf.get(gone)!;
          created.delete(id);
          next.push(input.models.find((m) => m.id === id)!);
        }
        next.push(model);
        progress = true;
      }
    }
    pending = next;
  }
  for (const model of pending)
    if (!failed.has(model.id)) failed.set(model.id, "an upstream model could not be created (or a cycle)");
  // Failed models make their readers fail too; say so once, at the first failure.
  const nodes = await readNodes(client, schema, idOf);
  // dbt's own edges count too: a `-- depends on: {{ ref('x') }}` comment fails the build once x is gone.
  for (const node of nodes.values()) {
    const r = refsOf.get(node.id);
    if (r && node.reads) node.reads = [...new Set([...node.reads, ...r.refs, ...r.sources])];
  }
  return { nodes, failed, discovered };
};

const viewsOf = async (client: pg.Client, schema: string): Promise<string[]> =>
  (
    await client.query<{ relname: string }>(
      `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relkind = 'v'`,
      [schema],
    )
  ).rows.map((r) => r.relname);

/** Sources a model reads directly first, then those of its upstream models, nearest first. */
const upstreamSources = (
  id: string,
  refsOf: Map<string, { refs: string[]; sources: string[] }>,
): string[] => {
  const out: string[] = [];
  const seen = new Set<string>([id]);
  let level = [id];
  while (level.length > 0) {
    const nextLevel: string[] = [];
    for (const node of level) {
      const r = refsOf.get(node);
      if (!r) continue;
      for (const s of r.sources) if (!out.includes(s)) out.push(s);
      for (const ref of r.refs) if (!seen.has(ref)) seen.add(ref) && nextLevel.push(ref);
    }
    level = nextLevel;
  }
  return out;
};

const readNodes = async (
  client: pg.Client,
  schema: string,
  idOf: Map<string, string>,
): Promise<Map<string, OracleNode>> => {
  const rels = await client.query<{ oid: number; relname: string; relkind: string }>(
    `select c.oid::int as oid, c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = $1 and c.relkind in ('r', 'v') order by c.relname`,
    [schema],
  );
  const oids = rels.rows.map((r) => r.oid);
  const atts = await client.query<{ attrelid: number; attnum: number; attname: string }>(
    `select attrelid::int as attrelid, attnum, attname from pg_attribute where attrelid = any($1) and attnum > 0 and not attisdropped order by attnum`,
    [oids],
  );
  const columns = new Map<number, Map<number, string>>();
  for (const a of atts.rows) {
    if (!columns.has(a.attrelid)) columns.set(a.attrelid, new Map());
    columns.get(a.attrelid)!.set(a.attnum, a.attname.toLowerCase());
  }
  const idByOid = new Map(rels.rows.map((r) => [r.oid, idOf.get(r.relname) ?? r.relname]));
  const rules = await client.query<{ ev_class: number; ev_action: string }>(
    `select ev_class::int as ev_class, ev_action::text as ev_action from pg_rewrite where ev_class = any($1) and rulename = '_RETURN'`,
    [oids],
  );
  const actions = new Map(rules.rows.map((r) => [r.ev_class, r.ev_action]));
  const point = (c: BaseColumn) => `${idByOid.get(c.relid)}\u0000${columns.get(c.relid)?.get(c.attnum)}`;
  const nodes = new Map<string, OracleNode>();
  for (const rel of rels.rows) {
    const id = idByOid.get(rel.oid)!;
    const cols = [...(columns.get(rel.oid)?.values() ?? [])];
    if (rel.relkind === "r") {
      nodes.set(id, { id, kind: id.startsWith("source:") ? "source" : "seed", columns: cols });
      continue;
    }
    const tree = parseNodeTree(actions.get(rel.oid)!);
    const query = (Array.isArray(tree) ? tree[0] : tree) as PgNode;
    const lineage = viewLineage(query, (relid) => [...(columns.get(relid)?.keys() ?? [])]);
    const projection = new Map<string, string[]>();
    for (const [resno, sources] of lineage.projection)
      projection.set(columns.get(rel.oid)!.get(resno)!, [...new Set(sources.map(point))]);
    nodes.set(id, {
      id,
      kind: "model",
      columns: cols,
      projection,
      dependencies: [...new Set(lineage.dependencies.map(point))],
      // Before PostgreSQL 16 a view's stored rule also lists the view itself (OLD and NEW).
      reads: [...lineage.relations].filter((oid) => oid !== rel.oid).map((oid) => idByOid.get(oid)!),
    });
  }
  return nodes;
};
