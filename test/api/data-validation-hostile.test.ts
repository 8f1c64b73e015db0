// Hostile input against the real server: SQL injection through a contract's sql rule, a
// regex RE2 cannot run, a request announcing a 1 GB body, a streamed body over the limit, binary
// junk as JSON, and junk registered as a CSV source. Each gets a clear 4xx, nothing runs that
// should not, and the server keeps answering.
import { connect } from "node:net";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContract } from "../../src/db/contracts.ts";
import { sourceVariableName } from "../../src/sources/source-location.ts";
import { caller } from "../helpers/api-server.ts";
import { type CovenantServer, startCovenant } from "../helpers/covenant-server.ts";
import type { TestPgDatabase } from "../helpers/pg-database.ts";
import {
  BROKEN_ORDERS,
  makePgSource,
  makeSourceFiles,
  ORDERS_CONTRACT,
  type SourceFiles,
} from "../helpers/source-fixtures.ts";

const BODY_LIMIT = 64 * 1024;

/** One raw HTTP exchange: writes `head` (and `body`), resolves with the status line once it arrives. */
const rawRequest = (base: string, head: string, body: Buffer | string = ""): Promise<string> =>
  new Promise((resolve, reject) => {
    const { hostname, port } = new URL(base);
    const socket = connect(Number(port), hostname);
    let received = "";
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
      const end = received.indexOf("\r\n");
      if (end >= 0) {
        socket.destroy();
        resolve(received.slice(0, end));
      }
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(received.split("\r\n")[0] ?? ""));
    socket.write(head);
    if (body.length > 0) socket.write(body);
  });

const injections = [
  "amount_cents >= 0; DROP TABLE orders",
  "amount_cents >= 0 OR (SELECT count(*) FROM orders) > 0; DELETE FROM orders; --",
  "amount_cents >= 0) OR (1 = (SELECT 1 FROM pg_catalog.pg_authid LIMIT 1)",
];

const withSqlRule = (name: string, expression: string) =>
  ORDERS_CONTRACT.replace("name: orders", `name: ${name}`).replace(
    'expression: "amount_cents >= 0"',
    () => `expression: ${JSON.stringify(expression)}`,
  );

// RE2 matches every pattern it accepts in linear time; a backreference is what it refuses.
const UNSUPPORTED_REGEX = ORDERS_CONTRACT.replace("name: orders", "name: orders_backref").replace(
  "pattern: '^[^@]+@[^@]+$'",
  // A function, so that `$'` in the pattern is not a replacement pattern.
  () => "pattern: '^(a)\\1$'",
);

