// GitHub App benchmark: `npm run bench:app`. The real server (src/main.ts, in its own process, as
// in production) with the App on and its job workers running, signed webhook deliveries over HTTP
// from this process, and a local stand-in for GitHub's API (this process too) serving a repository
// with MIGRATIONS migrations and a few contracts. For each database it reports:
//   1. GitHub requests per analysed PR, cold (first PR on a base commit) and warm (cached base),
//      against the budget 4 + ceil(files/100) + ceil(annotations/50) (PHASES=requests
//      PR_FILES=3000 for the largest PR GitHub lists whole; past 3,000 its changes come from trees);
//   2. a burst: CONCURRENT simultaneous deliveries: acknowledgement p50/p95/p99, then the time to
//      each PR's completed check run;
//   3. steady load: RATE deliveries a second for DURATION seconds (each PR gets pull_request.opened
//      and check_suite.requested, as GitHub sends on a push, and every fifth opened delivery is
//      redelivered): acknowledgement p50/p95/p99, time to completed check run, how long the backlog
//      takes to drain, and analyses per minute per core;
//   4. a backlog: BACKLOG PRs delivered as fast as they are acknowledged, then drained: how long it
//      takes, analyses per minute per core, and the server's CPU time per analysis (so the drain can
//      be compared with the rate the CPUs allow);
//   and checks that every PR got exactly one check run, completed.
// Deliveries are sent from their own thread, so the acknowledgement times are the server's, not
// this process's (which also plays GitHub). THROTTLE=on keeps Octokit's production write spacing
// (GitHub asks for >= 1 s between writes of an installation): the drain is then bound by GitHub, not
// by Covenant, so the default is off; the bound it would set is printed. PROFILE=<dir> runs the
// server with --cpu-prof (one .cpuprofile per thread in <dir>); SERVER_NODE_FLAGS passes Node flags to
// the server (e.g. --trace-gc). PHASES picks phases. A quick run:
//   DURATION=10 BACKLOG=200 npm run bench:app
// Defaults:
//   DATABASES=sqlite,postgres MIGRATIONS=1000 PR_FILES=20 CONCURRENT=100 RATE=50 DURATION=60
//   BACKLOG=1000 JOB_WORKERS=4 THROTTLE=off PHASES=requests,burst,steady,backlog npm run bench:app
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import pg from "pg";
import { pino } from "pino";
import { ProbotOctokit } from "probot";
import { loadConfig } from "../src/config.ts";
import { startServer } from "../src/main.ts";
import { type FakeGitHub, startFakeGitHub } from "../test/helpers/fake-github.ts";
import { commitSha, type Files } from "../test/helpers/github-repo-fixture.ts";
import { testPrivateKey } from "../test/helpers/webhook-examples.ts";
import type { PlannedDelivery, SendPlan, SentDelivery } from "./delivery-sender.ts";

const MIGRATIONS = Number(process.env.MIGRATIONS ?? 1000);
const PR_FILES = Number(process.env.PR_FILES ?? 20);
const CONCURRENT = Number(process.env.CONCURRENT ?? 100);
const RATE = Number(process.env.RATE ?? 50);
const DURATION = Number(process.env.DURATION ?? 60);
const BACKLOG = Number(process.env.BACKLOG ?? 1000);
const DATABASES = (process.env.DATABASES ?? process.env.DATABASE ?? "sqlite,postgres").split(",");
const PHASES = new Set((process.env.PHASES ?? "requests,burst,steady,backlog").split(","));
const THROTTLE = (process.env.THROTTLE ?? "off") === "on";
const WORKERS = process.env.JOB_WORKERS ?? "4";
const PROFILE = process.env.PROFILE;
const SERVER_NODE_FLAGS = process.env.SERVER_NODE_FLAGS;
const SECRET = "bench-secret";
const ADMIN_URL = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const pad = (n: number) => String(n).padStart(5, "0");

/** MIGRATIONS numbered migrations: a table every 10 files, columns added in between; contracts on 5 tables. */
const buildRepository = (): Files => {
  const files: Files = { "README.md": "# bench\n" };
  for (let k = 1; k <= MIGRATIONS; k++) {
    const table = `t_${k - ((k - 1) % 10)}`;
    files[`migrations/${pad(k)}_m.sql`] =
      (k - 1) % 10 === 0
        ? `CREATE TABLE ${table} (\n  id bigint PRIMARY KEY,\n  name text NOT NULL\n);\n`
        : `ALTER TABLE ${table} ADD COLUMN c_${k} integer;\n`;
  }
  for (const [i, level] of (["BLOCK", "ALERT", "NOTIFY", "RECORD", "BLOCK"] as const).entries()) {
    const table = `t_${i * 100 + 1}`;
    files[`contracts/${table}.yaml`] = [
      `name: ${table}`,
      "version: 1.0.0",
      "status: active",
      `owner: "@bench/data"`,
      `enforcement: ${level}`,
      `dataset: { type: table, name: public.${table} }`,
      "schema:",
      "  columns:",
      "    - { name: id, type: bigint, required: true }",
      "    - { name: name, type: string, required: true }",
      `    - { name: c_${i * 100 + 2}, type: integer, required: false }`,
      "",
    ].join("\n");
  }
  return files;
};

