/**
 * `npm run bench:engine`: how fast the replay engine is on real migration histories.
 *
 * 1. Full-history replay of every Debian package × dialect history (test/fidelity/corpus.ts):
 *    MB/s and statements/s, median of several iterations.
 * 2. The same Postgres files through Squawk, in the same run. Squawk *lints* each file on its
 *    own; Covenant *replays* the whole history into a schema. The ratio says what replaying
 *    costs next to a linter's parse-and-check on identical input, not that the two do the same.
 * 3. A PR-sized analysis (20 changed migration files on top of every Postgres history) with and
 *    without a cached base snapshot, through analyze() and through the bare replay.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { analyze, type BaseSnapshot } from "../src/core/analyze.ts";
import { deserializeSchemaState, replay, serializeSchemaState } from "../src/core/sql/replay.ts";
import { type History, historyBytes, loadCorpus } from "../test/fidelity/corpus.ts";
import { type BenchHistory, loadCorpusDir, loadDebianHistories } from "./large-corpus.ts";

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 15);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

const timeMs = async (fn: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

const measure = async (fn: () => Promise<unknown>, iterations = ITERATIONS): Promise<number> => {
  await fn(); // warm-up: parser WASM, JIT
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) times.push(await timeMs(fn));
  return median(times);
};

const table = (header: string[], rows: string[][]): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const fmt = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  return [fmt(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(fmt)].join("\n");
};

const MB = 1024 * 1024;
const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);

const squawkBinary = (): string => {
  const bin = resolve(import.meta.dirname, "../node_modules/@squawk-cli/linux-x64/bin/squawk");
  if (!existsSync(bin)) throw new Error(`Squawk binary not found at ${bin}`);
  return bin;
};

/** Squawk exits non-zero when it reports something: only a crash or a missing binary is an error. */
const runSquawk = (bin: string, paths: string[]): void => {
  const r = spawnSync(bin, ["--reporter", "json", ...paths], {
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  if (r.signal) throw new Error(`squawk killed by ${r.signal}`);
};

const { values: args } = parseArgs({
  options: {
    corpus: { type: "string" },
    rounds: { type: "string" },
    "no-cli": { type: "boolean" },
    "large-only": { type: "boolean" },
  },
});
const ROUNDS = Math.max(Number(args.rounds ?? process.env.BENCH_ROUNDS ?? 5), 1);
const CORPUS_DIR = args.corpus ?? process.env.COVENANT_BENCH_CORPUS;
const CLI = resolve(import.meta.dirname, "../bin/covenant.js");

/**
 * CPU time (user + system) of the children this process has waited for, in ms, from
 * /proc/self/stat (clock ticks of 10 ms); undefined where there is no /proc.
 */
const childrenCpuMs = (): number | undefined => {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return undefined;
  }
};

type Sample = { wall: number; cpu: number | undefined };

const timeProcess = (fn: () => void): Sample => {
  const c0 = childrenCpuMs();
  const t0 = performance.now();
  fn();
  const wall = performance.now() - t0;
  const c1 = childrenCpuMs();
  return { wall, cpu: c0 === undefined || c1 === undefined ? undefined : c1 - c0 };
};

const timeInProcess = async (fn: () => Promise<unknown>): Promise<Sample> => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
};

/** `covenant schema` in a process of its own, as a user runs it; fails loudly when it does. */
const runCli = (cwd: string, cliArgs: string[]): void => {
  const r = spawnSync(process.execPath, [CLI, "schema", ...cliArgs], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`covenant schema ${cliArgs.join(" ")} exited ${r.status}: ${r.stderr}`);
};

type Tool = "squawk" | "replay" | "cli";
type Timings = Record<Tool, Sample[]>;
const noTimings = (): Timings => ({ squawk: [], replay: [], cli: [] });

/**
 * Every history replayed in process, through the CLI and linted by Squawk, interleaved: each round
 * runs all three on every history (in a rotating order), so a burst of load on this shared machine
 * hits all tools alike; each figure is the median of the rounds. Wall time is what a user waits;
 * CPU time is what the work costs, and is the steadier figure on a loaded machine.
 */
