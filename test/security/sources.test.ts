// Attacks on data sources through the real server, by a tenant (installation B, with its own
// manage key) against another (installation A) and against the server itself: A's variables and
// files, Covenant's own database, the server's PostgreSQL password, the private network, and
// `sql` rules that read beyond their dataset.
import { spawn } from "node:child_process";
import { linkSync, rmSync, symlinkSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDataSource } from "../../src/db/data-sources.ts";
import { sourceVariableName } from "../../src/sources/source-location.ts";
import { caller, createTenant } from "../helpers/api-server.ts";
import { type CovenantServer, startCovenant } from "../helpers/covenant-server.ts";
import type { TestPgDatabase } from "../helpers/pg-database.ts";
import {
  BROKEN_ORDERS,
  makePgSource,
  makeSourceFiles,
  ORDERS_CONTRACT,
  type SourceFiles,
} from "../helpers/source-fixtures.ts";

const PASSWORD = "pw-tenant-A-9f3";

describe("data sources across tenants", () => {
  let files: SourceFiles;
  let pgSource: TestPgDatabase;
  let cov: CovenantServer;
  let a: CovenantServer["tenant"];
  let b: CovenantServer["tenant"];
  let call: ReturnType<typeof caller>;
  const env: Record<string, string | undefined> = {};

  beforeAll(async () => {
    files = makeSourceFiles();
    pgSource = await makePgSource(BROKEN_ORDERS);
    cov = await startCovenant({
      kind: "sqlite",
      filesRoot: files.root,
      env,
      config: { SOURCE_HOSTS: "127.0.0.1" },
    });
    a = cov.tenant;
    b = await createTenant(cov.server.db, "globex");
    env[sourceVariableName(a.installation.id, "PG")] = pgSource.urlWithPassword(PASSWORD);
    env[sourceVariableName(a.installation.id, "SHOP_FILE")] = "shop.db";
    files.forInstallation(a.installation.id);
    files.forInstallation(b.installation.id);
    call = caller(cov.base, () => a.manage);
  }, 60_000);

  afterAll(async () => {
    await cov?.close();
    await pgSource?.drop();
    files?.cleanup();
  });

  it("lets A use its own variable and file", async () => {
    for (const [name, body] of [
      ["a-pg", { location_env: sourceVariableName(a.installation.id, "PG") }],
      ["a-file-env", { location_env: sourceVariableName(a.installation.id, "SHOP_FILE") }],
      ["a-file", { location: "shop.db" }],
    ] as const) {
      const res = await call("POST", "/sources", { name, ...body });
      expect(res.status, res.text).toBe(201);
      expect(res.text).not.toContain(PASSWORD);
    }
  });

  it.each([
    ["A's variable", () => ({ location_env: sourceVariableName(a.installation.id, "PG") })],
    ["A's file variable", () => ({ location_env: sourceVariableName(a.installation.id, "SHOP_FILE") })],
    ["A's file by a relative path", () => ({ location: `../${a.installation.id}/shop.db` })],
    ["A's file by its absolute path", () => ({ location: join(files.root, a.installation.id, "shop.db") })],
    ["a file at the top of the root", () => ({ location: join(files.root, "shop.db") })],
    ["an unprefixed variable", () => ({ location_env: "COVENANT_SOURCE_PG" })],
    ["the server's DATABASE_URL", () => ({ location_env: "DATABASE_URL" })],
  ])("refuses B %s (400, nothing of A's shown)", async (_, body) => {
    const res = await call("POST", "/sources", { name: "stolen", ...body() }, b.manage);
    expect(res.status, res.text).toBe(400);
    expect(res.body.message).toMatch(/this installation's/);
    expect(res.text).not.toContain(PASSWORD);
    expect(res.text).not.toMatch(/tables|a@example\.com/);
    expect((await call("GET", "/sources", undefined, b.read)).body.total_elements).toBe(0);
  });

  it("refuses B a symlink in its own directory to A's file", async () => {
    symlinkSync(
      join(files.root, a.installation.id, "shop.db"),
      join(files.root, b.installation.id, "link-to-a.db"),
    );
    const res = await call("POST", "/sources", { name: "linked", location: "link-to-a.db" }, b.manage);
    expect(res.status, res.text).toBe(400);
    expect(res.body.message).toMatch(/outside this installation's data source directory/);
  });

  it("tells a source registered before the change what to rename, and resolves it once renamed", async () => {
    const legacyEnv = await createDataSource(cov.server.db, {
      installationId: a.installation.id,
      name: "legacy-env",
      kind: "postgres",
      location: null,
      locationEnv: "COVENANT_SOURCE_OLDPG",
      description: null,
      createdBy: "test",
    });
    const legacyFile = await createDataSource(cov.server.db, {
      installationId: a.installation.id,
      name: "legacy-file",
      kind: "csv",
      location: "orders.csv",
      description: null,
      locationEnv: null,
      createdBy: "test",
    });
    env.COVENANT_SOURCE_OLDPG = pgSource.urlWithPassword(PASSWORD);
    const renamed = sourceVariableName(a.installation.id, "OLDPG");
    const before = await call("GET", `/sources/${legacyEnv.id}/tables`, undefined, a.read);
    expect(before.status, before.text).toBe(400);
    expect(before.body.message).toContain(`rename it on the Covenant server to ${renamed}`);
    env[renamed] = env.COVENANT_SOURCE_OLDPG;
    const after = await call("GET", `/sources/${legacyEnv.id}/tables`, undefined, a.read);
    expect(after.status, after.text).toBe(200);
    expect(after.body.tables).toContain("public.orders");

    // A file the installation's directory lacks but the top of the root holds: say where it must move.
    rmSync(join(files.root, a.installation.id, "orders.csv"));
    const moved = await call("GET", `/sources/${legacyFile.id}/tables`, undefined, a.read);
    expect(moved.status, moved.text).toBe(400);
    expect(moved.body.message).toContain(`Move it to ${a.installation.id}/`);
  });

  it("B's validate of its own contract cannot name A's source", async () => {
    const mine = await call("GET", "/sources?size=100", undefined, a.read);
    const aSource = mine.body.content.find((s: { name: string }) => s.name === "a-pg");
    const contract = await call("POST", "/contracts", { contents: ORDERS_CONTRACT }, b.manage);
    expect(contract.status, contract.text).toBe(201);
    const res = await call(
      "POST",
      `/contracts/${contract.body.id}/validate`,
      { source_id: aSource.id },
      b.manage,
    );
    expect(res.status, res.text).toBe(400);
    expect(res.text).not.toContain("a@example.com");
  });
});

describe("a source pointing at Covenant's own database", () => {
  it.each(["postgres", "sqlite"] as const)(
    "is refused (Covenant on %s), under another name too",
    async (kind) => {
      const files = makeSourceFiles();
      const cov = await startCovenant({
        kind,
        filesRoot: files.root,
        env: {},
        config: { SOURCE_HOSTS: "127.0.0.1,localhost" },
      });
      try {
        const call = caller(cov.base, () => cov.tenant.manage);
        const dir = files.forInstallation(cov.tenant.installation.id);
        const attempts: Array<Record<string, string>> = [];
        if (kind === "postgres") {
          const [row] = await cov.server.db.$queryRawUnsafe<Array<{ name: string }>>(
            "SELECT current_database() AS name",
          );
          const name = row?.name;
          attempts.push(
            { location: `postgresql://postgres@127.0.0.1:5432/${name}` },
            { location: `postgresql://postgres@localhost/${name}` },
          );
        } else {
          const [main] = await cov.server.db.$queryRawUnsafe<Array<{ file: string }>>(
            "SELECT file FROM pragma_database_list WHERE name = 'main'",
          );
          linkSync(main?.file as string, join(dir, "hardlinked.db"));
          attempts.push({ location: "hardlinked.db" });
        }
        for (const body of attempts) {
          const res = await call("POST", "/sources", { name: "own", ...body });
          expect(res.status, res.text).toBe(400);
          expect(res.body.message).toMatch(/Covenant's own database/);
          expect(res.text).not.toMatch(/"tables"|Contract|ApiKey/);
        }
      } finally {
        await cov.close();
        files.cleanup();
      }
    },
  );
});

/** A TCP listener that plays a PostgreSQL server asking for a clear-text password, and records what it gets. */
const passwordCatcher = async () => {
  const received: Buffer[] = [];
  const server = createServer((socket) => {
    socket.on("data", (chunk) => {
      received.push(chunk);
      // The startup message: ask for the password in clear (AuthenticationCleartextPassword).
      if (received.length === 1) socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]));
      else socket.destroy();
    });
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    text: () => Buffer.concat(received).toString("latin1"),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

describe("the server's PostgreSQL settings", () => {
  let files: SourceFiles;
  let cov: CovenantServer;
  let call: ReturnType<typeof caller>;
  const saved: Record<string, string | undefined> = {};
  const SERVER_ENV = {
    PGPASSWORD: "server-pg-password-77",
    PGUSER: "server_pg_user",
    PGOPTIONS: "-c search_path=server_options",
    PGDATABASE: "server_db",
  };

  beforeAll(async () => {
    for (const [key, value] of Object.entries(SERVER_ENV)) {
      saved[key] = process.env[key];
      process.env[key] = value;
    }
    files = makeSourceFiles();
    cov = await startCovenant({
      kind: "sqlite",
      filesRoot: files.root,
      env: {},
      config: { SOURCE_HOSTS: "127.0.0.1", SOURCE_CONNECT_TIMEOUT_MS: "1000" },
    });
    call = caller(cov.base, () => cov.tenant.manage);
  }, 60_000);

  afterAll(async () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await cov?.close();
    files?.cleanup();
  });

  it("never sends the server's PGPASSWORD (or PGUSER, PGOPTIONS, PGDATABASE) to a source's host", async () => {
    const catcher = await passwordCatcher();
    try {
      const res = await call("POST", "/sources", {
        name: "catch",
        location: `postgresql://victim@127.0.0.1:${catcher.port}/db`,
      });
      expect(res.status, res.text).toBe(502);
      const seen = catcher.text();
      expect(seen).toContain("victim");
      for (const value of Object.values(SERVER_ENV)) expect(seen).not.toContain(value);
      expect(res.text).not.toContain(SERVER_ENV.PGPASSWORD);
    } finally {
      await catcher.close();
    }
  });

  it.each([
    ["sslrootcert", "?sslrootcert=/etc/ssl/private/server.key"],
    ["sslkey", "?sslmode=require&sslkey=/etc/ssl/private/server.key"],
    ["sslcert", "?sslcert=/etc/passwd"],
    ["service", "?service=prod"],
    ["passfile", "?passfile=/root/.pgpass"],
    ["options", "?options=-c%20statement_timeout%3D0"],
    ["host (a socket)", "?host=/var/run/postgresql"],
  ])("refuses a URL that sets %s (400)", async (_, query) => {
    const res = await call("POST", "/sources", {
      name: "params",
      location: `postgresql://victim@127.0.0.1:5432/db${query}`,
    });
    expect(res.status, res.text).toBe(400);
    expect(res.body.message).toMatch(/Only sslmode is accepted/);
  });

  it.each([
    ["no user", "postgresql://127.0.0.1:5432/db", /names no user/],
    ["a Unix socket", "postgresql://victim@/db", /names no host|not a valid URL/],
  ])("refuses a URL with %s (400)", async (_, location, message) => {
    const res = await call("POST", "/sources", { name: "incomplete", location });
    expect(res.status, res.text).toBe(400);
    expect(res.body.message).toMatch(message);
  });
});

describe("registering sources as a port scanner", () => {
  it("refuses loopback, private, link-local and metadata hosts unless SOURCE_HOSTS allows them", async () => {
    const files = makeSourceFiles();
    const cov = await startCovenant({ kind: "sqlite", filesRoot: files.root, env: {} });
    try {
      const call = caller(cov.base, () => cov.tenant.manage);
      for (const host of [
        "127.0.0.1",
        "localhost",
        "[::1]",
        "10.0.0.5",
        "192.168.1.1",
        "169.254.169.254",
        "[fd00::1]",
        "[::ffff:127.0.0.1]",
        "0.0.0.0",
      ]) {
        const res = await call("POST", "/sources", {
          name: "probe",
          location: `postgresql://u@${host}:5432/db`,
        });
        expect(res.status, `${host}: ${res.text}`).toBe(400);
        expect(res.body.message).toMatch(/not an allowed data source host.*SOURCE_HOSTS/);
      }
    } finally {
      await cov.close();
      files.cleanup();
    }
  });

  it("answers a closed port, a silent port and a port that is not PostgreSQL alike, after the same time", async () => {
    const files = makeSourceFiles();
    const timeoutMs = 1500;
    const cov = await startCovenant({
      kind: "sqlite",
      filesRoot: files.root,
      env: {},
      config: { SOURCE_HOSTS: "127.0.0.1", SOURCE_CONNECT_TIMEOUT_MS: String(timeoutMs) },
    });
    const silent = createServer(() => undefined);
    const http = createServer((socket) => {
      socket.on("data", () => socket.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    try {
      const call = caller(cov.base, () => cov.tenant.manage);
      const answers: string[] = [];
      for (const port of [1, (silent.address() as AddressInfo).port, (http.address() as AddressInfo).port]) {
        const started = Date.now();
        const res = await call("POST", "/sources", {
          name: "probe",
          location: `postgresql://u@127.0.0.1:${port}/db`,
        });
        const elapsed = Date.now() - started;
        expect(res.status, res.text).toBe(502);
        expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - 50);
        answers.push(res.body.message.replace(`:${port}`, ":PORT"));
      }
      expect(new Set(answers).size, answers.join("\n")).toBe(1);
      expect(answers[0]).not.toMatch(/ECONNREFUSED|terminated|timeout expired/);
    } finally {
      silent.close();
      http.close();
      await cov.close();
      files.cleanup();
    }
  });
});

describe("a source query whose client was killed", () => {
  it("ends on the database server soon after, not at its statement timeout", async () => {
    const source = await makePgSource(BROKEN_ORDERS);
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(import.meta.dirname, "fixtures", "slow-query.ts"), source.url, "300"],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const sleeping = async () =>
      Number(
        (
          await source.query(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND query LIKE '%pg_sleep(300)%' AND pid <> pg_backend_pid()",
            [source.name],
          )
        )[0]?.n,
      );
    try {
      const deadline = Date.now() + 40_000;
      while ((await sleeping()) === 0) {
        if (Date.now() > deadline) throw new Error("the slow query never started");
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      child.kill("SIGKILL");
      const killedAt = Date.now();
      while ((await sleeping()) > 0) {
        // Without the session's client check the backend sleeps its whole 300 s.
        if (Date.now() - killedAt > 30_000) throw new Error("the query outlived its client by 30 s");
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } finally {
      child.kill("SIGKILL");
      await source.drop();
    }
  });
});

describe("sql quality rules that read beyond their dataset", () => {
  let files: SourceFiles;
  let pgSource: TestPgDatabase;
  let cov: CovenantServer;
  let call: ReturnType<typeof caller>;
  let sourceId: string;
  const env: Record<string, string | undefined> = {};

  const withRule = (name: string, rule: string) =>
    ORDERS_CONTRACT.replace("name: orders", `name: ${name}`).replace(
      '  - { id: non_negative, type: sql, expression: "amount_cents >= 0" }',
      () => `  - ${rule}`,
    );

  beforeAll(async () => {
    files = makeSourceFiles();
    pgSource = await makePgSource(BROKEN_ORDERS);
    cov = await startCovenant({
      kind: "postgres",
      filesRoot: files.root,
      env,
      config: { SOURCE_HOSTS: "127.0.0.1" },
    });
    env[sourceVariableName(cov.tenant.installation.id, "PG")] = pgSource.urlWithPassword(PASSWORD);
    call = caller(cov.base, () => cov.tenant.manage);
    const source = await call("POST", "/sources", {
      name: "warehouse",
      location_env: sourceVariableName(cov.tenant.installation.id, "PG"),
    });
    expect(source.status, source.text).toBe(201);
    sourceId = source.body.id;
  }, 60_000);

  afterAll(async () => {
    await cov?.close();
    await pgSource?.drop();
    files?.cleanup();
  });

  it.each([
    [
      "the catalog",
      '{ id: r, type: sql, query: "SELECT count(*) FROM pg_catalog.pg_authid" }',
      /not the contract's dataset/,
    ],
    [
      "Covenant's tables",
      `{ id: r, type: sql, query: 'SELECT count(*) FROM "Contract"' }`,
      /not the contract's dataset/,
    ],
    [
      "a sub-SELECT of the catalog",
      '{ id: r, type: sql, expression: "(SELECT count(*) FROM pg_authid) >= 0" }',
      /a sub-SELECT/,
    ],
    [
      "a cross join",
      '{ id: r, type: sql, query: "SELECT count(*) FROM orders a, orders b, orders c" }',
      /several tables/,
    ],
    [
      "a regex that is not a constant",
      '{ id: r, type: sql, expression: "status ~ email" }',
      /not a constant string/,
    ],
    ["a backreference", `{ id: r, type: sql, expression: "status ~ '(a+)\\\\1'" }`, /backreference/],
    [
      "regexp_* functions",
      `{ id: r, type: sql, expression: "regexp_replace(status, 'a+', '') <> ''" }`,
      /regexp_replace/,
    ],
  ])("refuses a rule reading %s at registration (400)", async (_, rule, message) => {
    const res = await call("POST", "/contracts", { contents: withRule("orders_r", rule) });
    expect(res.status, res.text).toBe(400);
    expect(res.body.details.map((d: { message: string }) => d.message).join("\n")).toMatch(message);
  });

  it("runs a query rule on the dataset's rows only, under the sample limit too", async () => {
    const contract = await call("POST", "/contracts", {
      contents: withRule(
        "orders_q",
        `{ id: lost, type: sql, query: "SELECT count(*) FROM public.orders o WHERE o.status = 'lost'" }`,
      ),
    });
    expect(contract.status, contract.text).toBe(201);
    const full = await call("POST", `/contracts/${contract.body.id}/validate`, { source_id: sourceId });
    expect(full.status, full.text).toBe(201);
    expect(full.body.results.find((r: { rule_id: string }) => r.rule_id === "lost")).toMatchObject({
      status: "failed",
      failed_rows: 1,
    });
    // The offending row is the third: the first two rows hold none.
    const sampled = await call("POST", `/contracts/${contract.body.id}/validate`, {
      source_id: sourceId,
      sample_limit: 2,
    });
    expect(sampled.status, sampled.text).toBe(201);
    expect(sampled.body.results.find((r: { rule_id: string }) => r.rule_id === "lost")).toMatchObject({
      status: "passed",
    });
  });
});
