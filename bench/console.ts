// Console benchmark: `npm run bench:console`. On SQLite and on PostgreSQL (a fresh, uniquely named
// database each, dropped afterwards) the real server (src/main.ts) gets an installation with
// CONTRACTS contracts, VIOLATIONS violations (a tenth of them waived, a fiftieth found by validating
// data rather than on a pull request) and analyses, repositories, data sources, validation runs and
// scans in proportion; then every console page (signed in with a key) and every /api/v1 list route
// is requested ROUNDS times in a row (after two warm-up requests). The server time (the full
// response over loopback) is printed as median and p95 per database, side by side, against the
// goal: a median under 200 ms for each page and route.
//   CONTRACTS=10000 VIOLATIONS=100000 ROUNDS=15 DATABASES=sqlite,postgres npm run bench:console
// KEEP_DATABASE=1 keeps the seeded databases (their URLs are printed) to study query plans;
// ONLY=overview,origin= measures just the pages and routes whose path contains one of those.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { loadConfig } from "../src/config.ts";
import { createApiKey } from "../src/db/api-keys.ts";
import type { Db } from "../src/db/client.ts";
import { createInstallation } from "../src/db/installations.ts";
import { startServer } from "../src/main.ts";
import { type DatabaseKind, reserveApiTestDatabase } from "../test/helpers/api-db.ts";

const CONTRACTS = Number(process.env.CONTRACTS ?? 10_000);
const VIOLATIONS = Number(process.env.VIOLATIONS ?? 100_000);
const ROUNDS = Number(process.env.ROUNDS ?? 15);
const GOAL_MS = 200;
const ONLY = (process.env.ONLY ?? "")
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean);
const chosen = (path: string) => ONLY.length === 0 || ONLY.some((part) => path.includes(part));
const DATABASES = (process.env.DATABASES ?? "sqlite,postgres")
  .split(",")
  .map((s) => s.trim())
  .filter((s): s is DatabaseKind => s === "sqlite" || s === "postgres");
// In proportion: a repository per 200 contracts, an analysis per 20 violations, a scan per 100 contracts.
const REPOSITORIES = Math.max(1, Math.round(CONTRACTS / 200));
const ANALYSES = Math.max(1, Math.round(VIOLATIONS / 20));
const SOURCES = 5;
const SCANS = Math.max(1, Math.round(CONTRACTS / 100));
const VALIDATION_RUNS = SCANS;
/** Every DATA_EVERY-th violation was found by a validation run (no pull request). */
const DATA_EVERY = 50;
const GITHUB_ID = 4242;
const RULES = [
  "column-removed",
  "column-type-changed",
  "column-became-nullable",
  "contract-column-missing",
  "required-column-added",
  "dataset-removed",
];
const LEVELS = ["RECORD", "NOTIFY", "ALERT", "BLOCK"];

const CONTRACT_YAML = (i: number) => `name: contract_${i}
version: 1.0.0
owner: "@acme/team-${i % 20}"
enforcement: ${LEVELS[i % 4]}
dataset: { type: table, name: public.table_${i} }
schema:
  primary_key: [id]
  columns:
    - { name: id, type: bigint, required: true }
    - { name: email, type: string, pii: true }
    - { name: status, type: string, required: true }
`;

type Value = string | number | null;

/**
 * Rows written in bulk, many to a statement (Prisma's createMany costs about a millisecond of CPU
 * a row here, which made seeding the slowest part of the benchmark). Dates are written as the
 * client writes them (ISO text with +00:00 on SQLite), ids are made up and unique.
 */