describe("hostile input to data validation", () => {
  let files: SourceFiles;
  let pgSource: TestPgDatabase;
  let cov: CovenantServer;
  let call: ReturnType<typeof caller>;
  const env: Record<string, string | undefined> = {};
  const ids: Record<string, string> = {};
  let shopFile: string;

  /** A contract stored as it is, bypassing the API's parser (as if stored before the guards existed). */
  const storeDirectly = async (name: string, contents: string) =>
    (
      await createContract(cov.server.db, {
        installationId: cov.tenant.installation.id,
        name,
        enforcement: "BLOCK",
        datasetType: "table",
        datasetName: "orders",
        owners: ["@acme/data-platform"],
        version: "1.0.0",
        contents,
        checksum: "x",
      })
    ).id;

  beforeAll(async () => {
    files = makeSourceFiles();
    pgSource = await makePgSource(BROKEN_ORDERS);
    cov = await startCovenant({
      kind: "sqlite",
      filesRoot: files.root,
      env,
      config: { API_BODY_LIMIT_BYTES: String(BODY_LIMIT), SOURCE_HOSTS: "127.0.0.1" },
    });
    const pgVariable = sourceVariableName(cov.tenant.installation.id, "PG");
    env[pgVariable] = pgSource.urlWithPassword("hostile-pw");
    shopFile = join(files.forInstallation(cov.tenant.installation.id), "shop.db");
    call = caller(cov.base, () => cov.tenant.manage);
    for (const [name, body] of [
      ["shop", { location: "shop.db" }],
      ["warehouse", { location_env: pgVariable }],
    ] as const) {
      const res = await call("POST", "/sources", { name, ...body });
      expect(res.status, res.text).toBe(201);
      ids[name] = res.body.id;
    }
  }, 60_000);

  afterAll(async () => {
    await cov?.close();
    await pgSource?.drop();
    files?.cleanup();
  });

  it.each(injections.map((expression, i) => [i, expression] as const))(
    "refuses a contract whose sql rule is an injection, with line:column (%i: %s)",
    async (i, expression) => {
      const res = await call("POST", "/contracts", {
        contents: withSqlRule(`orders_injected_${i}`, expression),
      });
      expect(res.status, res.text).toBe(400);
      const detail = res.body.details.find((d: { path: string }) => d.path.startsWith("quality"));
      expect(detail, res.text).toBeDefined();
      expect(detail.line).toBe(15);
      expect(detail.column).toBeGreaterThan(0);
    },
  );

  it("never runs an injected sql rule of a stored contract, against SQLite or PostgreSQL", async () => {
    const scans: string[] = [];
    for (const [i, expression] of injections.entries()) {
      const id = await storeDirectly(
        `stored_injection_${i}`,
        withSqlRule(`stored_injection_${i}`, expression),
      );
      for (const source of [ids.shop, ids.warehouse]) {
        const res = await call("POST", `/contracts/${id}/validate`, { source_id: source });
        expect([400, 422], res.text).toContain(res.status);
        const scan = await call("POST", `/contracts/${id}/verify`, { source_id: source });
        expect(scan.status).toBe(201);
        scans.push(scan.body.id);
      }
    }
    // The scans end in error without running anything either.
    for (const id of scans) {
      let scan = await call("GET", `/scans/${id}`);
      for (let i = 0; i < 400 && ["queued", "running"].includes(scan.body.status); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        scan = await call("GET", `/scans/${id}`);
      }
      expect(scan.body).toMatchObject({ status: "error", validation_run_id: null });
      expect(scan.body.error).toMatch(/quality|sql|contract/i);
    }
    const sqlite = new Database(shopFile, { readonly: true });
    try {
      expect(sqlite.prepare("SELECT count(*) AS n FROM orders").get()).toEqual({ n: BROKEN_ORDERS.length });
    } finally {
      sqlite.close();
    }
    const client = new pg.Client({ connectionString: pgSource.url });
    await client.connect();
    try {
      const { rows } = await client.query("SELECT count(*)::int AS n FROM orders");
      expect(rows[0].n).toBe(BROKEN_ORDERS.length);
    } finally {
      await client.end();
    }
  });

  it("refuses a regex RE2 cannot run when the contract is registered", async () => {
    const res = await call("POST", "/contracts", { contents: UNSUPPORTED_REGEX });
    expect(res.status, res.text).toBe(400);
    expect(res.body.details.some((d: { line?: number }) => d.line === 14)).toBe(true);
  });

  it("never runs a refused regex of a stored contract, on rows or on a source", async () => {
    const id = await storeDirectly("stored_backref", UNSUPPORTED_REGEX);
    const evil = `${"a".repeat(40)}!`;
    const rows = await call("POST", `/contracts/${id}/validate`, {
      rows: [{ id: 1, email: evil, status: "new", amount_cents: 1 }],
    });
    expect([400, 422], rows.text).toContain(rows.status);
    expect(rows.body.message).toMatch(/pattern|regex|backtrack/i);
    const source = await call("POST", `/contracts/${id}/validate`, { source_id: ids.shop });
    expect([400, 422], source.text).toContain(source.status);
  });

  it("answers 413 to a request announcing a 1 GB body without reading it", async () => {
    const url = new URL(cov.base);
    // The body is never sent in full: a 413 can only come from the announced length.
    const status = await rawRequest(
      cov.base,
      `POST /api/v1/contracts/x/validate HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${cov.tenant.manage}\r\n` +
        "Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n",
      '{"rows": [',
    );
    expect(status).toMatch(/^HTTP\/1\.1 413/);
  });

  it("answers 413 to a streamed (chunked) body that grows past the limit", async () => {
    const url = new URL(cov.base);
    const chunk = Buffer.from(`{"rows": [${'{"a": 1},'.repeat(4096)}`);
    const chunks = Array.from({ length: Math.ceil((4 * BODY_LIMIT) / chunk.length) }, () =>
      Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n")]),
    );
    const status = await rawRequest(
      cov.base,
      `POST /api/v1/sources HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${cov.tenant.manage}\r\n` +
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
      Buffer.concat(chunks),
    );
    expect(status).toMatch(/^HTTP\/1\.1 413/);
  });

  it("answers 400 to binary junk sent as JSON", async () => {
    const junk = Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919 + 13) % 256));
    for (const path of ["/sources", `/contracts/${ids.shop}/validate`, "/infer"]) {
      const res = await fetch(`${cov.base}/api/v1${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${cov.tenant.manage}`, "content-type": "application/json" },
        body: junk,
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toMatch(/JSON/);
    }
  });

  it("refuses junk registered as a CSV source with a clear 4xx, storing nothing", async () => {
    const res = await call("POST", "/sources", { name: "junk", location: "junk.csv" });
    expect(res.status, res.text).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.message).toContain("junk.csv");
    expect(res.text).not.toContain(files.root);
    const listed = await call("GET", "/sources");
    expect(listed.body.content.map((s: { name: string }) => s.name)).not.toContain("junk");
  });

  it("still answers /healthz and normal requests afterwards", async () => {
    const health = await fetch(`${cov.base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok" });
    const contract = await call("POST", "/contracts", { contents: ORDERS_CONTRACT });
    expect(contract.status).toBe(201);
    const run = await call("POST", `/contracts/${contract.body.id}/validate`, { source_id: ids.warehouse });
    expect(run.status, run.text).toBe(201);
    expect(run.body).toMatchObject({ passed: false, rows_evaluated: BROKEN_ORDERS.length });
    expect(cov.logs.join("\n")).not.toContain("hostile-pw");
  });
});
