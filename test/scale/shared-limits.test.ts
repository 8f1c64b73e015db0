// Three Covenant server processes on one fresh PostgreSQL database, with the rate limits counted
// in the database (the default) and then in Redis (REDIS_URL): a key's requests spread across the
// instances are limited once in total, not once per instance; so are a client's failed
// authentications; and the same X-GitHub-Delivery sent to every instance at once queues one job.
import { randomInt, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/db/api-keys.ts";
import { type Db, openDatabase } from "../../src/db/client.ts";
import { createInstallation } from "../../src/db/installations.ts";
import {
  appEnv,
  deliverPullRequest,
  type Instance,
  scaleRepository,
  startInstance,
} from "../helpers/instances.ts";
import { createPgDatabase, type TestPgDatabase } from "../helpers/pg-database.ts";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const PER_MINUTE = 30;
// The failed-authentication throttle's defaults: 20 in a burst, then 10 a minute.
const AUTH_BURST = 20;
const AUTH_PER_MINUTE = 10;

const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => {});
});

/** A client address of its own (behind one trusted proxy): runs never share a bucket in Redis. */
const clientAddress = () => `198.18.${randomInt(256)}.${randomInt(1, 255)}`;

const get = async (base: string, key: string, client: string) => {
  const res = await fetch(`${base}/api/v1/contracts`, {
    headers: { authorization: `Bearer ${key}`, "x-forwarded-for": client },
  });
  await res.body?.cancel();
  return res;
};

/** Tokens a bucket may have regained since `since` (it refills continuously). */
const refilledSince = (since: number, perMinute: number) =>
  Math.ceil(((Date.now() - since) * perMinute) / 60_000);

describe.each([
  ["the database", {}],
  ["Redis", { REDIS_URL }],
] as const)("three instances, limits counted in %s", { timeout: 240_000 }, (_, storeEnv) => {
  let db: TestPgDatabase;
  let client: Db;
  let instances: Instance[];
  let addPull: (number: number) => string;
  let key: string;
  /** A key of its own for the failed-authentication test (the first one's allowance is used up). */
  let other: string;

  beforeAll(async () => {
    db = await createPgDatabase("covenant_limits");
    cleanup.push(db.drop);
    const repository = await scaleRepository({ migrations: 10 });
    cleanup.push(repository.github.close);
    addPull = repository.addPull;
    const env = {
      ...appEnv(db.url, repository.github),
      ...storeEnv,
      // Web-only: deliveries are queued, not analysed, so the queued jobs can be counted.
      JOB_WORKERS: "0",
      API_RATE_LIMIT_PER_MINUTE: String(PER_MINUTE),
      TRUST_PROXY: "1",
    };
    instances = await Promise.all([1, 2, 3].map(() => startInstance({ app: true, env })));
    cleanup.push(async () => void (await Promise.all(instances.map((instance) => instance.kill()))));
    client = await openDatabase(db.url);
    cleanup.push(() => client.close());
    const installation = await createInstallation(client, { accountLogin: "acme" });
    const create = async (name: string) =>
      (await createApiKey(client, { installationId: installation.id, name, scope: "read" })).secret;
    key = await create("spread");
    other = await create("throttled");
  }, 180_000);

  it("a key's requests spread across the instances are limited once in total", async () => {
    const from = clientAddress();
    const started = Date.now();
    // Three times the allowance, round robin, a few at a time: per-instance buckets would allow all.
    const replies: Response[] = [];
    for (let i = 0; i < 3 * PER_MINUTE; i += 6)
      replies.push(
        ...(await Promise.all(
          Array.from({ length: 6 }, (_, j) => get(instances[(i + j) % 3]!.url, key, from)),
        )),
      );
    const allowed = replies.filter((res) => res.status === 200);
    const limited = replies.filter((res) => res.status === 429);
    expect(allowed.length + limited.length).toBe(replies.length);
    expect(allowed.length).toBeGreaterThanOrEqual(PER_MINUTE);
    expect(allowed.length).toBeLessThanOrEqual(PER_MINUTE + refilledSince(started, PER_MINUTE));
    // Every instance refused some, with Retry-After, and said the limit on what it allowed.
    for (const instance of instances)
      expect(
        limited.some((res) => res.url.startsWith(instance.url)),
        instance.url,
      ).toBe(true);
    for (const res of limited) expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    for (const res of allowed) {
      expect(res.headers.get("ratelimit-limit")).toBe(String(PER_MINUTE));
      expect(Number(res.headers.get("ratelimit-remaining"))).toBeLessThan(PER_MINUTE);
    }
  });

  it("a client's failed authentications spread across the instances are throttled once in total", async () => {
    const from = clientAddress();
    const started = Date.now();
    const statuses: number[] = [];
    for (let i = 0; i < 3 * AUTH_BURST; i++) {
      const wrong = `cov_${randomUUID().replace(/-/g, "")}00000000`;
      statuses.push((await get(instances[i % 3]!.url, wrong, from)).status);
    }
    const unauthorized = statuses.filter((status) => status === 401).length;
    expect(unauthorized).toBeGreaterThanOrEqual(AUTH_BURST);
    expect(unauthorized).toBeLessThanOrEqual(AUTH_BURST + refilledSince(started, AUTH_PER_MINUTE));
    expect(statuses.filter((status) => status === 429).length).toBe(statuses.length - unauthorized);
    // While throttled, even the valid key is refused on every instance; another client is not.
    for (const instance of instances) expect((await get(instance.url, other, from)).status).toBe(429);
    expect((await get(instances[0]!.url, other, clientAddress())).status).toBe(200);
  });

  it("the same delivery sent to every instance at once queues one job", async () => {
    const pulls = [1, 2, 3, 4, 5, 6, 7, 8];
    const replies = await Promise.all(
      pulls.flatMap((number) => {
        const sha = addPull(number);
        const id = randomUUID();
        return instances.map((instance) => deliverPullRequest({ url: instance.url, number, sha, id }));
      }),
    );
    expect(replies.map((reply) => reply.status)).toEqual(replies.map(() => 200));
    expect((await db.query(`SELECT count(*)::int AS n FROM "WebhookDelivery"`))[0]?.n).toBe(pulls.length);
    const jobs = await db.query(`SELECT "dedupeKey" FROM "Job" WHERE "status" = 'queued'`);
    expect(jobs).toHaveLength(pulls.length);
    expect(new Set(jobs.map((job) => job.dedupeKey)).size).toBe(pulls.length);
    await Promise.all(instances.map((instance) => instance.stop()));
    for (const instance of instances)
      expect(
        instance
          .output()
          .split("\n")
          .filter((line) => line.includes('"level":50')),
      ).toEqual([]);
  });
});