const insertRows = async (db: Db, table: string, rows: Record<string, Value | Date>[]) => {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const perStatement = Math.floor(30_000 / columns.length);
  const stamp = (v: Value | Date): Value =>
    v instanceof Date
      ? db.provider === "sqlite"
        ? v.toISOString().replace("Z", "+00:00")
        : v.toISOString()
      : v;
  for (let i = 0; i < rows.length; i += perStatement) {
    const chunk = rows.slice(i, i + perStatement);
    const values: Value[] = [];
    const tuples = chunk.map((row) => {
      const marks = columns.map((c) => {
        values.push(stamp(row[c] ?? null));
        return db.provider === "sqlite" ? "?" : `$${values.length}`;
      });
      return `(${marks.join(",")})`;
    });
    await db.$executeRawUnsafe(
      `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(",")}) VALUES ${tuples.join(",")}`,
      ...values,
    );
  }
};

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** What an installed organization accumulates, dated over the last 120 days. */
const seed = async (db: Db) => {
  const now = new Date();
  const ago = (i: number, spreadMinutes: number) =>
    new Date(now.getTime() - ((i * 7919) % spreadMinutes) * 60_000);
  const installation = await createInstallation(db, { accountLogin: "acme", githubId: GITHUB_ID });
  const installationId = installation.id;
  const { secret: key } = await createApiKey(db, { installationId, name: "bench", scope: "admin" });
  const repos = range(REPOSITORIES).map((i) => ({ id: `repo${i}`, fullName: `acme/repo-${i}` }));
  await insertRows(
    db,
    "Repository",
    repos.map((r, i) => ({ ...r, installationId, githubId: 1000 + i, updatedAt: now })),
  );
  const repoOf = (i: number) => repos[i % repos.length]!;
  await insertRows(
    db,
    "RepoPolicy",
    repos
      .filter((_, i) => i % 3 === 0)
      .map((r) => ({
        id: `pol-${r.id}`,
        installationId,
        repoFullName: r.fullName,
        maxLevel: "NOTIFY",
        updatedAt: now,
      })),
  );
  const statuses = ["active", "active", "active", "draft", "deprecated"];
  const contracts = range(CONTRACTS).map((i) => ({ id: `ctr${i}`, name: `contract_${i}` }));
  await insertRows(
    db,
    "Contract",
    contracts.map((c, i) => ({
      ...c,
      installationId,
      status: statuses[i % statuses.length]!,
      enforcement: LEVELS[i % 4]!,
      datasetType: "table",
      datasetName: `public.table_${i}`,
      owners: `,@acme/team-${i % 20},`,
      version: "1.0.0",
      contents: CONTRACT_YAML(i),
      checksum: `c${i}`,
      repositoryId: i % 2 === 0 ? repoOf(i).id : null,
      filePath: i % 2 === 0 ? `contracts/contract_${i}.yaml` : null,
      createdAt: new Date(now.getTime() - (CONTRACTS - i) * 60_000),
      updatedAt: now,
    })),
  );
  await insertRows(
    db,
    "ContractVersion",
    contracts.map((c, i) => ({
      id: `ver${i}`,
      contractId: c.id,
      version: "1.0.0",
      status: "active",
      contents: CONTRACT_YAML(i),
      checksum: `c${i}`,
    })),
  );
  // Violations concentrate on a fifth of the contracts (the often-broken ones), ten per pull request.
  const hot = contracts.slice(0, Math.max(1, Math.floor(contracts.length / 5)));
  const sources = range(SOURCES).map((i) => ({ id: `src${i}`, name: `warehouse-${i}` }));
  await insertRows(
    db,
    "DataSource",
    sources.map((s, i) => ({
      ...s,
      installationId,
      kind: "sqlite",
      location: `warehouse-${i}.db`,
      updatedAt: now,
    })),
  );
  // Validation runs of the often-broken contracts against the sources, over the last 30 days.
  const runContract = (r: number) => hot[r % hot.length]!;
  await insertRows(
    db,
    "ValidationRun",
    range(VALIDATION_RUNS).map((r) => ({
      id: `run${r}`,
      installationId,
      contractId: runContract(r).id,
      contractVersion: "1.0.0",
      status: "failed",
      rowsEvaluated: 10_000,
      rulesPassed: 4,
      rulesFailed: 1,
      sourceId: sources[r % sources.length]!.id,
      table: `public.${runContract(r).name}`,
      createdAt: ago(r, 30 * 24 * 60),
      finishedAt: ago(r, 30 * 24 * 60),
    })),
  );
  const vStatuses = [
    "open",
    "open",
    "open",
    "open",
    "open",
    "open",
    "acknowledged",
    "resolved",
    "waived",
    "open",
  ];
  await insertRows(
    db,
    "Violation",
    range(VIOLATIONS).map((i) => {
      const fromData = i % DATA_EVERY === DATA_EVERY - 1;
      const run = Math.floor(i / DATA_EVERY) % VALIDATION_RUNS;
      const contract = fromData ? runContract(run) : hot[(i * 31) % hot.length]!;
      const repo = repoOf(Math.floor(i / 10));
      const pr = 1 + (Math.floor(i / 10) % 500);
      const status = vStatuses[i % vStatuses.length]!;
      const detectedAt = ago(i, 120 * 24 * 60);
      const rule = RULES[i % RULES.length]!;
      return {
        id: `vio${i}`,
        installationId,
        contractId: contract.id,
        contractName: contract.name,
        contractVersion: "1.0.0",
        repositoryId: fromData ? null : repo.id,
        validationRunId: fromData ? `run${run}` : null,
        dedupeKey: `v${i}`,
        fingerprint: `${rule}:${contract.name}:col_${i % 7}`,
        rule,
        severity: i % 3 === 0 ? "warning" : "error",
        enforcement: LEVELS[i % 4]!,
        dataset: `public.${contract.name}`,
        column: `col_${i % 7}`,
        message: `Column public.${contract.name}.col_${i % 7} is dropped`,
        file: fromData ? null : `db/migrations/${String(i % 900).padStart(4, "0")}_change.sql`,
        line: fromData ? null : 1 + (i % 40),
        gitHash: fromData ? null : (i * 2654435761).toString(16).padStart(12, "0").slice(0, 12),
        gitRepo: fromData ? null : repo.fullName,
        prNumber: fromData ? null : pr,
        prLink: fromData ? null : `https://github.com/${repo.fullName}/pull/${pr}`,
        author: fromData ? null : `dev-${i % 40}`,
        status,
        waivedAt: status === "waived" ? new Date(detectedAt.getTime() + 3_600_000) : null,
        waivedBy: status === "waived" ? `owner-${i % 9}` : null,
        waiverReason: status === "waived" ? "migration coordinated with consumers" : null,
        resolvedAt: status === "resolved" ? detectedAt : null,
        resolvedBy: status === "resolved" ? "bench" : null,
        detectedAt,
        updatedAt: now,
      };
    }),
  );
  // Analyses: the App's jobs and the check runs they published, over the last 90 days.
  const sha = (i: number) => (i * 40503 + 1).toString(16).padStart(40, "a");
  await insertRows(
    db,
    "Job",
    range(ANALYSES).map((i) => {
      const [owner, name] = repoOf(i).fullName.split("/");
      return {
        id: `job${i}`,
        kind: "github.analyze",
        dedupeKey: `analyze:${GITHUB_ID}:${repoOf(i).fullName}#${1 + (i % 500)}@${sha(i)}`,
        payload: JSON.stringify({
          installationId: GITHUB_ID,
          owner,
          repo: name,
          pullNumber: 1 + (i % 500),
          headSha: sha(i),
          deliveryId: `d-${i}`,
        }),
        status: i % 50 === 0 ? "failed" : "done",
        attempts: 1,
        lastError: i % 50 === 0 ? "GitHub answered 502" : null,
        githubInstallationId: GITHUB_ID,
        createdAt: ago(i, 90 * 24 * 60),
        updatedAt: now,
      };
    }),
  );
  await insertRows(
    db,
    "CheckRecord",
    range(ANALYSES).map((i) => ({
      id: `chk${i}`,
      repositoryId: repoOf(i).id,
      headSha: sha(i),
      prNumber: 1 + (i % 500),
      checkRunId: 10_000 + i,
      conclusion: ["success", "neutral", "failure"][i % 3]!,
      createdAt: ago(i, 90 * 24 * 60),
      updatedAt: ago(i, 90 * 24 * 60),
    })),
  );
  await insertRows(
    db,
    "Scan",
    range(SCANS).map((i) => ({
      id: `scan${i}`,
      installationId,
      contractId: contracts[i % contracts.length]!.id,
      contractVersion: "1.0.0",
      sourceId: sources[i % sources.length]!.id,
      status: i === 0 ? "running" : i % 7 === 0 ? "failed" : "passed",
      createdAt: i === 0 ? now : ago(i, 30 * 24 * 60),
    })),
  );
  await insertRows(
    db,
    "ScanLog",
    range(50).map((i) => ({
      id: `log${i}`,
      scanId: "scan0",
      level: "info",
      message: `read ${i * 1000} rows`,
      at: new Date(now.getTime() - (50 - i) * 1000),
    })),
  );
  return { key, contractId: hot[0]!.id, scanId: "scan0", repo: repoOf(0).fullName };
};

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

