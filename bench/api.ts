// REST API benchmark: `npm run bench:api`. On SQLite and on PostgreSQL (a fresh database each):
// create CONTRACTS contracts through the API, then measure list and get latency (p50/p99) and
// throughput with CONCURRENCY clients for DURATION_S seconds each. The server runs in this
// process; clients use keep-alive HTTP connections. LIMITS says where the rate limits count:
// `database` (the server's default), `redis` (REDIS_URL, default redis://127.0.0.1:6379) or
// `memory` (one process's, for comparison: what a request costs without the shared buckets).
//   CONTRACTS=10000 CONCURRENCY=50 DURATION_S=5 DATABASES=sqlite,postgres LIMITS=database npm run bench:api
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import pg from "pg";
import { createApi } from "../src/api/create-api.ts";
import { createApiKey } from "../src/db/api-keys.ts";
import { type Db, openDatabase } from "../src/db/client.ts";
import { listContracts } from "../src/db/contracts.ts";
import { createInstallation } from "../src/db/installations.ts";
import {
  type BucketStore,
  databaseBuckets,
  memoryBuckets,
  redisBuckets,
} from "../src/db/rate-limit-buckets.ts";
import { createRedisClient } from "../src/db/redis.ts";

const CONTRACTS = Number(process.env.CONTRACTS ?? 10_000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 50);
const DURATION_S = Number(process.env.DURATION_S ?? 5);
const DATABASES = (process.env.DATABASES ?? "sqlite,postgres").split(",").map((s) => s.trim());
const ADMIN_URL = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const LIMITS = process.env.LIMITS ?? "database";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** Where the rate limits count (see LIMITS). */
const bucketsFor = (db: Db): BucketStore => {
  if (LIMITS === "memory") return memoryBuckets();
  if (LIMITS === "redis")
    return redisBuckets({
      client: createRedisClient(REDIS_URL),
      fallback: databaseBuckets(db),
      logger: { warn: (o, m) => console.error(m, o), info: (o, m) => console.error(m, o) },
    });
  if (LIMITS === "database") return databaseBuckets(db);
  throw new Error(`LIMITS=${LIMITS}: use database, redis or memory`);
};

type Row = {
  db: string;
  phase: string;
  requests: number;
  errors: number;
  seconds: number;
  p50: number;
  p99: number;
};

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

const request = (
  base: URL,
  method: string,
  path: string,
  key: string,
  body?: unknown,
): Promise<{ status: number; text: string }> =>
  new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: base.hostname,
        port: base.port,
        method,
        path: `/api/v1${path}`,
        agent,
        headers: {
          authorization: `Bearer ${key}`,
          ...(payload
            ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }
            : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(payload);
  });

const percentile = (sorted: number[], p: number): number =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0);

