// The rate limits when Redis goes away: a Covenant server (a real process) counts its limits in a
// redis-server of this test's own; the test uses up a key's allowance, kills that redis-server and
// checks that the limits still hold (counted in the database's RateLimitBucket table, shared by the
// instances) with every request answered promptly, that the outage is logged once, and that once
// the same redis-server is back the limits are counted in Redis again (logged once too).
import { type ChildProcess, spawn } from "node:child_process";
import { randomInt, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/db/api-keys.ts";
import { type Db, openDatabase } from "../../src/db/client.ts";
import { createInstallation } from "../../src/db/installations.ts";
import { createRedisClient, type RedisClient } from "../../src/db/redis.ts";
import { type Instance, startInstance, waitFor } from "../helpers/instances.ts";
import { createPgDatabase, type TestPgDatabase } from "../helpers/pg-database.ts";

const PER_MINUTE = 10;
// The failed-authentication throttle's default burst.
const AUTH_BURST = 20;
/** Far above the 1 s the server waits for Redis, far below a request left hanging. */
const PROMPT_MS = 5_000;

const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => {});
});

const freePort = () =>
  new Promise<number>((done, fail) => {
    const probe = createServer();
    probe.once("error", fail);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
  });

/** A redis-server of this test's own on `port`, nothing saved; resolves once it answers PING. */
const startRedis = async (port: number, dir: string): Promise<ChildProcess> => {
  const child = spawn(
    "redis-server",
    ["--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no", "--dir", dir],
    { stdio: "ignore" },
  );
  const client = createRedisClient(`redis://127.0.0.1:${port}`, { timeoutMs: 500 });
  try {
    await waitFor(
      `redis-server on port ${port}`,
      () =>
        client.command(["PING"]).then(
          (reply) => reply === "PONG",
          () => false,
        ),
      20_000,
    );
  } finally {
    await client.close();
  }
  return child;
};

const stopRedis = (child: ChildProcess) =>
  new Promise<void>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once("exit", () => done());
    child.kill("SIGKILL");
  });

/** A client address of its own (behind one trusted proxy). */
const clientAddress = () => `198.18.${randomInt(256)}.${randomInt(1, 255)}`;

/** GET /api/v1/contracts with `key`: its status and how long the answer took. */
const get = async (base: string, key: string, from: string) => {
  const started = Date.now();
  const res = await fetch(`${base}/api/v1/contracts`, {
    headers: { authorization: `Bearer ${key}`, "x-forwarded-for": from },
  });
  await res.body?.cancel();
  return { status: res.status, ms: Date.now() - started };
};