const largeCorpus = async (print: (s: string) => void): Promise<void> => {
  const histories: BenchHistory[] = [];
  if (CORPUS_DIR) histories.push(...loadCorpusDir(resolve(CORPUS_DIR)));
  else
    print(
      "No large corpus: pass --corpus DIR or set COVENANT_BENCH_CORPUS=DIR (layout in bench/large-corpus.ts and docs/replay-benchmark.md); comparing on the Debian histories alone.\n",
    );
  histories.push(...loadDebianHistories());
  const withCli = !args["no-cli"];
  const bin = squawkBinary();
  const empty = mkdtempSync(join(tmpdir(), "covenant-bench-"));
  const emptyFile = join(empty, "empty.sql");
  writeFileSync(emptyFile, "");
  const start = noTimings();
  const per = new Map<BenchHistory, Timings>(histories.map((h) => [h, noTimings()]));
  const statements = new Map<BenchHistory, number>();
  for (const h of histories)
    statements.set(h, (await replay({ files: h.files, dialect: h.dialect })).statements);
  print(
    `Large corpus: ${histories.length} histories, ${ROUNDS} interleaved rounds${withCli ? "" : " (CLI skipped)"}; CLI = node bin/covenant.js schema`,
  );
  for (let round = 0; round < ROUNDS; round++) {
    start.squawk.push(timeProcess(() => runSquawk(bin, [emptyFile])));
    if (withCli) start.cli.push(timeProcess(() => runCli(empty, ["--dialect", "postgres", "empty.sql"])));
    for (const h of histories) {
      const t = per.get(h) as Timings;
      const steps: Array<() => Promise<void>> = [
        async () => {
          if (h.dialect === "postgres") t.squawk.push(timeProcess(() => runSquawk(bin, h.absolute)));
        },
        async () => {
          t.replay.push(await timeInProcess(() => replay({ files: h.files, dialect: h.dialect })));
        },
        async () => {
          if (withCli) t.cli.push(timeProcess(() => runCli(h.cwd, h.cliArgs)));
        },
      ];
      for (let i = 0; i < steps.length; i++)
        await (steps[(i + round) % steps.length] as () => Promise<void>)();
    }
    process.stderr.write(`  round ${round + 1}/${ROUNDS} done\n`);
  }
  rmSync(empty, { recursive: true, force: true });

  const dash = "–";
  const ratio = (a: number, b: number) => (b > 0 && a > 0 ? `${f2(a / b)}×` : dash);
  const fmtMs = (x: number) => (x > 0 ? f1(x) : dash);
  const med = (xs: Sample[], k: keyof Sample): number => {
    const v = xs.map((x) => x[k]).filter((x): x is number => x !== undefined);
    return v.length ? median(v) : 0;
  };
  for (const measure of ["wall", "cpu"] as const) {
    print(
      measure === "wall"
        ? "\nWall time, ms (median of the rounds)"
        : "\nCPU time (user + system), ms (median of the rounds; processes measured in 10 ms ticks)",
    );
    for (const dialect of ["postgres", "mysql", "sqlite"] as const) {
      const hs = histories.filter((h) => h.dialect === dialect);
      if (hs.length === 0) continue;
      const rows: string[][] = [];
      const sum = { squawk: 0, replay: 0, cli: 0, files: 0, bytes: 0, statements: 0 };
      const row = (name: string, files: number, bytes: number, sts: number, m: Record<Tool, number>) => [
        name,
        String(files),
        f1(bytes / 1024),
        String(sts),
        fmtMs(m.squawk),
        f1(m.replay),
        ratio(m.replay, m.squawk),
        fmtMs(m.cli),
        ratio(m.cli, m.squawk),
      ];
      for (const h of hs) {
        const t = per.get(h) as Timings;
        const m = {
          squawk: med(t.squawk, measure),
          replay: med(t.replay, measure),
          cli: med(t.cli, measure),
        };
        sum.squawk += m.squawk;
        sum.replay += m.replay;
        sum.cli += m.cli;
        sum.files += h.files.length;
        sum.bytes += h.bytes;
        sum.statements += statements.get(h) ?? 0;
        rows.push(row(h.name, h.files.length, h.bytes, statements.get(h) ?? 0, m));
      }
      rows.push(row(`ALL ${dialect} (sum of medians)`, sum.files, sum.bytes, sum.statements, sum));
      const header = [
        "history",
        "files",
        "KiB",
        "statements",
        "Squawk",
        "replay",
        "replay/Squawk",
        "CLI",
        "CLI/Squawk",
      ];
      const keep = (r: string[]) => (dialect === "postgres" ? r : [...r.slice(0, 4), r[5] ?? "", r[7] ?? ""]);
      print(`${dialect}: replay ${f2(sum.bytes / MB / (sum.replay / 1000))} MB/s`);
      print(table(keep(header), rows.map(keep)));
    }
    print(
      `Process start (an empty file): Squawk ${f1(med(start.squawk, measure))} ms${withCli ? `, covenant schema ${f1(med(start.cli, measure))} ms` : ""}.`,
    );
  }
  print(
    "\nSquawk lints each file statement by statement; Covenant replays the whole history into a schema (Squawk reads Postgres only).",
  );
};

/** 20 realistic PR migrations: new columns, a NOT NULL flip, an index, a new table with a FK. */
const prFiles = (tables: string[]): { path: string; content: string }[] =>
  Array.from({ length: 20 }, (_, i) => {
    const t = tables[i % tables.length] ?? "bench_t";
    const n = String(i + 1).padStart(3, "0");
    return {
      path: `db/migrations/9${n}_pr_change.sql`,
      content: [
        `ALTER TABLE ${t} ADD COLUMN pr_note_${n} varchar(200);`,
        `ALTER TABLE ${t} ADD COLUMN pr_flag_${n} boolean NOT NULL DEFAULT false;`,
        `CREATE INDEX pr_idx_${n} ON ${t} (pr_flag_${n});`,
        `CREATE TABLE pr_audit_${n} (id bigserial PRIMARY KEY, note text, created_at timestamptz NOT NULL DEFAULT now());`,
        `ALTER TABLE pr_audit_${n} ALTER COLUMN note SET NOT NULL;`,
        `COMMENT ON COLUMN pr_audit_${n}.note IS 'bench';`,
        "",
      ].join("\n"),
    };
  });

