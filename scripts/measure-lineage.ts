// npm run measure:lineage -- <dir> [--cases N] [--show N]   (or COVENANT_LINEAGE_CORPUS=<dir>)
//
// Precision and recall of Covenant's downstream lineage on real dbt projects read from a local
// directory (never committed). For a few hundred generated breaking changes (drop, rename or
// retype a column of a source or model; drop a model) it compares what Covenant's lineage reaches
// with an oracle written independently of src/core/lineage:
// - models: the transitive closure of `ref()` / `source()` read with regular expressions;
// - columns: a model reads a changed name when the name appears as a word in its SQL (comments
//   removed) or it selects `*` from a reached relation; the names it then outputs are the name
//   itself and every alias (`… as x`) on a line that mentions it.
// The oracle is a heuristic: where it and Covenant disagree the script prints the case, so each
// disagreement can be reviewed by hand (--show N prints N of each kind).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { DEFAULT_REPO_CONFIG } from "../src/core/config/repo-config.ts";
import { discoverDbtProjects } from "../src/core/dbt/discover-dbt-projects.ts";
import { buildLineage } from "../src/core/lineage/build-lineage.ts";
import type { DbtNode } from "../src/core/lineage/dbt-graph.ts";
import { readRepositoryDbtGraph } from "../src/core/lineage/repository-lineage.ts";
import { indexLineage, traceDownstream } from "../src/core/lineage/trace-lineage.ts";
import { emptySchemaState } from "../src/core/model/schema.ts";
import { loadPostgresParser } from "../src/core/sql/postgres.ts";
import { countUnknownCauses, formatUnknownCauses } from "./unknown-lineage-causes.ts";

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const corpus =
  args.find((a, i) => !a.startsWith("--") && !args[i - 1]?.startsWith("--")) ??
  process.env.COVENANT_LINEAGE_CORPUS;
const CASES_PER_PROJECT = option("--cases", 120);
const SHOW = option("--show", 0);
if (!corpus || !statSync(corpus, { throwIfNoEntry: false })?.isDirectory()) {
  process.stderr.write(
    "Usage: npm run measure:lineage -- <directory of dbt projects> [--cases N] [--show N]\n(or set COVENANT_LINEAGE_CORPUS). The directory is read, never written.\n",
  );
  process.exit(2);
}

const walk = (dir: string, out: string[] = []): string[] => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (
      entry.name === ".git" ||
      entry.name === "node_modules" ||
      entry.name === "target" ||
      entry.name === "dbt_packages"
    )
      continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (/\.(sql|ya?ml)$/i.test(entry.name) && statSync(path).size < 2_000_000) out.push(path);
  }
  return out;
};

let seed = 7;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};

type Case = { kind: string; project: string; node: string; column: string };
type Score = { tp: number; fp: number; fn: number };
const score = (): Score => ({ tp: 0, fp: 0, fn: 0 });
const add = (
  s: Score,
  expected: Set<string>,
  found: Set<string>,
  onMiss?: (k: string, what: "fp" | "fn") => void,
) => {
  for (const k of found) {
    if (expected.has(k)) s.tp++;
    else {
      s.fp++;
      onMiss?.(k, "fp");
    }
  }
  for (const k of expected)
    if (!found.has(k)) {
      s.fn++;
      onMiss?.(k, "fn");
    }
};
const ratio = (a: number, b: number) => (b === 0 ? 1 : a / b);
const fmt = (s: Score) =>
  `precision ${ratio(s.tp, s.tp + s.fp).toFixed(3)}  recall ${ratio(s.tp, s.tp + s.fn).toFixed(3)}  (tp ${s.tp}, fp ${s.fp}, fn ${s.fn})`;