/** Runs `next` from CONCURRENCY workers until `done()`; returns latencies and errors. */
const load = async (next: (i: number) => Promise<number>, done: (started: number, t0: number) => boolean) => {
  const latencies: number[] = [];
  let errors = 0;
  let started = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (!done(started, t0)) {
      const i = started++;
      const t = performance.now();
      const status = await next(i).catch(() => 0);
      latencies.push(performance.now() - t);
      if (status < 200 || status >= 300) errors++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
};

const freshDatabase = async (kind: string): Promise<{ db: Db; drop: () => Promise<void> }> => {
  if (kind === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "covenant-bench-"));
    const db = await openDatabase(`file:${join(dir, "bench.db")}`);
    const drop = async () => {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    };
    return { db, drop };
  }
  const name = `covenant_bench_${randomBytes(4).toString("hex")}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: ADMIN_URL });
    await client.connect();
    await client.query(sql).finally(() => client.end());
  };
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const db = await openDatabase(url.toString());
  const drop = async () => {
    await db.close();
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  };
  return { db, drop };
};

const benchOne = async (kind: string): Promise<Row[]> => {
  const { db, drop } = await freshDatabase(kind);
  const buckets = bucketsFor(db);
  const api = createApi({
    db,
    logger: { error: (o) => console.error(o), warn: () => {} },
    rateLimit: { perMinute: 1_000_000_000 },
    buckets,
  });
  const server = serve({ fetch: api.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const rows: Row[] = [];
  try {
    const installation = await createInstallation(db, { accountLogin: "bench" });
    const { secret: key } = await createApiKey(db, {
      installationId: installation.id,
      name: "bench",
      scope: "admin",
    });
    const ids: string[] = [];
    const created = await load(
      async (i) => {
        const res = await request(base, "POST", "/contracts", key, {
          name: `contract_${i}`,
          owner: i % 10 === 0 ? ["@acme/data", "@alice"] : "@acme/data",
          enforcement: "NOTIFY",
          dataset: { type: "table", name: `public.table_${i}` },
          schema: {
            primary_key: ["id"],
            columns: [
              { name: "id", type: "bigint", required: true },
              { name: "email", type: "string", pii: true },
              { name: "status", type: "string", required: true, accepted_values: ["new", "paid", "shipped"] },
            ],
          },
        });
        if (res.status === 201) ids.push((JSON.parse(res.text) as { id: string }).id);
        else if (ids.length === 0) console.error(res.status, res.text);
        return res.status;
      },
      (started) => started >= CONTRACTS,
    );
    rows.push({ db: kind, phase: `create ${CONTRACTS}`, ...created });

    const pages = Math.max(1, Math.floor(ids.length / 20));
    const timed = (_: number, t0: number) => performance.now() - t0 >= DURATION_S * 1000;
    rows.push({
      db: kind,
      phase: "list (random page)",
      ...(await load(
        async (i) => (await request(base, "GET", `/contracts?size=20&page=${i % pages}`, key)).status,
        timed,
      )),
    });
    // Deep pages by cursor: collect every page's cursor once (through the query function), then
    // request random ones — the keyset continuation a client walking the listing uses.
    const cursors: string[] = [];
    for (let cursor: string | null | undefined; cursor !== null; ) {
      const page = await listContracts(db, installation.id, {}, { size: 20, ...(cursor ? { cursor } : {}) });
      cursor = page.cursor;
      if (cursor) cursors.push(cursor);
    }
    rows.push({
      db: kind,
      phase: "list (by cursor)",
      ...(await load(
        async (i) =>
          (
            await request(
              base,
              "GET",
              `/contracts?size=20&cursor=${cursors[(i * 7919) % cursors.length]}`,
              key,
            )
          ).status,
        timed,
      )),
    });
    rows.push({
      db: kind,
      phase: "list (owner filter)",
      ...(await load(
        async () => (await request(base, "GET", "/contracts?owner=@alice&size=20", key)).status,
        timed,
      )),
    });
    rows.push({
      db: kind,
      phase: "get by id",
      ...(await load(
        async (i) => (await request(base, "GET", `/contracts/${ids[(i * 7919) % ids.length]}`, key)).status,
        timed,
      )),
    });
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
    await buckets.close();
    await drop();
  }
  return rows;
};

const all: Row[] = [];
for (const kind of DATABASES) {
  console.error(`benchmarking ${kind}…`);
  all.push(...(await benchOne(kind)));
}
agent.destroy();

const header = ["database", "phase", "requests", "errors", "seconds", "req/s", "p50 ms", "p99 ms"];
const table = [
  header,
  ...all.map((r) => [
    r.db,
    r.phase,
    String(r.requests),
    String(r.errors),
    r.seconds.toFixed(1),
    (r.requests / r.seconds).toFixed(0),
    r.p50.toFixed(1),
    r.p99.toFixed(1),
  ]),
];
const widths = header.map((_, i) => Math.max(...table.map((row) => (row[i] ?? "").length)));
console.log(
  `\nREST API, ${CONCURRENCY} concurrent clients, rate limits in ${LIMITS}, Node ${process.version}\n`,
);
for (const row of table)
  console.log(row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  "));