/** A PR_FILES-file PR: new tables, plus one migration that drops a contracted column. */
const buildPullRequest = (base: Files, salt: string) => {
  const head: Files = { ...base };
  const files: Array<{ filename: string; status: "added" }> = [];
  for (let i = 1; i <= PR_FILES; i++) {
    const path = `migrations/${pad(MIGRATIONS + i)}_pr_${salt}.sql`;
    head[path] =
      i === PR_FILES
        ? "ALTER TABLE t_1 DROP COLUMN c_2;\n"
        : `CREATE TABLE pr_${salt}_${i} (\n  id bigint PRIMARY KEY\n);\n`;
    files.push({ filename: path, status: "added" });
  }
  return { head, files, sha: commitSha(head, salt) };
};

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};
const ms = (n: number) => (n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${n.toFixed(1)} ms`);
const spread = (values: number[]) =>
  `p50 ${ms(percentile(values, 50))}, p95 ${ms(percentile(values, 95))}, p99 ${ms(percentile(values, 99))}, max ${ms(Math.max(...values))}`;
/** The goal of the issue: every acknowledgement within 100 ms at p99. */
const ackGoal = (acks: SentDelivery[]) => {
  const p99 = percentile(
    acks.map((a) => a.ms),
    99,
  );
  return p99 < 100 ? "goal p99 < 100 ms: met" : `goal p99 < 100 ms: MISSED (${ms(p99)})`;
};

/** CPU seconds a process has used (every thread), from /proc; null where there is no /proc. */
const cpuSecondsOf = (pid: number | undefined): number | null => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100/s)
  } catch {
    return null;
  }
};

const freshDatabaseUrl = async (
  kind: string,
  dir: string,
): Promise<{ url: string; drop: () => Promise<void> }> => {
  if (kind !== "postgres")
    return { url: `file:${join(dir, `bench-${randomUUID()}.db`)}`, drop: async () => {} };
  const name = `covenant_bench_${randomUUID().replace(/-/g, "")}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const again = new pg.Client({ connectionString: ADMIN_URL });
      await again.connect();
      await again.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await again.end();
    },
  };
};

const appConfig = (databaseUrl: string, apiUrl: string) =>
  loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    DATABASE_URL: databaseUrl,
    APP_ID: "1",
    PRIVATE_KEY: process.env.BENCH_PRIVATE_KEY ?? testPrivateKey(),
    WEBHOOK_SECRET: SECRET,
    GITHUB_API_URL: apiUrl,
    JOB_WORKERS: WORKERS,
    ...(process.env.ANALYSIS_THREADS ? { ANALYSIS_THREADS: process.env.ANALYSIS_THREADS } : {}),
    LOG_LEVEL: "silent",
  });

/** `--server`: the server process (`covenant serve`, with throttling off unless THROTTLE=on). */
const runServer = async () => {
  const server = await startServer({
    config: appConfig(process.env.BENCH_DATABASE_URL!, process.env.BENCH_GITHUB_URL!),
    logger: pino({ level: "silent" }),
    ...(THROTTLE
      ? {}
      : {
          Octokit: ProbotOctokit.defaults((options: Record<string, unknown>) => ({
            ...options,
            throttle: { ...(options.throttle as object | undefined), enabled: false },
          })) as typeof ProbotOctokit,
        }),
  });
  process.on("SIGTERM", () => {
    void server.close().then(() => process.exit(0));
  });
  process.send?.(server.url);
};