const main = async (print: (s: string) => void): Promise<void> => {
  if (args["large-only"]) {
    await largeCorpus(print);
    return;
  }
  const corpus = loadCorpus();
  print(`Covenant engine benchmark: median of ${ITERATIONS} iterations after one warm-up\n`);

  // 1. Full-history replay per package × dialect.
  const rows: string[][] = [];
  let totalBytes = 0;
  let totalStatements = 0;
  let totalMs = 0;
  for (const h of corpus) {
    const input = { files: h.files, dialect: h.engine };
    const once = await replay(input);
    const ms = await measure(() => replay(input));
    const bytes = historyBytes(h);
    totalBytes += bytes;
    totalStatements += once.statements;
    totalMs += ms;
    rows.push([
      `${h.pkg} × ${h.engine}`,
      String(h.files.length),
      f1(bytes / 1024),
      String(once.statements),
      f2(ms),
      f2(bytes / MB / (ms / 1000)),
      String(Math.round(once.statements / (ms / 1000))),
    ]);
  }
  rows.push([
    "ALL (sum of medians)",
    String(corpus.reduce((n, h) => n + h.files.length, 0)),
    f1(totalBytes / 1024),
    String(totalStatements),
    f2(totalMs),
    f2(totalBytes / MB / (totalMs / 1000)),
    String(Math.round(totalStatements / (totalMs / 1000))),
  ]);
  print("Full-history replay");
  print(table(["history", "files", "KiB", "statements", "ms", "MB/s", "statements/s"], rows));

  // 2. The large corpus against Squawk (see large-corpus.ts).
  await largeCorpus(print);

  // 3. A PR-sized analysis: 20 changed files on top of every Postgres history, laid out as one
  // numbered migrations directory, timed through the shared analysis (src/core/analyze.ts) and
  // through the bare replay.
  const pg = corpus.filter((h) => h.engine === "postgres");
  const base = pg
    .flatMap((h: History) =>
      h.files.map((f) => ({ content: f.content, name: `${h.pkg}-${f.path.split("/").pop()}` })),
    )
    .map((f, i) => ({
      path: `db/migrations/${String(i + 1).padStart(4, "0")}_${f.name.replace(/[^A-Za-z0-9.]+/g, "_")}`,
      content: f.content,
    }));
  const baseState = (await replay({ files: base, dialect: "postgres" })).state;
  const targets = [...baseState.datasets.values()].filter((t) => t.kind === "table").map((t) => t.name);
  const changed = prFiles(targets);
  const snapshotJson = JSON.stringify(serializeSchemaState(baseState));
  const replayFull = await measure(() => replay({ files: [...base, ...changed], dialect: "postgres" }));
  const replayCached = await measure(() =>
    replay({
      files: changed,
      dialect: "postgres",
      initial: deserializeSchemaState(JSON.parse(snapshotJson)),
    }),
  );

  const basePaths = base.map((f) => f.path);
  const headPaths = [...basePaths, ...changed.map((f) => f.path)];
  const baseFiles = new Map(base.map((f) => [f.path, f.content]));
  const headFiles = new Map([...base, ...changed].map((f) => [f.path, f.content]));
  const analysisInput = {
    basePaths,
    headPaths,
    changedPaths: changed.map((f) => f.path),
    base: baseFiles,
    head: headFiles,
  };
  const first = await analyze(analysisInput);
  const changes = first.verdict.changes.length;
  const baseSnapshotJson = JSON.stringify(first.baseSnapshot);
  const analyzeFull = await measure(() => analyze(analysisInput));
  // With a snapshot only the new files are read: the adapters never fetch the base history.
  const cachedInput = {
    ...analysisInput,
    base: new Map<string, string>(),
    head: new Map(changed.map((f) => [f.path, f.content])),
  };
  const analyzeCached = await measure(() =>
    analyze({ ...cachedInput, baseSnapshot: JSON.parse(baseSnapshotJson) as BaseSnapshot }),
  );
  print(
    `\nPR-sized analysis: 20 changed files on a ${base.length}-file Postgres base (${baseState.datasets.size} datasets, ${changes} changes found)`,
  );
  print(
    table(
      ["path", "full base history (ms)", "cached base snapshot (ms)", "speed-up"],
      [
        [
          "analyze() (src/core/analyze.ts)",
          f2(analyzeFull),
          f2(analyzeCached),
          `${f1(analyzeFull / analyzeCached)}×`,
        ],
        ["replay() alone", f2(replayFull), f2(replayCached), `${f1(replayFull / replayCached)}×`],
      ],
    ),
  );
  print(
    `cached snapshot: ${f1(Buffer.byteLength(baseSnapshotJson) / 1024)} KiB of JSON, parsed and deserialized on every run`,
  );
};

try {
  await main((s) => process.stdout.write(`${s}\n`));
} catch (error) {
  // A bad --corpus folder or a missing tool is the user's to fix: say what, without a stack.
  process.stderr.write(`bench:engine: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
