// npm run measure:lineage -- <dir> [--cases N] [--show N] [--database URL]
//   (or COVENANT_LINEAGE_CORPUS=<dir>; the database defaults to PostgreSQL on 127.0.0.1:5432)
//
// Precision and recall of Covenant's downstream lineage on real dbt projects read from a local
// directory (never committed), against an independent oracle: PostgreSQL's own name resolution.
// Each project is rendered for a postgres target (scripts/lineage-oracle/render-dbt.ts: a real
// Jinja engine, the project's macros, dbt's common macros), its sources and seeds become tables
// and every model a view, in dependency order, in a scratch database; the lineage of each view is
// read from the query tree PostgreSQL analysed and stored (scripts/lineage-oracle/view-lineage.ts).
// Nothing of src/core/lineage or src/core/dbt's renderer is used by the oracle.
//
// For a few hundred generated breaking changes (drop, rename, retype a column of a source, seed or
// model; drop a model) it compares, per kind of change:
// - downstream models: every model whose values or rows the change reaches;
// - downstream columns: the output columns computed from the changed one (projection);
// - downstream-contract-broken verdicts, with synthetic contracts on half of the models (each on
//   half of its columns): which contracts are flagged (any severity), and which as errors.
// Models PostgreSQL cannot create are counted apart (with the reason) and not scored.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import pg from "pg";
import { parse as parseYaml } from "yaml";
import { DEFAULT_REPO_CONFIG } from "../src/core/config/repo-config.ts";
import { discoverDbtProjects } from "../src/core/dbt/discover-dbt-projects.ts";
import { buildLineage } from "../src/core/lineage/build-lineage.ts";
import type { DbtNode } from "../src/core/lineage/dbt-graph.ts";
import { readRepositoryDbtGraph } from "../src/core/lineage/repository-lineage.ts";
import { indexLineage, type Reached, traceDownstream } from "../src/core/lineage/trace-lineage.ts";
import type { Change } from "../src/core/model/change.ts";
import { emptySchemaState } from "../src/core/model/schema.ts";
import { severityOf } from "../src/core/rules/downstream-contract-broken.ts";
import { loadPostgresParser } from "../src/core/sql/postgres.ts";
import { createTempPgDatabase } from "../src/db/migration-authoring.ts";
import { buildOracleProject, type OracleNode, type OracleProject } from "./lineage-oracle/build-database.ts";
import { macroBlocks } from "./lineage-oracle/render-dbt.ts";
import { countUnknownCauses, formatUnknownCauses } from "./unknown-lineage-causes.ts";

const args = process.argv.slice(2);
const optionOf = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const corpus =
  args.find((a, i) => !a.startsWith("--") && !args[i - 1]?.startsWith("--")) ??
  process.env.COVENANT_LINEAGE_CORPUS;
const CASES_PER_PROJECT = Number(optionOf("--cases") ?? 120);
const SHOW = Number(optionOf("--show") ?? 0);
const DATABASE = optionOf("--database") ?? "postgres://postgres@127.0.0.1:5432/postgres";
if (!corpus || !statSync(corpus, { throwIfNoEntry: false })?.isDirectory()) {
  process.stderr.write(
    "Usage: npm run measure:lineage -- <directory of dbt projects> [--cases N] [--show N] [--database URL]\n(or set COVENANT_LINEAGE_CORPUS). The directory is read, never written; a scratch PostgreSQL database is created and dropped.\n",
  );
  process.exit(2);
}

const walk = (dir: string, out: string[] = []): string[] => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (["node_modules", ".git", "target", "dbt_packages"].includes(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (/\.(sql|ya?ml|csv)$/i.test(entry.name) && statSync(path).size < 5_000_000) out.push(path);
  }
  return out;
};

let seed = 7;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};

type Kind = "drop column" | "rename column" | "retype column" | "drop model";
const KINDS: Kind[] = ["drop column", "rename column", "retype column", "drop model"];
const CHANGE_KIND: Record<Kind, Change["kind"]> = {
  "drop column": "column-removed",
  "rename column": "column-renamed",
  "retype column": "column-type-changed",
  "drop model": "dataset-removed",
};
type Case = { kind: Kind; project: string; node: string; column: string };
type Score = { tp: number; fp: number; fn: number };
const CATEGORIES = ["models", "columns", "verdicts", "errors"] as const;
type Category = (typeof CATEGORIES)[number];
const scores = new Map<string, Score>();
const scoreOf = (category: Category, kind: string) => {
  const k = `${category}\u0000${kind}`;
  if (!scores.has(k)) scores.set(k, { tp: 0, fp: 0, fn: 0 });
  return scores.get(k)!;
};
const ratio = (a: number, b: number) => (b === 0 ? 1 : a / b);
const fmt = (s: Score) =>
  `P ${ratio(s.tp, s.tp + s.fp).toFixed(3)}  R ${ratio(s.tp, s.tp + s.fn).toFixed(3)}  (tp ${s.tp}, fp ${s.fp}, fn ${s.fn})`;
