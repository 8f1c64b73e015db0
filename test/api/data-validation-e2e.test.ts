// End to end through the real server (src/main.ts): a SQLite file and PostgreSQL databases as data
// sources, synchronous validation with its statement timeout, scans on the job queue (one that
// completes, one cancelled while its query runs), and the server's own log checked for secrets.
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sourceVariableName } from "../../src/sources/source-location.ts";
import { caller } from "../helpers/api-server.ts";
import { type CovenantServer, startCovenant } from "../helpers/covenant-server.ts";
import type { TestPgDatabase } from "../helpers/pg-database.ts";
import {
  BROKEN_ORDERS,
  CLEAN_ORDERS,
  makePgSource,
  makeSourceFiles,
  ORDERS_CONTRACT,
  type SourceFiles,
  writeSqliteOrders,
} from "../helpers/source-fixtures.ts";

const PASSWORD = "e2e-Pw-7731";
const BIG_ROWS = 3_000_000;

// Many regex rules over millions of rows: a scan that runs for seconds, so it can be cancelled mid-query.
const SLOW_CONTRACT = `${ORDERS_CONTRACT.replace("name: orders", "name: orders_slow")}${Array.from(
  { length: 12 },
  (_, i) =>
    `  - { id: email_shape_${i}, type: regex, column: email, pattern: '^[a-z]+[0-9]*@(example|sample${i})\\.(com|org)$' }\n`,
).join("")}`;

let files: SourceFiles;
let small: TestPgDatabase;
let big: TestPgDatabase;

beforeAll(async () => {
  files = makeSourceFiles();
  small = await makePgSource(BROKEN_ORDERS);
  big = await makePgSource(CLEAN_ORDERS, { extraRows: BIG_ROWS });
}, 120_000);

afterAll(async () => {
  await small?.drop();
  await big?.drop();
  files?.cleanup();
});