// ---- the oracle: regular expressions over the files, nothing of src/core/lineage ----
const stripComments = (sql: string) =>
  sql
    .replace(/--[^\n]*/g, "")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/\{#[\s\S]*?#\}/g, "");
const refsOf = (sql: string): string[] => {
  const out: string[] = [];
  for (const m of sql.matchAll(/\bref\s*\(\s*(?:['"][^'"]+['"]\s*,\s*)?['"]([^'"]+)['"]/g)) out.push(m[1]!);
  for (const m of sql.matchAll(/\bsource\s*\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]/g))
    out.push(`source:${m[1]}.${m[2]}`);
  return out;
};
const word = (name: string) =>
  new RegExp(`(?<![A-Za-z0-9_$])${name.replace(/[$]/g, "\\$")}(?![A-Za-z0-9_$])`, "i");

type OracleModel = { id: string; sql: string; reads: string[] };
const oracleDownstream = (models: OracleModel[], start: Case) => {
  const readers = new Map<string, OracleModel[]>();
  for (const m of models) for (const r of m.reads) readers.set(r, [...(readers.get(r) ?? []), m]);
  const reachedModels = new Set<string>();
  /** Reached because a carried name appears in the SQL (else only through a `select *`). */
  const byName = new Set<string>();
  const columns = new Set<string>();
  // names that carry the change, per node
  const names = new Map<string, Set<string>>([[start.node, new Set([start.column])]]);
  const queue = [start.node];
  while (queue.length > 0) {
    const node = queue.shift()!;
    const carried = names.get(node)!;
    for (const m of readers.get(node) ?? []) {
      if (m.id.startsWith("exposure:")) {
        reachedModels.add(m.id);
        continue;
      }
      const sql = stripComments(m.sql);
      const whole = carried.has("*");
      const star = /select\s+(distinct\s+)?(\w+\.)?\*/i.test(sql) || /dbt_utils\.star/.test(sql);
      const hit = whole ? [...carried] : [...carried].filter((c) => word(c).test(sql));
      if (!whole && hit.length === 0 && !star) continue;
      const out = new Set<string>(whole ? ["*"] : []);
      if (!whole) {
        for (const c of hit) {
          out.add(c.toLowerCase());
          for (const line of sql.split("\n"))
            if (word(c).test(line))
              for (const a of line.matchAll(/\bas\s+["`]?([A-Za-z_][A-Za-z0-9_]*)/gi))
                out.add(a[1]!.toLowerCase());
        }
        if (star) for (const c of carried) out.add(c.toLowerCase());
      }
      reachedModels.add(m.id);
      if (hit.length > 0 || whole) byName.add(m.id);
      const before = names.get(m.id) ?? new Set<string>();
      const size = before.size;
      for (const c of out) before.add(c);
      names.set(m.id, before);
      for (const c of out) if (c !== "*") columns.add(`${m.id}.${c}`);
      if (before.size > size) queue.push(m.id);
    }
  }
  return { models: reachedModels, columns, byName };
};

const main = async () => {
  await loadPostgresParser();
  const root = corpus;
  const files = walk(root);
  const paths = files.map((f) => relative(root, f).split("\\").join("/"));
  const contents = new Map(paths.map((p, i) => [p, readFileSync(files[i]!, "utf8")]));
  const projects = discoverDbtProjects(paths, DEFAULT_REPO_CONFIG).filter((p) => p.projectFile);
  const total = { models: score(), definite: score(), columns: score(), verdicts: score() };
  let cases = 0;
  let unknownModels = 0;
  let unknownReached = 0;
  let allModels = 0;
  const causes = new Map<string, number>();
  for (const project of projects) {
    const shown = { fp: 0, fn: 0 }; // --show N: N of each kind per project
    const graph = readRepositoryDbtGraph([project], contents, { dbt: [] });
    const dbt: DbtNode[] = graph.nodes;
    const lineage = buildLineage({ state: emptySchemaState(), dialectOf: () => "postgres", dbt });
    const index = indexLineage(lineage);
    const models = dbt.filter((n) => n.sql !== undefined);
    if (models.length === 0) continue;
    const unknown = [...lineage.nodes.values()].filter((n) => n.lineage === "unknown");
    unknownModels += unknown.length;
    countUnknownCauses(lineage, dbt, causes);
    allModels += models.length;
    const oracleModels: OracleModel[] = [
      ...models.map((m) => ({ id: m.id, sql: m.sql!, reads: refsOf(stripComments(m.sql!)) })),
      ...dbt.filter((n) => n.kind === "exposure").map((n) => ({ id: n.id, sql: "*", reads: n.upstream })),
    ];
    // Columns a change may start from: a source's declared columns, a model's resolved ones.
    const starts: Case[] = [];
    for (const node of lineage.nodes.values()) {
      if (node.kind === "exposure") continue;
      const declared = dbt.find((n) => n.id === node.id)?.columns;
      const columns = node.kind === "source" ? (declared ?? []) : (node.columns ?? []);
      if (!oracleModels.some((m) => m.reads.includes(node.id))) continue; // nothing downstream: nothing to measure
      for (const column of columns)
        for (const kind of ["drop column", "rename column", "retype column"])
          starts.push({ kind, project: project.root, node: node.id, column: column.toLowerCase() });
      if (node.kind === "model")
        starts.push({ kind: "drop model", project: project.root, node: node.id, column: "*" });
    }
    const chosen: Case[] = [];
    const pool = [...starts];
    while (chosen.length < CASES_PER_PROJECT && pool.length > 0)
      chosen.push(pool.splice(Math.floor(random() * pool.length), 1)[0]!);
    const documented = new Map(
      dbt
        .filter((n) => n.columns && n.sql !== undefined)
        .map((n) => [n.id, new Set(n.columns!.map((c) => c.toLowerCase()))]),
    );
    const reachedName = (id: string) => lineage.nodes.get(id)?.kind !== "exposure";
    for (const c of chosen) {
      cases++;
      const reached = traceDownstream(index, { node: c.node, column: c.column });
      const found = {
        models: new Set(reached.map((r) => r.node).filter((n) => n !== c.node)),
        columns: new Set(
          reached
            .filter((r) => r.column !== "*" && r.reach === "projection" && reachedName(r.node))
            .map((r) => `${r.node}.${r.column}`),
        ),
      };
      const oracle = oracleDownstream(oracleModels, c);
      const label = `[${c.project || "."}] ${c.kind} ${c.node}${c.column === "*" ? "" : `.${c.column}`}`;
      const review = (what: string) => (k: string, kind: "fp" | "fn") => {
        if (shown[kind] >= SHOW) return;
        shown[kind]++;
        const via = reached.find((r) => `${r.node}` === k || `${r.node}.${r.column}` === k);
        const tag =
          kind === "fn" && what === "model" ? (oracle.byName.has(k) ? " (by name)" : " (via *)") : "";
        const why = via
          ? `  covenant: ${via.path.map((p) => `${p.node}.${p.column}${p.via && p.via !== "projection" ? `(${p.via})` : ""}`).join(" > ")}`
          : "";
        process.stdout.write(
          `${kind === "fp" ? "covenant only" : "oracle only  "} ${what}: ${label} -> ${k}${tag}${why}\n`,
        );
      };
      // A model whose SQL does not parse is reached as a whole by design (unknown is never "no
      // dependency"): it is counted apart, not scored against the oracle.
      const unknownIds = new Set(unknown.map((n) => n.id));
      const known = (set: Set<string>) => new Set([...set].filter((id) => !unknownIds.has(id)));
      unknownReached += [...found.models].filter((id) => unknownIds.has(id)).length;
      add(total.models, known(oracle.models), known(found.models), review("model"));
      // Reached through values only (no filter, no unknown lineage, no opaque macro on the way).
      const definite = new Set(
        reached.filter((r) => r.reach === "projection" && r.node !== c.node).map((r) => r.node),
      );
      add(total.definite, known(oracle.models), known(definite));
      const expectedColumns = new Set([...oracle.columns].filter((k) => !unknownIds.has(k.split(".")[0]!)));
      const foundColumns = new Set([...found.columns].filter((k) => !unknownIds.has(k.split(".")[0]!)));
      if (c.column !== "*") add(total.columns, expectedColumns, foundColumns, review("column"));
      // Verdicts: as if every documented model had a contract on its documented columns.
      const verdict = (cols: Set<string>, whole: Set<string>) =>
        new Set(
          [...documented]
            .filter(([id, declared]) => whole.has(id) || [...declared].some((d) => cols.has(`${id}.${d}`)))
            .map(([id]) => id),
        );
      const wholeFound = new Set(
        reached.filter((r) => r.column === "*" && r.reach !== "dependency").map((r) => r.node),
      );
      const wholeExpected = new Set(c.column === "*" ? oracle.models : []);
      add(
        total.verdicts,
        known(verdict(oracle.columns, wholeExpected)),
        known(verdict(found.columns, wholeFound)),
        review("verdict"),
      );
    }
    process.stdout.write(
      `${project.root || "."}: ${models.length} models (${unknown.length} unknown lineage), ${chosen.length} changes\n`,
    );
  }
  process.stdout.write(
    `\n${cases} changes over ${projects.length} projects; ${allModels} models, ${unknownModels} with unknown lineage\n`,
  );
  process.stdout.write(formatUnknownCauses(causes));
  process.stdout.write(`reaches into models of unknown lineage (not scored): ${unknownReached}\n`);
  process.stdout.write(`downstream models   ${fmt(total.models)}\n`);
  process.stdout.write(`  through values only ${fmt(total.definite)}\n`);
  process.stdout.write(`downstream columns  ${fmt(total.columns)}\n`);
  process.stdout.write(`contract verdicts   ${fmt(total.verdicts)}\n`);
};

await main();