const disagreements = new Map<string, string[]>();
const note = (what: string, line: string) => {
  if (!disagreements.has(what)) disagreements.set(what, []);
  disagreements.get(what)!.push(line);
};
const compare = (
  category: Category,
  kind: Kind,
  expected: Set<string>,
  found: Set<string>,
  label: string,
) => {
  for (const s of [scoreOf(category, kind), scoreOf(category, "all")]) {
    for (const k of found) if (expected.has(k)) s.tp++;
    for (const k of found) if (!expected.has(k)) s.fp++;
    for (const k of expected) if (!found.has(k)) s.fn++;
  }
  for (const k of found) if (!expected.has(k)) note(`${category}: covenant only`, `${label} -> ${k}`);
  for (const k of expected) if (!found.has(k)) note(`${category}: oracle only`, `${label} -> ${k}`);
};

type OracleReach = "projection" | "dependency";
/** The oracle's downstream trace: the same walk as Covenant's, over PostgreSQL's own lineage. */
const oracleTrace = (project: OracleProject, start: Case): Map<string, OracleReach> => {
  const readers = new Map<string, OracleNode[]>();
  for (const node of project.nodes.values())
    for (const up of node.reads ?? []) readers.set(up, [...(readers.get(up) ?? []), node]);
  const best = new Map<string, OracleReach>();
  const queue: Array<[string, string, OracleReach]> = [];
  const visit = (node: string, column: string, reach: OracleReach) => {
    const k = `${node}\u0000${column}`;
    const seen = best.get(k);
    if (seen === "projection" || seen === reach) return;
    best.set(k, reach);
    queue.push([node, column, reach]);
  };
  visit(start.node, start.column, "projection");
  while (queue.length > 0) {
    const [node, column, reach] = queue.shift()!;
    if (best.get(`${node}\u0000${column}`) !== reach) continue;
    for (const reader of readers.get(node) ?? []) {
      if (column === "*") {
        visit(reader.id, "*", reach);
        continue;
      }
      const point = `${node}\u0000${column}`;
      for (const [out, sources] of reader.projection ?? [])
        if (sources.includes(point)) visit(reader.id, out, reach);
      if (reader.dependencies?.includes(point)) visit(reader.id, "*", "dependency");
    }
  }
  best.delete(`${start.node}\u0000${start.column}`);
  return best;
};

const readCsv = (text: string): string[][] =>
  text
    .split(/\r?\n/)
    .filter((l) => l.trim() !== "")
    .slice(0, 500)
    .map((line) =>
      [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].slice(0, -1).map((m) => m[1]!.replace(/^"|"$/g, "")),
    );