describe.each(["sqlite", "postgres"] as const)("data validation end to end (Covenant on %s)", (kind) => {
  let cov: CovenantServer;
  let call: ReturnType<typeof caller>;
  const env: Record<string, string | undefined> = {};
  const ids: Record<string, string> = {};
  let variable: (name: string) => string;
  let shopFile: string;

  const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => {
    for (let i = 0; i < 1200; i++) {
      const value = await probe();
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  beforeAll(async () => {
    cov = await startCovenant({
      kind,
      filesRoot: files.root,
      env,
      config: { VALIDATE_TIMEOUT_MS: "1500", SOURCE_HOSTS: "127.0.0.1" },
    });
    const installationId = cov.tenant.installation.id;
    variable = (name) => sourceVariableName(installationId, name);
    shopFile = join(files.forInstallation(installationId), "shop.db");
    env[variable("SMALL")] = small.urlWithPassword(PASSWORD);
    env[variable("BIG")] = big.urlWithPassword(PASSWORD);
    env[variable("DOWN")] = `postgresql://postgres:${PASSWORD}@127.0.0.1:1/nowhere`;
    call = caller(cov.base, () => cov.tenant.manage);
    for (const [name, body] of [
      ["shop", { location: "shop.db" }],
      ["small", { location_env: variable("SMALL") }],
      ["big", { location_env: variable("BIG") }],
    ] as const) {
      const res = await call("POST", "/sources", { name, ...body });
      expect(res.status, res.text).toBe(201);
      ids[name] = res.body.id;
    }
    for (const contents of [ORDERS_CONTRACT, SLOW_CONTRACT]) {
      const res = await call("POST", "/contracts", { contents });
      expect(res.status, res.text).toBe(201);
      ids[res.body.name] = res.body.id;
    }
  }, 60_000);

  afterAll(async () => {
    await cov?.close();
  });

  it("validates SQLite and PostgreSQL sources synchronously, and times out on a table too big for it", async () => {
    writeSqliteOrders(shopFile, BROKEN_ORDERS);
    const shop = await call("POST", `/contracts/${ids.orders}/validate`, { source_id: ids.shop });
    expect(shop.status, shop.text).toBe(201);
    expect(shop.body).toMatchObject({
      passed: false,
      table: "main.orders",
      rows_evaluated: 4,
      rules_failed: 2,
    });
    const pgRun = await call("POST", `/contracts/${ids.orders}/validate`, { source_id: ids.small });
    expect(pgRun.status, pgRun.text).toBe(201);
    expect(pgRun.body).toMatchObject({
      passed: false,
      table: "public.orders",
      rows_evaluated: 4,
      rules_failed: 2,
    });

    const tooBig = await call("POST", `/contracts/${ids.orders_slow}/validate`, { source_id: ids.big });
    expect(tooBig.status, tooBig.text).toBe(504);
    expect(tooBig.body.code).toBe("timeout");
    const sampled = await call("POST", `/contracts/${ids.orders}/validate`, {
      source_id: ids.big,
      sample_limit: 1000,
    });
    expect(sampled.status, sampled.text).toBe(201);
    expect(sampled.body).toMatchObject({ passed: true, rows_evaluated: 1000 });

    const down = await call("POST", "/sources", { name: "down", location_env: variable("DOWN") });
    expect(down.status).toBe(502);
    expect(down.body.message).toContain(variable("DOWN"));
  });

  it("runs a scan to completion on the job queue", async () => {
    writeSqliteOrders(shopFile, CLEAN_ORDERS);
    const queued = await call("POST", `/contracts/${ids.orders}/verify`, { source_id: ids.shop });
    expect(queued.status, queued.text).toBe(201);
    const done = await waitFor("the scan to finish", async () => {
      const scan = await call("GET", `/scans/${queued.body.id}`);
      return ["queued", "running"].includes(scan.body.status) ? undefined : scan;
    });
    expect(done.body).toMatchObject({
      status: "passed",
      error: null,
      result: { passed: true, rows_evaluated: 4 },
    });
    // The violations the earlier synchronous run recorded against this table are resolved as fixed.
    const open = await call("GET", `/violations?source_id=${ids.shop}&status=open`);
    expect(open.body.total_elements).toBe(0);
    const resolved = await call("GET", `/violations?source_id=${ids.shop}&status=resolved`);
    expect(resolved.body.total_elements).toBe(2);
    expect(resolved.body.content[0].notes).toContain(done.body.validation_run_id);
  });

  it("cancels a scan while its query runs in PostgreSQL", async () => {
    const queued = await call("POST", `/contracts/${ids.orders_slow}/verify`, { source_id: ids.big });
    expect(queued.status, queued.text).toBe(201);
    const id = queued.body.id as string;
    // Cancel once the aggregate scan has been sent to the database.
    await waitFor("the aggregate query to start", async () => {
      const logs = await call("GET", `/scans/${id}/logs`);
      return logs.body.content.some((l: { message: string }) => l.message.startsWith("scanning"))
        ? true
        : undefined;
    });
    const cancel = await call("POST", `/scans/${id}/cancel`);
    expect(cancel.status, cancel.text).toBe(202);
    expect(cancel.body).toMatchObject({ status: "running", cancel_requested: true });
    const ended = await waitFor("the scan to stop", async () => {
      const scan = await call("GET", `/scans/${id}`);
      return scan.body.status === "running" ? undefined : scan;
    });
    expect(ended.body).toMatchObject({ status: "cancelled", validation_run_id: null, result: null });
    const logs = await call("GET", `/scans/${id}/logs`);
    expect(logs.body.done).toBe(true);
    expect(logs.body.content.map((l: { message: string }) => l.message)).toContain(
      "Cancelled while running.",
    );
    // The query itself was cancelled in PostgreSQL, not left running.
    const admin = new pg.Client({ connectionString: big.url });
    await admin.connect();
    try {
      const active = await waitFor("the query to end", async () => {
        const { rows } = await admin.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND pid <> pg_backend_pid()",
          [big.name],
        );
        return rows[0].n === 0 ? rows[0].n : undefined;
      });
      expect(active).toBe(0);
    } finally {
      await admin.end();
    }
    expect((await call("POST", `/scans/${id}/cancel`)).status).toBe(409);
  });

  it("answers /healthz, and never writes a password to a response or the server log", async () => {
    const health = await fetch(`${cov.base}/healthz`);
    expect(health.status).toBe(200);
    for (const path of ["/sources", `/sources/${ids.small}`, `/contracts/${ids.orders}/scans`]) {
      const res = await call("GET", path);
      expect(res.status).toBe(200);
      expect(res.text).not.toContain(PASSWORD);
    }
    expect(cov.logs.length).toBeGreaterThan(0);
    expect(cov.logs.join("\n")).not.toContain(PASSWORD);
  });
});