type Row = { db: string; what: string; status: number; bytes: number; median: number; p95: number };

/** ROUNDS sequential requests after two warm-ups: the time until the whole body has arrived. */
const measure = async (url: string, headers: Record<string, string>) => {
  const times: number[] = [];
  let status = 0;
  let bytes = 0;
  for (let i = 0; i < ROUNDS + 2; i++) {
    const t = performance.now();
    const res = await fetch(url, { headers, redirect: "manual" });
    const body = await res.arrayBuffer();
    if (i >= 2) times.push(performance.now() - t);
    status = res.status;
    bytes = body.byteLength;
  }
  times.sort((a, b) => a - b);
  return { status, bytes, median: percentile(times, 50), p95: percentile(times, 95) };
};

const benchOne = async (kind: DatabaseKind): Promise<Row[]> => {
  const database = await reserveApiTestDatabase(kind);
  const dir = mkdtempSync(join(tmpdir(), "covenant-bench-console-"));
  const server = await startServer({
    config: loadConfig({
      PORT: "0",
      HOST: "127.0.0.1",
      DATABASE_URL: database.url,
      JOB_WORKERS: "0",
      ANALYSIS_THREADS: "0",
      API_RATE_LIMIT_PER_MINUTE: "1000000000",
    }),
    logger: pino({ level: "warn" }),
    env: {},
    envFile: join(dir, ".env"),
  });
  try {
    const t0 = performance.now();
    const { key, contractId, scanId, repo } = await seed(server.db);
    // What autovacuum does soon after a bulk load: the planner gets the tables' statistics, and
    // the visibility map lets it answer from an index alone.
    if (server.db.provider !== "sqlite") await server.db.$executeRawUnsafe("VACUUM ANALYZE");
    console.error(`${kind}: seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const login = await fetch(`${server.url}/login`, {
      method: "POST",
      body: new URLSearchParams({ key }),
      redirect: "manual",
    });
    const cookie = login.headers.get("set-cookie")?.split(";")[0];
    if (login.status !== 303 || !cookie) throw new Error(`sign-in failed: HTTP ${login.status}`);
    // Every page of src/console/pages (the list pages also with their filters), and every
    // /api/v1 GET route that answers a list or an aggregate. Not here: /lineage (one repository's
    // default-branch snapshot, measured by bench:lineage) and /sources/{id}/tables (reads the
    // data source itself, not this database).
    const pages = [
      "/login",
      "/overview",
      "/overview?days=365",
      "/repositories",
      `/repositories/${repo}`,
      "/contracts",
      "/contracts?q=contract_99",
      "/contracts?owner=@acme/team-3&status=active",
      `/contracts/${contractId}`,
      "/violations",
      "/violations?status=open",
      `/violations?repo=${repo}&rule=column-removed`,
      `/violations?contract=${contractId}`,
      "/violations?origin=pr",
      "/violations?origin=data",
      "/analyses",
      `/analyses?repo=${repo}`,
      "/analyses?status=failed",
      "/data",
      `/scans/${scanId}`,
      "/keys",
    ];
    const routes = [
      "/installations",
      "/overview?days=30",
      "/overview?days=365",
      "/repositories?size=50",
      "/policies",
      `/repos/${repo}/policy`,
      `/repos/${repo}/dry-run`,
      "/contracts?size=50",
      "/contracts?size=50&q=contract_99",
      `/contracts/${contractId}`,
      `/contracts/${contractId}/versions?size=100`,
      `/contracts/${contractId}/violations?size=10`,
      `/contracts/${contractId}/scans?size=10`,
      `/contracts/${contractId}/assignments`,
      "/violations?size=50",
      "/violations?size=50&status=open",
      `/violations?size=50&repo=${repo}&rule=column-removed`,
      "/violations?size=50&origin=pr",
      "/violations?size=50&origin=data",
      "/waivers?size=20",
      "/analyses?size=50",
      `/analyses?size=50&repo=${repo}`,
      "/scans?size=50",
      `/scans/${scanId}/logs`,
      "/sources?size=100",
      "/api-keys",
    ];
    const rows: Row[] = [];
    for (const path of pages.filter(chosen)) {
      const headers: Record<string, string> = path === "/login" ? {} : { cookie };
      rows.push({ db: kind, what: path, ...(await measure(`${server.url}${path}`, headers)) });
    }
    for (const path of routes.filter(chosen)) {
      rows.push({
        db: kind,
        what: `GET /api/v1${path}`,
        ...(await measure(`${server.url}/api/v1${path}`, { authorization: `Bearer ${key}` })),
      });
    }
    return rows;
  } finally {
    await server.close();
    if (process.env.KEEP_DATABASE) console.error(`${kind}: kept the seeded database at ${database.url}`);
    else await database.drop();
    rmSync(dir, { recursive: true, force: true });
  }
};

const main = async () => {
  const rows: Row[] = [];
  for (const kind of DATABASES) rows.push(...(await benchOne(kind)));
  // One line a page or route, the databases side by side; "met" is the goal on the median.
  const whats = [...new Set(rows.map((r) => r.what))];
  const width = Math.max(...whats.map((w) => w.length));
  const cell = (r: Row | undefined) => {
    if (!r) return "".padEnd(31);
    const met = r.status >= 400 ? `HTTP ${r.status}` : r.median < GOAL_MS ? "yes" : "NO";
    return `${r.median.toFixed(1).padStart(8)} ${r.p95.toFixed(1).padStart(8)} ${String(Math.round(r.bytes / 1024)).padStart(4)} ${met.padEnd(8)}`;
  };
  console.log(
    `\nConsole pages and API list routes with ${CONTRACTS} contracts, ${VIOLATIONS} violations, ${ANALYSES} analyses, ${REPOSITORIES} repositories; ${ROUNDS} requests each.`,
  );
  console.log(`Server time in ms (the whole response over loopback). Goal: a median under ${GOAL_MS} ms.\n`);
  console.log(`${"".padEnd(width + 2)}${DATABASES.map((d) => `| ${d.padEnd(31)}`).join("")}`);
  console.log(
    `${"page or route".padEnd(width + 2)}${DATABASES.map(() => `| ${"median".padStart(8)} ${"p95".padStart(8)} ${"kB".padStart(4)} ${"met".padEnd(8)}`).join("")}`,
  );
  for (const what of whats) {
    console.log(
      `${what.padEnd(width + 2)}${DATABASES.map((d) => `| ${cell(rows.find((r) => r.db === d && r.what === what))}`).join("")}`,
    );
  }
  console.log("");
  for (const kind of DATABASES) {
    const mine = rows.filter((r) => r.db === kind);
    const missed = mine.filter((r) => r.status >= 400 || r.median >= GOAL_MS);
    console.log(
      missed.length === 0
        ? `${kind}: goal met by all ${mine.length} pages and routes (slowest median ${Math.max(...mine.map((r) => r.median)).toFixed(1)} ms).`
        : `${kind}: goal missed by ${missed.length} of ${mine.length}: ${missed.map((r) => r.what).join(", ")}.`,
    );
  }
  process.exitCode = rows.some((r) => r.status >= 400) ? 1 : 0;
  // The PostgreSQL schema engine leaves a timer behind (see the toolchain notes).
  setTimeout(() => process.exit(), 100).unref();
};

await main();