const main = async () => {
  await loadPostgresParser();
  const root = corpus;
  const files = walk(root);
  const paths = files.map((f) => relative(root, f).split("\\").join("/"));
  const contents = new Map(
    paths.map((p, i) => [p, /\.csv$/i.test(p) ? "" : readFileSync(files[i]!, "utf8")] as const),
  );
  const projects = discoverDbtProjects(paths, DEFAULT_REPO_CONFIG, contents).filter((p) => p.projectFile);
  const scratch = await createTempPgDatabase(DATABASE, "covenant_lineage_oracle");
  const client = new pg.Client({ connectionString: scratch.url });
  await client.connect();
  let cases = 0;
  const failures = new Map<string, number>();
  let totalModels = 0;
  let failedModels = 0;
  let discovered = 0;
  let unmodelled = 0;
  const causes = new Map<string, number>();
  try {
    for (const [index, project] of projects.entries()) {
      const graph = readRepositoryDbtGraph([project], contents, { dbt: [] });
      const dbt: DbtNode[] = graph.nodes;
      const models = dbt.filter((n) => n.sql !== undefined && (n.kind === "model" || n.kind === "snapshot"));
      if (models.length === 0) continue;
      const projectYaml = (parseYaml(contents.get(project.projectFile!) ?? "") ?? {}) as Record<
        string,
        unknown
      >;
      const under = (dirs: unknown, fallback: string[]) =>
        (Array.isArray(dirs) ? (dirs as string[]) : fallback).map(
          (d) => `${project.root ? `${project.root}/` : ""}${d.replace(/^\.\//, "").replace(/\/$/, "")}/`,
        );
      const macroDirs = under(projectYaml["macro-paths"], ["macros"]);
      const seedDirs = under(projectYaml["seed-paths"], ["seeds", "data"]);
      const macros = paths
        .filter((p) => p.endsWith(".sql") && macroDirs.some((d) => p.startsWith(d)))
        .map((p) => macroBlocks(contents.get(p)!))
        .join("\n");
      const seeds = paths
        .map((p, i) => [p, files[i]!] as const)
        .filter(([p]) => p.toLowerCase().endsWith(".csv") && seedDirs.some((d) => p.startsWith(d)))
        .map(([p, file]) => {
          const rows = readCsv(readFileSync(file, "utf8"));
          return {
            id: p.replace(/^.*\//, "").replace(/\.csv$/i, ""),
            header: rows[0] ?? [],
            rows: rows.slice(1),
          };
        })
        .filter((s) => s.header.length > 0);
      const vars = (projectYaml.vars ?? {}) as Record<string, unknown>;
      const flatVars: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(vars))
        if (v && typeof v === "object" && !Array.isArray(v)) Object.assign(flatVars, v);
        else flatVars[k] = v;
      const oracle = await buildOracleProject(client, `p${index}`, {
        models: models.map((m) => ({ id: m.id, sql: m.sql! })),
        sources: dbt
          .filter((n) => n.kind === "source")
          .map((n) => {
            const [source, table] = n.id.replace(/^source:/, "").split(/\.(.*)/s);
            return { id: n.id, source: source!, table: table!, columns: n.columns ?? [] };
          }),
        seeds,
        macros,
        vars: flatVars,
        ...(typeof projectYaml.name === "string" ? { project: projectYaml.name } : {}),
      });
      totalModels += models.length;
      failedModels += oracle.failed.size;
      discovered += oracle.discovered;
      for (const reason of oracle.failed.values()) {
        const short = reason
          .replace(/"[^"]*"/g, '"…"')
          .replace(/'[^']*'/g, "'…'")
          .slice(0, 90);
        failures.set(short, (failures.get(short) ?? 0) + 1);
      }

      const lineage = buildLineage({ state: emptySchemaState(), dialectOf: () => "postgres", dbt });
      const lineageIndex = indexLineage(lineage);
      const unknown = new Set(
        [...lineage.nodes.values()].filter((n) => n.lineage === "unknown").map((n) => n.id),
      );
      countUnknownCauses(lineage, dbt, causes);
      const measured = new Set(oracle.nodes.keys());
      // Changes start at nodes PostgreSQL built that something built reads.
      const read = new Set([...oracle.nodes.values()].flatMap((n) => n.reads ?? []));
      const starts: Case[] = [];
      for (const node of oracle.nodes.values()) {
        if (!read.has(node.id)) continue;
        for (const column of node.columns)
          for (const kind of KINDS.slice(0, 3))
            starts.push({ kind, project: project.root, node: node.id, column });
        if (node.kind === "model")
          starts.push({ kind: "drop model", project: project.root, node: node.id, column: "*" });
      }
      const chosen: Case[] = [];
      while (chosen.length < CASES_PER_PROJECT && starts.length > 0)
        chosen.push(starts.splice(Math.floor(random() * starts.length), 1)[0]!);
      // Synthetic contracts: half of the built models, each on half of its columns (at least one).
      const contracts = new Map<string, Set<string>>();
      for (const node of oracle.nodes.values())
        if (node.kind === "model" && random() < 0.5) {
          const cols = node.columns.filter(() => random() < 0.5);
          contracts.set(node.id, new Set(cols.length > 0 ? cols : node.columns.slice(0, 1)));
        }
      for (const c of chosen) {
        cases++;
        if (!lineage.nodes.has(c.node)) {
          // A seed no YAML describes is no node of Covenant's graph (it reads no CSV): counted apart.
          unmodelled++;
          continue;
        }
        const label = `[${c.project || "."}] ${c.kind} ${c.node}${c.column === "*" ? "" : `.${c.column}`}`;
        const reached = traceDownstream(lineageIndex, { node: c.node, column: c.column });
        const expected = oracleTrace(oracle, c);
        const inScope = (node: string) => measured.has(node) && node !== c.node;
        const foundModels = new Set(reached.map((r) => r.node).filter(inScope));
        const expectedModels = new Set(
          [...expected.keys()].map((k) => k.split("\u0000")[0]!).filter(inScope),
        );
        compare("models", c.kind, expectedModels, foundModels, label);
        if (c.column !== "*") {
          const foundColumns = new Set(
            reached
              .filter((r) => r.reach === "projection" && r.column !== "*" && inScope(r.node))
              .map((r) => `${r.node}.${r.column}`),
          );
          const expectedColumns = new Set(
            [...expected]
              .filter(
                ([k, reach]) =>
                  reach === "projection" && !k.endsWith("\u0000*") && inScope(k.split("\u0000")[0]!),
              )
              .map(([k]) => k.replace("\u0000", ".")),
          );
          compare("columns", c.kind, expectedColumns, foundColumns, label);
        }
        // Verdicts as downstream-contract-broken gives them: a reached column a contract covers,
        // or the whole model; error through projection (severityOf is the rule's own judgement).
        const change = {
          kind: CHANGE_KIND[c.kind],
          dataset: c.node,
          ...(c.column === "*" ? {} : { column: c.column }),
        } as Change;
        const covenantVerdict = new Map<string, "error" | "warning">();
        for (const r of reached as Reached[]) {
          const contract = contracts.get(r.node);
          if (!contract || !inScope(r.node) || (r.column !== "*" && !contract.has(r.column))) continue;
          const severity = severityOf(change, r);
          if (covenantVerdict.get(r.node) !== "error") covenantVerdict.set(r.node, severity);
        }
        const oracleVerdict = new Map<string, "error" | "warning">();
        for (const [k, reach] of expected) {
          const [node, column] = k.split("\u0000") as [string, string];
          const contract = contracts.get(node);
          if (!contract || !inScope(node) || (column !== "*" && !contract.has(column))) continue;
          const severity = reach === "projection" ? "error" : "warning";
          if (oracleVerdict.get(node) !== "error") oracleVerdict.set(node, severity);
        }
        compare("verdicts", c.kind, new Set(oracleVerdict.keys()), new Set(covenantVerdict.keys()), label);
        // A retyped column's error depends on casts on the way (a judgement, not lineage): errors
        // are compared for the other kinds.
        if (c.kind !== "retype column") {
          const errors = (v: Map<string, string>) =>
            new Set([...v].filter(([, s]) => s === "error").map(([n]) => n));
          compare("errors", c.kind, errors(oracleVerdict), errors(covenantVerdict), label);
        }
      }
      const unknownBuilt = [...unknown].filter((id) => measured.has(id)).length;
      process.stdout.write(
        `${project.root || "."}: ${models.length} models, ${oracle.failed.size} not created by PostgreSQL, ${unknownBuilt} built ones of unknown lineage in Covenant, ${chosen.length} changes\n`,
      );
    }
  } finally {
    await client.end();
    await scratch.drop();
  }
  process.stdout.write(
    `\n${cases} changes over ${projects.length} projects; ${totalModels} models, ${failedModels} PostgreSQL could not create (not scored); ${discovered} undeclared source columns discovered\n`,
  );
  process.stdout.write(formatUnknownCauses(causes));
  process.stdout.write(
    `${unmodelled} changes start at a node Covenant does not model (a seed without YAML): not scored\n`,
  );
  for (const [reason, n] of [...failures].sort((a, b) => b[1] - a[1]).slice(0, 12))
    process.stdout.write(`  not created (${n}): ${reason}\n`);
  for (const category of CATEGORIES) {
    process.stdout.write(`${category.padEnd(9)} all            ${fmt(scoreOf(category, "all"))}\n`);
    for (const kind of KINDS)
      if (scores.has(`${category}\u0000${kind}`))
        process.stdout.write(`${"".padEnd(9)} ${kind.padEnd(14)} ${fmt(scoreOf(category, kind))}\n`);
  }
  if (SHOW > 0)
    for (const [what, lines] of disagreements) {
      process.stdout.write(`\n${what} (${lines.length}):\n`);
      for (const line of lines.slice(0, SHOW)) process.stdout.write(`  ${line}\n`);
    }
};

await main();
