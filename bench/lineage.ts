// npm run bench:lineage — a generated 1,000-model dbt project on top of a migration history:
// building its whole column lineage, and judging a pull request that drops a column with a cached
// base snapshot, with and without lineage (the goal: lineage adds at most 25 % to the analysis).
import { analyze, planAnalysis } from "../src/core/analyze.ts";
import { DEFAULT_REPO_CONFIG } from "../src/core/config/repo-config.ts";
import { discoverDbtProjects } from "../src/core/dbt/discover-dbt-projects.ts";
import { buildLineage } from "../src/core/lineage/build-lineage.ts";
import { readRepositoryDbtGraph } from "../src/core/lineage/repository-lineage.ts";
import { emptySchemaState } from "../src/core/model/schema.ts";
import { loadPostgresParser } from "../src/core/sql/postgres.ts";

const MODELS = Number(process.env.BENCH_MODELS ?? 1000);
const TABLES = 25;
const COLUMNS = 12;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

/** A deterministic generator (same project every run). */
let seed = 42;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

const files: Record<string, string> = {
  ".github/covenant.yml": "migrations:\n  - { path: db/migrations, dialect: postgres }\n",
  "analytics/dbt_project.yml": "name: bench\nprofile: bench\n",
};
const columnsOf = new Map<string, string[]>();
const tableColumns = Array.from({ length: COLUMNS }, (_, i) => `c${i}`);
files["db/migrations/0001_init.sql"] = Array.from(
  { length: TABLES },
  (_, t) => `CREATE TABLE t${t} (id bigint PRIMARY KEY, ${tableColumns.map((c) => `${c} text`).join(", ")});`,
).join("\n");
files["analytics/models/staging/_sources.yml"] =
  `sources:\n  - name: raw\n    schema: public\n    tables:\n${Array.from({ length: TABLES }, (_, t) => `      - name: t${t}\n`).join("")}`;
const models: string[] = [];
for (let t = 0; t < TABLES; t++) {
  const name = `stg_t${t}`;
  files[`analytics/models/staging/${name}.sql`] =
    `with source as (select * from {{ source('raw', 't${t}') }})\nselect id as ${name}_id, ${tableColumns.map((c) => `${c} as ${name}_${c}`).join(", ")}\nfrom source\nwhere c0 is not null\n`;
  columnsOf.set(name, [`${name}_id`, ...tableColumns.map((c) => `${name}_${c}`)]);
  models.push(name);
}
const contracts: string[] = [];
for (let m = models.length; m < MODELS; m++) {
  const name = `m${m}`;
  const a = pick(models.slice(-400));
  const b = pick(models);
  const ac = columnsOf.get(a)!;
  const bc = columnsOf.get(b)!;
  const out = [
    `a.${ac[0]} as ${name}_id`,
    ...ac
      .slice(1, 6)
      .map((c, i) => (i % 2 === 0 ? `a.${c} as ${name}_x${i}` : `upper(a.${c}) as ${name}_x${i}`)),
    ...bc.slice(1, 4).map((c, i) => `b.${c} as ${name}_y${i}`),
  ];
  files[`analytics/models/marts/${name}.sql`] =
    `{{ config(materialized='table') }}\nwith a as (select * from {{ ref('${a}') }}),\nb as (select * from {{ ref('${b}') }})\nselect ${out.join(",\n  ")}\nfrom a left join b on b.${bc[0]} = a.${ac[0]}\nwhere a.${ac[1]} is not null\n`;
  columnsOf.set(
    name,
    out.map((o) => o.split(" as ")[1]!),
  );
  models.push(name);
  if (m % 50 === 0) {
    contracts.push(name);
    files[`contracts/${name}.yaml`] =
      `name: ${name}\nversion: 1.0.0\nstatus: active\nowner: "@acme/bench"\nenforcement: BLOCK\ndataset: { type: dbt_model, name: ${name} }\nschema:\n  columns:\n${columnsOf
        .get(name)!
        .map((c) => `    - { name: ${c}, type: string }`)
        .join("\n")}\n`;
  }
}

const ms = (start: number) => performance.now() - start;
const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;

await loadPostgresParser();
const paths = Object.keys(files);
const contents = new Map(Object.entries(files));

