// The first hour of configuration, through the real `covenant` command as a user runs it: every
// mistake stops it with a message that names the variable or flag and says what to do, and every
// command reads the same .env and so the same database as the server.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "../src/db/client.ts";
import { upsertGitHubInstallation } from "../src/db/github-repositories.ts";
import { testPrivateKey } from "./helpers/github-app-harness.ts";
import { createPgDatabase } from "./helpers/pg-database.ts";

const BIN = resolve(import.meta.dirname, "../bin/covenant.js");
const PG_ADMIN = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "covenant-config-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Only what a shell would pass: no DATABASE_URL or PORT leaking in from the test runner. */
const baseEnv = () => ({ PATH: process.env.PATH ?? "", HOME: dir, LOG_LEVEL: "silent" });

const covenant = (env: Record<string, string>, ...args: string[]) => {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: dir,
    env: { ...baseEnv(), ...env } as NodeJS.ProcessEnv,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
};

/** `covenant serve` in the background until it prints its banner (or exits). */
const serve = async (env: Record<string, string>, ...args: string[]) => {
  const child = spawn(process.execPath, [BIN, "serve", ...args], {
    cwd: dir,
    env: {
      ...baseEnv(),
      HOST: "127.0.0.1",
      PORT: "0",
      JOB_WORKERS: "0",
      ANALYSIS_THREADS: "0",
      ...env,
    } as NodeJS.ProcessEnv,
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`no banner: ${stderr}`)), 60_000);
    child.stderr.on("data", () => {
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        done(match[1]!);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`serve exited ${code}: ${stderr}`));
    });
  });
  return { url, banner: () => stderr, stop: () => stopChild(child) };
};

const stopChild = (child: ChildProcess) =>
  new Promise<void>((done) => {
    if (child.exitCode !== null) return done();
    child.once("exit", () => done());
    child.kill("SIGTERM");
  });

