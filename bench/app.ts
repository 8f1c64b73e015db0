// GitHub App benchmark: `npm run bench:app`. The real server (src/main.ts) with the App on,
// signed webhook deliveries over HTTP, and a local fake GitHub API serving a repository with
// MIGRATIONS migrations and a few contracts. Reports:
//   1. GitHub requests per PR analysis, cold (first PR on a base commit) and with the cached base;
//   2. end-to-end time from delivery to completed check run for a PR_FILES-file PR, cold and warm;
//   3. webhook acknowledgement latency p50/p99 for CONCURRENT simultaneous deliveries, and how long
//      the queued analyses then take to complete.
// Production Octokit (retry and throttling on: GitHub asks for at least 1 s between writes), and
// THROTTLE=off for the App's own processing time.
//   MIGRATIONS=1000 PR_FILES=20 CONCURRENT=100 DATABASE=sqlite|postgres THROTTLE=on|off npm run bench:app
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { pino } from "pino";
import { ProbotOctokit } from "probot";
import { loadConfig } from "../src/config.ts";
import { openDatabase } from "../src/db/client.ts";
import { createGitHubApp } from "../src/github/create-github-app.ts";
import { startServer } from "../src/main.ts";
import { type FakeGitHub, startFakeGitHub } from "../test/helpers/fake-github.ts";
import { examplePayload, testPrivateKey } from "../test/helpers/github-app-harness.ts";
import { commitSha, type Files } from "../test/helpers/github-repo-fixture.ts";
import { sendDelivery } from "../test/helpers/signed-delivery.ts";

const MIGRATIONS = Number(process.env.MIGRATIONS ?? 1000);
const PR_FILES = Number(process.env.PR_FILES ?? 20);
const CONCURRENT = Number(process.env.CONCURRENT ?? 100);
const DATABASE = process.env.DATABASE ?? "sqlite";
const THROTTLE = (process.env.THROTTLE ?? "on") !== "off";
const WORKERS = process.env.JOB_WORKERS ?? "4";
const SECRET = "bench-secret";
const ADMIN_URL = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const pad = (n: number) => String(n).padStart(4, "0");

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

const freshDatabaseUrl = async (dir: string): Promise<{ url: string; drop: () => Promise<void> }> => {
  if (DATABASE !== "postgres") return { url: `file:${join(dir, "bench.db")}`, drop: async () => {} };
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

/** The real server, or (THROTTLE=off) the same App composed with throttling off. */
const start = async (config: ReturnType<typeof loadConfig>) => {
  if (THROTTLE) return startServer({ config, logger: pino({ level: "silent" }) });
  const db = await openDatabase(config.DATABASE_URL);
  const app = await createGitHubApp({
    config,
    db,
    logger: pino({ level: "silent" }),
    Octokit: ProbotOctokit.defaults((options: Record<string, unknown>) => ({
      ...options,
      throttle: { ...(options.throttle as object | undefined), enabled: false },
    })) as typeof ProbotOctokit,
  });
  const server = createServer((req, res) => {
    void app.middleware(req, res).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.stop();
      await db.close();
    },
  };
};

const prPayload = (number: number, sha: string) => {
  const payload = examplePayload("pull_request", "opened");
  payload.installation = { id: 7 };
  payload.repository = {
    ...payload.repository,
    id: 99,
    name: "bench",
    full_name: "bench/bench",
    owner: { ...payload.repository.owner, login: "bench" },
  };
  payload.pull_request = { ...payload.pull_request, number, head: { ...payload.pull_request.head, sha } };
  return payload;
};

const waitForCompleted = (fake: FakeGitHub, sha: string, timeoutMs = 600_000) =>
  new Promise<number>((resolve, reject) => {
    const done = [...fake.checkRuns.values()].find((r) => r.head_sha === sha && r.status === "completed");
    if (done?.completedAt) return resolve(done.completedAt);
    const timer = setTimeout(() => reject(new Error(`check run for ${sha} did not complete`)), timeoutMs);
    fake.onCheckCompleted((run) => {
      if (run.head_sha !== sha) return;
      clearTimeout(timer);
      resolve(run.completedAt ?? Date.now());
    });
  });

const appConfig = (databaseUrl: string, apiUrl: string, workers: string) =>
  loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    DATABASE_URL: databaseUrl,
    APP_ID: "1",
    PRIVATE_KEY: process.env.BENCH_PRIVATE_KEY ?? testPrivateKey(),
    WEBHOOK_SECRET: SECRET,
    GITHUB_API_URL: apiUrl,
    JOB_WORKERS: workers,
    LOG_LEVEL: "silent",
  });

/** `--worker`: a separate process that only runs jobs (what another instance does in production). */
const runWorker = async () => {
  const server = await start(
    appConfig(process.env.BENCH_DATABASE_URL!, process.env.BENCH_GITHUB_URL!, WORKERS),
  );
  process.on("SIGTERM", () => {
    void server.close().then(() => process.exit(0));
  });
  process.send?.("ready");
};