describe("rate limits while Redis is unreachable", { timeout: 240_000 }, () => {
  let db: TestPgDatabase;
  let client: Db;
  let instance: Instance;
  let redis: ChildProcess;
  let redisClient: RedisClient;
  let port: number;
  let dir: string;
  const keys: Array<{ id: string; secret: string }> = [];
  const lines = (text: string) =>
    instance
      .output()
      .split("\n")
      .filter((line) => line.includes(text));
  const inDatabase = async (key: string) =>
    (await client.rateLimitBucket.findUnique({ where: { key } })) !== null;
  const inRedis = async (key: string) =>
    ((await redisClient.command(["EXISTS", `covenant:bucket:${key}`])) as number) === 1;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "covenant-redis-"));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    port = await freePort();
    redis = await startRedis(port, dir);
    cleanup.push(() => stopRedis(redis));
    redisClient = createRedisClient(`redis://127.0.0.1:${port}`, { timeoutMs: 500 });
    cleanup.push(() => redisClient.close());
    db = await createPgDatabase("covenant_redis_outage");
    cleanup.push(db.drop);
    instance = await startInstance({
      env: {
        DATABASE_URL: db.url,
        REDIS_URL: `redis://127.0.0.1:${port}`,
        API_RATE_LIMIT_PER_MINUTE: String(PER_MINUTE),
        TRUST_PROXY: "1",
        LOG_LEVEL: "info",
      },
    });
    cleanup.push(() => instance.kill());
    client = await openDatabase(db.url);
    cleanup.push(() => client.close());
    const installation = await createInstallation(client, { accountLogin: "acme" });
    for (const name of ["before", "during", "after"]) {
      const { apiKey, secret } = await createApiKey(client, {
        installationId: installation.id,
        name,
        scope: "read",
      });
      keys.push({ id: apiKey.id, secret });
    }
  }, 180_000);

  it("limits through Redis, then through the database while it is gone, promptly, then through Redis again", async () => {
    const [before, during, after] = keys as [
      (typeof keys)[number],
      (typeof keys)[number],
      (typeof keys)[number],
    ];
    // Redis up: the allowance is used up, counted in Redis only.
    const from = clientAddress();
    const first = [];
    for (let i = 0; i < PER_MINUTE + 3; i++)
      first.push((await get(instance.url, before.secret, from)).status);
    expect(first.slice(0, PER_MINUTE)).toEqual(Array(PER_MINUTE).fill(200));
    expect(first.slice(PER_MINUTE + 1)).toEqual([429, 429]);
    expect(await inRedis(`api:${before.id}`)).toBe(true);
    expect(await inDatabase(`api:${before.id}`)).toBe(false);

    await stopRedis(redis);

    // Redis gone: every answer prompt, and the limits hold, now counted in the database: the key
    // that used up its allowance in Redis gets the database's (at most one more burst), no more.
    const during1 = [];
    for (let i = 0; i < PER_MINUTE + 3; i++) during1.push(await get(instance.url, before.secret, from));
    for (const reply of during1) expect(reply.ms).toBeLessThan(PROMPT_MS);
    const allowed = during1.filter((reply) => reply.status === 200).length;
    expect(allowed).toBeGreaterThanOrEqual(PER_MINUTE - 1);
    expect(allowed).toBeLessThanOrEqual(PER_MINUTE + 1);
    expect(during1.slice(-2).map((reply) => reply.status)).toEqual([429, 429]);
    expect(await inDatabase(`api:${before.id}`)).toBe(true);
    // Another key, fresh in the database, has its allowance and no more.
    const fresh = [];
    for (let i = 0; i < PER_MINUTE + 2; i++)
      fresh.push(await get(instance.url, during.secret, clientAddress()));
    for (const reply of fresh) expect(reply.ms).toBeLessThan(PROMPT_MS);
    expect(fresh.slice(0, PER_MINUTE).map((reply) => reply.status)).toEqual(Array(PER_MINUTE).fill(200));
    expect(fresh.slice(-1).map((reply) => reply.status)).toEqual([429]);
    // A client guessing keys is throttled after its burst, as with Redis.
    const guesser = clientAddress();
    const guesses = [];
    for (let i = 0; i < AUTH_BURST + 2; i++)
      guesses.push(await get(instance.url, `cov_${randomUUID().replace(/-/g, "")}00000000`, guesser));
    for (const reply of guesses) expect(reply.ms).toBeLessThan(PROMPT_MS);
    expect(guesses.slice(0, AUTH_BURST).map((reply) => reply.status)).toEqual(Array(AUTH_BURST).fill(401));
    expect(guesses.slice(-1).map((reply) => reply.status)).toEqual([429]);
    expect(await inDatabase(`auth:${guesser}`)).toBe(true);
    // One warning for the whole outage, however many requests it saw.
    expect(lines("Redis cannot be reached")).toHaveLength(1);
    expect(lines("Redis is reachable again")).toHaveLength(0);

    // Redis back on the same port (empty: nothing was saved): used again once a request finds it.
    redis = await startRedis(port, dir);
    await waitFor(
      "the server to use Redis again",
      async () => {
        await get(instance.url, after.secret, clientAddress());
        return lines("Redis is reachable again").length === 1;
      },
      30_000,
    );
    const third = clientAddress();
    const back = [];
    for (let i = 0; i < 3; i++) back.push((await get(instance.url, during.secret, third)).status);
    // The key's allowance now counts in Redis, where it is full: the database's count is not used.
    expect(back).toEqual([200, 200, 200]);
    expect(await inRedis(`api:${during.id}`)).toBe(true);
    expect(lines("Redis cannot be reached")).toHaveLength(1);
    expect(lines("Redis is reachable again")).toHaveLength(1);
  });
});