// 1. The whole lineage of the project, every model parsed.
let start = performance.now();
const projects = discoverDbtProjects(paths, DEFAULT_REPO_CONFIG, contents);
const graph = readRepositoryDbtGraph(projects, contents, DEFAULT_REPO_CONFIG);
const full = buildLineage({ state: emptySchemaState(), dialectOf: () => "postgres", dbt: graph.nodes });
const fullMs = ms(start);
const unknown = [...full.nodes.values()].filter((n) => n.kind === "model" && n.lineage === "unknown").length;

// 2. A pull request dropping a column every staging model of t3 reads, judged with a cached base snapshot.
const head = { ...files, "db/migrations/0002_drop.sql": "ALTER TABLE t3 DROP COLUMN c1;\n" };
const input = {
  basePaths: paths,
  headPaths: Object.keys(head),
  changedPaths: ["db/migrations/0002_drop.sql"],
  dbtProjectTexts: { base: contents },
};
const pickFiles = (repo: Record<string, string>, list: string[]) =>
  new Map(list.filter((p) => repo[p] !== undefined).map((p) => [p, repo[p]!] as [string, string]));
const cold = planAnalysis(input);
start = performance.now();
const first = await analyze({
  ...input,
  base: pickFiles(files, cold.base),
  head: pickFiles(head, cold.head),
});
const coldMs = ms(start);
const warm = planAnalysis({ ...input, haveBaseSnapshot: true });
const judge = async (withLineage: boolean) => {
  const snapshot = withLineage ? first.baseSnapshot : { ...first.baseSnapshot, dbtGraph: [] };
  const times: number[] = [];
  let result = first;
  for (let i = 0; i < RUNS; i++) {
    // A snapshot as the App reads it back from its cache (a fresh object each time).
    const baseSnapshot = structuredClone(snapshot);
    const t = performance.now();
    result = await analyze({
      ...input,
      base: pickFiles(files, warm.base),
      head: pickFiles(head, warm.head),
      baseSnapshot,
    });
    times.push(ms(t));
  }
  return { ms: median(times), result };
};

const without = await judge(false);
const withLineage = await judge(true);
const broken = withLineage.result.verdict.violations.filter((v) => v.rule === "downstream-contract-broken");
const reached = withLineage.result.verdict.impact?.[0]?.downstream.length ?? 0;
const overhead = (withLineage.ms - without.ms) / without.ms;

console.log(
  `lineage bench: ${MODELS} models, ${TABLES} migration tables, ${contracts.length} model contracts`,
);
console.log(
  `  full lineage (every model parsed and resolved): ${fullMs.toFixed(0)} ms (${unknown} models unknown)`,
);
console.log(`  PR drops public.t3.c1, no base snapshot: ${coldMs.toFixed(0)} ms`);
console.log(`  with cached base snapshot, lineage off: ${without.ms.toFixed(0)} ms (median of ${RUNS})`);
console.log(
  `  with cached base snapshot, lineage on:  ${withLineage.ms.toFixed(0)} ms — ${reached} downstream models, ${broken.length} downstream-contract-broken`,
);
console.log(
  `  lineage adds ${(overhead * 100).toFixed(1)} % (goal ≤ 25 %): ${overhead <= 0.25 ? "met" : "NOT met"}`,
);

if (process.env.BENCH_DETAIL) {
  const { buildLineage: build } = await import("../src/core/lineage/build-lineage.ts");
  const { traceChanges, removedColumns, impactOf, downstreamColumnMissing } = await import(
    "../src/core/lineage/judge-lineage.ts"
  );
  const { deserializeSchemaState } = await import("../src/core/sql/replay.ts");
  const snap = first.baseSnapshot;
  const state = deserializeSchemaState(snap.sets[0]!.state);
  const changes = withLineage.result.verdict.changes;
  for (let i = 0; i < 3; i++) {
    let t = performance.now();
    const l = build({
      state,
      dialectOf: () => "postgres",
      dbt: snap.dbtGraph ?? [],
      removed: removedColumns(changes, state),
      focus: changes.map((c) => c.dataset),
    });
    const tb = ms(t);
    t = performance.now();
    const traces = traceChanges(l, changes);
    const tt = ms(t);
    t = performance.now();
    impactOf(l, traces, () => []);
    downstreamColumnMissing(l, traces);
    console.log(
      `  detail: build ${tb.toFixed(1)} ms, trace ${tt.toFixed(1)} ms, impact ${ms(t).toFixed(1)} ms, resolved ${[...l.nodes.values()].filter((n) => n.lineage === "known").length}`,
    );
  }
}