const spawnWorker = (databaseUrl: string, apiUrl: string): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, "--worker"], {
      env: {
        ...process.env,
        BENCH_DATABASE_URL: databaseUrl,
        BENCH_GITHUB_URL: apiUrl,
        BENCH_PRIVATE_KEY: testPrivateKey(),
      },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    child.once("message", () => resolve(child));
    child.once("exit", (code) => reject(new Error(`worker exited with ${code}`)));
  });

const concurrentDeliveries = async ({
  label,
  url,
  fake,
  addPull,
  first,
}: {
  label: string;
  url: string;
  fake: FakeGitHub;
  addPull: (n: number) => string;
  first: number;
}) => {
  const numbers = Array.from({ length: CONCURRENT }, (_, i) => first + i);
  const shas = numbers.map(addPull);
  const started = Date.now();
  const acks = await Promise.all(
    numbers.map((n, i) =>
      sendDelivery({ url, secret: SECRET, event: "pull_request", payload: prPayload(n, shas[i]!) }),
    ),
  );
  const latencies = acks.map((a) => a.ms);
  console.log(
    `\n${CONCURRENT} concurrent deliveries, ${label}: ack p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms; statuses ${[...new Set(acks.map((a) => a.status))].join(",")}`,
  );
  const finished = await Promise.all(shas.map((sha) => waitForCompleted(fake, sha)));
  const lastDone = Math.max(...finished) - started;
  console.log(
    `  all ${CONCURRENT} check runs completed ${lastDone} ms after the first delivery (${((CONCURRENT / lastDone) * 1000).toFixed(1)} PRs/s, ${WORKERS} workers)`,
  );
};

const main = async () => {
  const dir = mkdtempSync(join(tmpdir(), "covenant-bench-app-"));
  const database = await freshDatabaseUrl(dir);
  const fake = await startFakeGitHub();
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
  const config = appConfig(database.url, fake.url, WORKERS);
  const server = await start(config);
  console.log(
    `Covenant App bench: ${MIGRATIONS} migrations, ${PR_FILES}-file PRs, ${DATABASE}, ${WORKERS} workers, throttling ${THROTTLE ? "on (production)" : "off"}`,
  );

  const analyse = async (number: number) => {
    const sha = addPull(number);
    fake.resetCounts();
    const sent = Date.now();
    const ack = await sendDelivery({
      url: server.url,
      secret: SECRET,
      event: "pull_request",
      payload: prPayload(number, sha),
    });
    if (ack.status !== 200) throw new Error(`delivery rejected: ${ack.status}`);
    const completed = await waitForCompleted(fake, sha);
    // Comment and review requests follow the check run; let them land before counting.
    await new Promise((resolve) => setTimeout(resolve, THROTTLE ? 4500 : 300));
    const counts = fake.counts();
    return {
      ms: completed - sent,
      ackMs: ack.ms,
      requests: Object.values(counts).reduce((a, b) => a + b, 0),
      counts,
    };
  };

  const cold = await analyse(1);
  const warm = await analyse(2);
  const show = (label: string, r: typeof cold) => {
    console.log(
      `\n${label}: ${r.requests} GitHub requests, delivery -> completed check run ${r.ms} ms (ack ${r.ackMs.toFixed(1)} ms)`,
    );
    for (const [route, n] of Object.entries(r.counts).sort())
      console.log(`  ${String(n).padStart(3)}  ${route}`);
  };
  show("cold (first PR on this base: base tree + all migrations read and replayed)", cold);
  show("warm (base replay cached by commit SHA)", warm);

  await concurrentDeliveries({
    label: "one instance receiving and analysing",
    url: server.url,
    fake,
    addPull,
    first: 100,
  });
  await server.close();
  // Production topology: the receiving instance runs no jobs; another process does.
  // One after the other: both migrate the database first, and two engines must not race on it.
  const receiver = await start(appConfig(database.url, fake.url, "0"));
  const worker = await spawnWorker(database.url, fake.url);
  await concurrentDeliveries({
    label: "receive-only instance (JOB_WORKERS=0), jobs in another process",
    url: receiver.url,
    fake,
    addPull,
    first: 1000,
  });
  await receiver.close();
  worker.kill("SIGTERM");
  await new Promise((resolve) => worker.once("exit", resolve));
  console.log(
    `  OpenAPI conformance problems in ${fake.conformance.requests.length} requests: ${fake.conformance.problems.length}`,
  );
  for (const problem of fake.conformance.problems.slice(0, 5)) console.log(`    ${problem}`);

  await fake.close();
  await database.drop();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
};

(process.argv.includes("--worker") ? runWorker() : main()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