const spawnServer = (databaseUrl: string, apiUrl: string): Promise<{ child: ChildProcess; url: string }> =>
  new Promise((resolve, reject) => {
    const profile = PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE}`] : [];
    const flags = SERVER_NODE_FLAGS ? SERVER_NODE_FLAGS.split(/\s+/) : [];
    const child = spawn(
      process.execPath,
      [...process.execArgv, ...profile, ...flags, process.argv[1]!, "--server"],
      {
        env: {
          ...process.env,
          BENCH_DATABASE_URL: databaseUrl,
          BENCH_GITHUB_URL: apiUrl,
          BENCH_PRIVATE_KEY: testPrivateKey(),
        },
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      },
    );
    child.once("message", (url) => resolve({ child, url: String(url) }));
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });

/** The sender thread: one plan at a time. */
const startSender = () => {
  const worker = new Worker(new URL("./delivery-sender.mjs", import.meta.url));
  return {
    send: (plan: SendPlan) =>
      new Promise<SentDelivery[]>((resolve, reject) => {
        worker.once("message", resolve);
        worker.once("error", reject);
        worker.postMessage(plan);
      }),
    stop: () => worker.terminate(),
  };
};

type Completion = { sha: string; at: number };

/** Resolves each head SHA's completion time as its check run completes. */
const completions = (fake: FakeGitHub) => {
  const done = new Map<string, number>();
  const waiting = new Map<string, () => void>();
  fake.onCheckCompleted((run) => {
    if (!done.has(run.head_sha)) done.set(run.head_sha, run.completedAt ?? Date.now());
    waiting.get(run.head_sha)?.();
  });
  const wait = (sha: string, timeoutMs: number) =>
    new Promise<Completion>((resolve, reject) => {
      const at = done.get(sha);
      if (at) return resolve({ sha, at });
      const timer = setTimeout(() => reject(new Error(`check run for ${sha} did not complete`)), timeoutMs);
      waiting.set(sha, () => {
        clearTimeout(timer);
        waiting.delete(sha);
        resolve({ sha, at: done.get(sha)! });
      });
    });
  return { wait };
};

/** Every PR exactly one check run, completed; a problem is printed (and fails the run). */
const checkOneRunEach = (fake: FakeGitHub, shas: string[]): number => {
  const runs = new Map<string, number>();
  for (const run of fake.checkRuns.values()) runs.set(run.head_sha, (runs.get(run.head_sha) ?? 0) + 1);
  const notOne = shas.filter((sha) => runs.get(sha) !== 1);
  const open = [...fake.checkRuns.values()].filter((run) => run.status !== "completed");
  if (notOne.length > 0 || open.length > 0)
    console.log(
      `  PROBLEM: ${notOne.length} PRs without exactly one check run, ${open.length} check runs not completed`,
    );
  return notOne.length + open.length;
};

/** Octokit's production spacing: 1 s between writes (GraphQL included), 3 s between notifying ones. */
const throttledSeconds = (counts: Record<string, number>) => {
  let writes = 0;
  let notifying = 0;
  for (const [route, n] of Object.entries(counts)) {
    if (route.includes("access_tokens") || route.startsWith("GET ")) continue;
    writes += n;
    if (/issues\/\{n\}\/comments$|requested_reviewers$/.test(route)) notifying += n;
  }
  return Math.max(writes * 1, notifying * 3);
};

const benchDatabase = async (kind: string, dir: string): Promise<number> => {
  const database = await freshDatabaseUrl(kind, dir);
  const fake = await startFakeGitHub();
  const sender = startSender();
  const base = buildRepository();
  const BASE = commitSha(base, "base");
  const repo = {
    owner: "bench",
    name: "bench",
    id: 99,
    defaultBranch: "main",
    commits: new Map([[BASE, base]]),
    pulls: new Map(),
    teams: { data: ["lead"] },
  };
  fake.repos.set("bench/bench", repo);
  const addPull = (number: number) => {
    const pr = buildPullRequest(base, String(number));
    repo.commits.set(pr.sha, pr.head);
    repo.pulls.set(number, { number, baseSha: BASE, headSha: pr.sha, author: "dev", files: pr.files });
    return pr.sha;
  };
  const opened = (number: number, sha: string): PlannedDelivery => ({
    event: "pull_request",
    number,
    sha,
    id: randomUUID(),
  });
  const done = completions(fake);
  const { child, url } = await spawnServer(database.url, fake.url);
  const cores = availableParallelism();
  const serverCpu = () => cpuSecondsOf(child.pid);
  console.log(
    `\n== ${kind}: ${MIGRATIONS} migrations, ${PR_FILES}-file PRs, ${WORKERS} job workers, ${cores} cores, GitHub throttling ${THROTTLE ? "on (production)" : "off"}`,
  );
  let problems = 0;
  let nextNumber = 1;

  // 1. Requests per analysed PR (the first two PRs also warm the base cache for what follows).
  {
    const analyse = async () => {
      const number = nextNumber++;
      const sha = addPull(number);
      fake.resetCounts();
      const sent = Date.now();
      const [ack] = await sender.send({
        url,
        secret: SECRET,
        deliveries: [opened(number, sha)],
        concurrency: 1,
      });
      if (ack?.status !== 200) throw new Error(`delivery rejected: ${ack?.status}`);
      const { at } = await done.wait(sha, 600_000);
      // Comment and review requests follow the check run; let them land before counting.
      await new Promise((resolve) => setTimeout(resolve, THROTTLE ? 7000 : 500));
      const counts = fake.counts();
      const run = [...fake.checkRuns.values()].find((r) => r.head_sha === sha);
      const budget = 4 + Math.ceil(PR_FILES / 100) + Math.ceil((run?.annotations.length ?? 0) / 50);
      const requests = Object.entries(counts)
        .filter(([route]) => !route.includes("access_tokens"))
        .reduce((a, [, n]) => a + n, 0);
      return { ms: at - sent, requests, budget, counts };
    };
    const cold = await analyse();
    const warm = await analyse();
    if (PHASES.has("requests")) {
      for (const [label, r] of [
        ["cold (base tree + all migrations read and replayed)", cold],
        ["warm (base replay cached by commit SHA)", warm],
      ] as const) {
        console.log(
          `${label}: ${r.requests} GitHub requests (budget ${r.budget}; plus an installation token per hour), delivery -> completed check run ${ms(r.ms)}`,
        );
        for (const [route, n] of Object.entries(r.counts).sort())
          console.log(`    ${String(n).padStart(3)}  ${route}`);
      }
      const perPr = throttledSeconds(warm.counts);
      console.log(
        `  with production throttling an installation's warm PRs take >= ${perPr} s of GitHub write spacing each: at most ${(60 / perPr).toFixed(0)} PRs/min per installation`,
      );
      if (warm.requests > warm.budget) {
        console.log(
          `  PROBLEM: a warm PR takes ${warm.requests} requests, over its budget of ${warm.budget}`,
        );
        problems++;
      }
    }
  }

  // 2. A burst of CONCURRENT deliveries.
  if (PHASES.has("burst")) {
    const numbers = Array.from({ length: CONCURRENT }, () => nextNumber++);
    const shas = numbers.map(addPull);
    const ackCpuBefore = serverCpu();
    const acks = await sender.send({
      url,
      secret: SECRET,
      deliveries: numbers.map((n, i) => opened(n, shas[i]!)),
      concurrency: CONCURRENT,
    });
    // The workers claim nothing while a burst is answered: this is the acknowledgements' CPU (in
    // 10 ms ticks), the figure to compare between builds on a machine too loaded for wall times.
    const ackCpu = ((serverCpu() ?? 0) - (ackCpuBefore ?? 0)) * 1000;
    const started = Math.min(...acks.map((a) => a.sentAt));
    const finished = await Promise.all(shas.map((sha) => done.wait(sha, 1_800_000)));
    const toCheck = finished.map((f) => f.at - started);
    console.log(
      `burst of ${CONCURRENT} concurrent deliveries: ack ${spread(acks.map((a) => a.ms))}; statuses ${[...new Set(acks.map((a) => a.status))].join(",")}; ${ackGoal(acks)}`,
    );
    console.log(
      `  server CPU while acknowledging: ${ackCpu.toFixed(0)} ms (${(ackCpu / CONCURRENT).toFixed(2)} ms a delivery)`,
    );
    console.log(
      `  completed check run after ${spread(toCheck)}; all ${CONCURRENT} in ${ms(Math.max(...toCheck))} (${((CONCURRENT / Math.max(...toCheck)) * 60_000).toFixed(0)} analyses/min, ${(((CONCURRENT / Math.max(...toCheck)) * 60_000) / cores).toFixed(0)} per core)`,
    );
    problems += checkOneRunEach(fake, shas);
  }

  // 3. Steady load.
  if (PHASES.has("steady")) {
    const total = RATE * DURATION;
    const schedule: PlannedDelivery[] = [];
    for (let n = nextNumber; schedule.length < total; n++, nextNumber++) {
      const sha = addPull(n);
      const first = opened(n, sha);
      schedule.push(first, { event: "check_suite", number: n, sha, id: randomUUID() });
      if (n % 5 === 0) schedule.push({ ...first });
    }
    schedule.length = Math.min(schedule.length, total);
    const prs = [...new Set(schedule.map((d) => d.sha))];
    const cpuBefore = serverCpu();
    const acks = await sender.send({
      url,
      secret: SECRET,
      deliveries: schedule,
      rate: RATE,
      concurrency: total,
    });
    const started = Math.min(...acks.map((a) => a.sentAt));
    const sendingMs = Math.max(...acks.map((a) => a.sentAt)) - started;
    const firstSent = new Map<string, number>();
    for (const [i, d] of schedule.entries()) if (!firstSent.has(d.sha)) firstSent.set(d.sha, acks[i]!.sentAt);
    console.log(
      `steady ${RATE}/s for ${DURATION} s (${total} deliveries, ${prs.length} PRs, sent in ${ms(sendingMs)}): ack ${spread(acks.map((a) => a.ms))}; statuses ${[...new Set(acks.map((a) => a.status))].join(",")}; ${ackGoal(acks)}`,
    );
    const finished = await Promise.all(prs.map((sha) => done.wait(sha, 3_600_000)));
    const toCheck = finished.map((f) => f.at - firstSent.get(f.sha)!);
    const drained = Math.max(...finished.map((f) => f.at)) - started;
    const cpu = (serverCpu() ?? 0) - (cpuBefore ?? 0);
    console.log(`  completed check run after ${spread(toCheck)}`);
    console.log(
      `  backlog of ${prs.length} PRs drained ${ms(drained)} after the first delivery (${ms(Math.max(0, drained - sendingMs))} after the last): ${((prs.length / drained) * 60_000).toFixed(0)} analyses/min, ${(((prs.length / drained) * 60_000) / cores).toFixed(0)} per core; server CPU ${cpu.toFixed(1)} s (${((cpu / prs.length) * 1000).toFixed(0)} ms per PR, ${((cpu / (drained / 1000) / cores) * 100).toFixed(0)}% of the cores)`,
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    problems += checkOneRunEach(fake, prs);
  }

  // 4. A backlog of BACKLOG PRs, queued as fast as they are acknowledged.
  if (PHASES.has("backlog") && BACKLOG > 0) {
    const numbers = Array.from({ length: BACKLOG }, () => nextNumber++);
    const shas = numbers.map(addPull);
    const cpuBefore = serverCpu();
    const benchCpuBefore = process.cpuUsage();
    const acks = await sender.send({
      url,
      secret: SECRET,
      deliveries: numbers.map((n, i) => opened(n, shas[i]!)),
      concurrency: CONCURRENT,
    });
    const started = Math.min(...acks.map((a) => a.sentAt));
    const queuedMs = Math.max(...acks.map((a) => a.sentAt + a.ms)) - started;
    const finished = await Promise.all(shas.map((sha) => done.wait(sha, 3_600_000)));
    const drained = Math.max(...finished.map((f) => f.at)) - started;
    const cpu = (serverCpu() ?? 0) - (cpuBefore ?? 0);
    const benchCpu = process.cpuUsage(benchCpuBefore);
    const perMinute = (BACKLOG / drained) * 60_000;
    const cpuPerPr = cpu / BACKLOG;
    console.log(
      `backlog of ${BACKLOG} PRs (queued in ${ms(queuedMs)}, ${CONCURRENT} deliveries at a time; ack ${spread(acks.map((a) => a.ms))}): drained in ${ms(drained)}`,
    );
    console.log(
      `  ${perMinute.toFixed(0)} analyses/min, ${(perMinute / cores).toFixed(0)} per core; server CPU ${cpu.toFixed(1)} s (${(cpuPerPr * 1000).toFixed(0)} ms per PR: the ${cores} cores allow ${((cores / cpuPerPr) * 60).toFixed(0)}/min if the server had them alone, it used ${((cpu / (drained / 1000) / cores) * 100).toFixed(0)}% of them); this process (GitHub stand-in, sender) ${((benchCpu.user + benchCpu.system) / 1e6).toFixed(1)} s`,
    );
    problems += checkOneRunEach(fake, shas);
  }
  console.log(
    `  OpenAPI conformance problems in ${fake.conformance.requests.length} requests: ${fake.conformance.problems.length}`,
  );
  for (const problem of fake.conformance.problems.slice(0, 5)) console.log(`    ${problem}`);
  child.kill("SIGTERM");
  await new Promise((resolve) => child.once("exit", resolve));
  await sender.stop();
  await fake.close();
  await database.drop();
  return problems + fake.conformance.problems.length;
};

const main = async () => {
  const dir = mkdtempSync(join(tmpdir(), "covenant-bench-app-"));
  let problems = 0;
  for (const kind of DATABASES) problems += await benchDatabase(kind, dir);
  rmSync(dir, { recursive: true, force: true });
  if (PROFILE) console.log(`\nCPU profiles of the server's threads: ${PROFILE}`);
  process.exit(problems === 0 ? 0 : 1);
};

(process.argv.includes("--server") ? runServer() : main()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