describe("DATABASE_URL", { timeout: 240_000 }, () => {
  it.each(["mysql://root@host/x", "sqlite:///var/covenant.db", "garbage", "postgresql//missing-colon/db"])(
    "refuses %s naming the variable and the accepted forms, creating nothing",
    (url) => {
      for (const args of [
        ["db", "migrate"],
        ["keys", "create", "--scope", "admin"],
      ]) {
        const { code, stderr } = covenant({ DATABASE_URL: url }, ...args);
        expect(code, stderr).toBe(2);
        expect(stderr).toContain("DATABASE_URL");
        expect(stderr).toMatch(/postgresql:\/\//);
        expect(stderr).toMatch(/file:/);
        expect(stderr).not.toMatch(/^\s+at /m);
        expect(readdirSync(dir).filter((name) => name !== ".cache")).toEqual([]);
      }
    },
  );

  it("never creates directories above the one named: a missing parent is an error", () => {
    const url = `file:${join(dir, "missing", "dir", "x.db")}`;
    const { code, stderr } = covenant({ DATABASE_URL: url }, "db", "migrate");
    expect(code, stderr).toBe(2);
    expect(stderr).toContain("DATABASE_URL");
    expect(stderr).toContain(join(dir, "missing"));
    expect(existsSync(join(dir, "missing"))).toBe(false);
  });

  it("creates the named directory and the file in it", () => {
    const { code, stdout, stderr } = covenant({ DATABASE_URL: "file:./state/covenant.db" }, "db", "migrate");
    expect(code, stderr).toBe(0);
    expect(stdout).toContain(join(dir, "state", "covenant.db"));
    expect(existsSync(join(dir, "state", "covenant.db"))).toBe(true);
  });

  it("names DATABASE_URL when the PostgreSQL database does not exist or refuses connections", () => {
    const missing = new URL(PG_ADMIN);
    missing.pathname = `/covenant_missing_${process.pid}`;
    const absent = covenant({ DATABASE_URL: missing.toString() }, "db", "migrate");
    expect(absent.code, absent.stderr).toBe(2);
    expect(absent.stderr).toContain("DATABASE_URL");
    expect(absent.stderr).toContain(`covenant_missing_${process.pid}`);
    expect(absent.stderr).toMatch(/does not exist/);
    expect(absent.stderr).toMatch(/createdb|CREATE DATABASE/);

    const refused = covenant(
      { DATABASE_URL: "postgresql://covenant:s3cret@127.0.0.1:1/covenant" },
      "keys",
      "list",
    );
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toContain("DATABASE_URL");
    expect(refused.stderr).toContain("127.0.0.1:1");
    expect(refused.stderr).toMatch(/refused/);
    expect(refused.stderr).not.toContain("s3cret");
  });
});

describe(".env and the database every command uses", { timeout: 240_000 }, () => {
  it("a key created with .env's DATABASE_URL works against the server started from the same directory", async () => {
    writeFileSync(join(dir, ".env"), "DATABASE_URL=file:./state/covenant.db\n");
    const created = covenant({}, "keys", "create", "--scope", "admin");
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toContain(join(dir, "state", "covenant.db"));
    const key = created.stdout.trim();
    const server = await serve({});
    try {
      expect(server.banner()).toContain(join(dir, "state", "covenant.db"));
      expect(server.banner()).not.toContain("No API key yet");
      const response = await fetch(`${server.url}/api/v1/contracts`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(response.status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it("the banner names a PostgreSQL database by host and name, never its password", async () => {
    const database = await createPgDatabase("covenant_banner");
    try {
      const server = await serve({ DATABASE_URL: database.urlWithPassword("hunter2") });
      await server.stop();
      expect(server.banner()).toContain(`/${database.name}`);
      expect(server.banner()).not.toContain("hunter2");
      // A fresh database has no key: the banner says how to make the first one.
      expect(server.banner()).toContain("No API key yet");
      expect(server.banner()).toContain("covenant keys create --scope admin");
    } finally {
      await database.drop();
    }
  });

  it("--verbose says which database a command uses and where the setting came from", () => {
    writeFileSync(join(dir, ".env"), "DATABASE_URL=file:./from-env-file.db\n");
    const { code, stderr } = covenant({}, "keys", "list", "--verbose");
    expect(code, stderr).toBe(0);
    expect(stderr).toContain(join(dir, "from-env-file.db"));
    expect(stderr).toContain(".env");
  });
});

describe("start errors name what to do", { timeout: 240_000 }, () => {
  it("PORT=abc names PORT and the accepted range", () => {
    const { code, stderr } = covenant({ PORT: "abc" }, "serve");
    expect(code, stderr).toBe(2);
    expect(stderr).toMatch(/PORT/);
    expect(stderr).toMatch(/0.*65535/);
  });

  it("serve --port abc blames --port, not the environment", () => {
    const { code, stderr } = covenant({}, "serve", "--port", "abc");
    expect(code, stderr).toBe(2);
    expect(stderr).toContain("--port");
    expect(stderr).not.toMatch(/environment/);
  });

  let busy: Server | undefined;
  afterAll(() => busy?.close());

  it("a port in use says which and what to do, as an input error", async () => {
    busy = createServer();
    await new Promise<void>((done) => busy!.listen(0, "127.0.0.1", done));
    const port = String((busy.address() as { port: number }).port);
    const { code, stderr } = covenant({ HOST: "127.0.0.1", PORT: port, JOB_WORKERS: "0" }, "serve");
    expect(code, stderr).toBe(2);
    expect(stderr).toContain(port);
    expect(stderr).toMatch(/in use/);
    expect(stderr).toMatch(/PORT|--port/);
    expect(stderr).not.toMatch(/unexpected error/);
  });

  const app = (env: Record<string, string>) => ({ APP_ID: "12345", WEBHOOK_SECRET: "s", ...env });

  it("a missing PRIVATE_KEY_PATH file is named", () => {
    const path = join(dir, "missing.pem");
    const { code, stderr } = covenant(app({ PRIVATE_KEY_PATH: path }), "serve");
    expect(code, stderr).toBe(2);
    expect(stderr).toContain("PRIVATE_KEY_PATH");
    expect(stderr).toContain(path);
  });

  it("APP_ID=abc names APP_ID without a stack trace", () => {
    const { code, stderr } = covenant(app({ APP_ID: "abc", PRIVATE_KEY: testPrivateKey() }), "serve");
    expect(code, stderr).toBe(2);
    expect(stderr).toContain("APP_ID");
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it.each([
    ["not a key at all", "this is not a key"],
    [
      "an EC key",
      generateKeyPairSync("ec", { namedCurve: "P-256" })
        .privateKey.export({ type: "pkcs8", format: "pem" })
        .toString(),
    ],
  ])("a PRIVATE_KEY that is %s is refused", (_, key) => {
    const { code, stderr } = covenant(app({ PRIVATE_KEY: key }), "serve");
    expect(code, stderr).toBe(2);
    expect(stderr).toContain("PRIVATE_KEY");
    expect(stderr).toMatch(/RSA/);
  });

  it("a PRIVATE_KEY_PATH file that holds no RSA key is refused", () => {
    mkdirSync(join(dir, "keys"));
    writeFileSync(
      join(dir, "keys", "app.pem"),
      "-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n",
    );
    const { code, stderr } = covenant(app({ PRIVATE_KEY_PATH: "keys/app.pem" }), "serve");
    expect(code, stderr).toBe(2);
    expect(stderr).toContain("PRIVATE_KEY_PATH");
    expect(stderr).toMatch(/RSA/);
  });
});

describe("a key for the App's installation", { timeout: 240_000 }, () => {
  it("keys create --installation takes the organization's login or installation id, and lists them when unknown", async () => {
    const url = "file:./covenant.db";
    const db = await openDatabase(`file:${join(dir, "covenant.db")}`);
    try {
      await upsertGitHubInstallation(db, { githubId: 4242, login: "octo-org", type: "Organization" });
    } finally {
      await db.close();
    }
    const byId = covenant(
      { DATABASE_URL: url },
      "keys",
      "create",
      "--scope",
      "read",
      "--installation",
      "4242",
    );
    expect(byId.code, byId.stderr).toBe(0);
    expect(byId.stderr).toContain('installation "octo-org"');
    const byLogin = covenant(
      { DATABASE_URL: url },
      "keys",
      "create",
      "--scope",
      "read",
      "--installation",
      "octo-org",
    );
    expect(byLogin.code, byLogin.stderr).toBe(0);

    const unknown = covenant(
      { DATABASE_URL: url },
      "keys",
      "create",
      "--scope",
      "read",
      "--installation",
      "octo",
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("octo-org");
    expect(unknown.stderr).toContain("4242");
  });
});
