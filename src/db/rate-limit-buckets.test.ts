import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/github-db.ts";
import { connectDatabase } from "./client.ts";
import {
  type BucketStore,
  databaseBuckets,
  memoryBuckets,
  redisBuckets,
  retryAfterSeconds,
} from "./rate-limit-buckets.ts";
import { createRedisClient } from "./redis.ts";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const START = Date.parse("2026-12-07T12:00:00.000Z");
const RULE = { capacity: 3, perMinute: 60 };

/** A clock the test moves. */
const clock = () => {
  let t = START;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
};

/** The same story on every store: burst, refusal with what is left, continuous refill, keys apart. */
const bucketStory = async (store: BucketStore, advance: (ms: number) => void) => {
  const key = `api:${randomUUID()}`;
  const taken = [];
  for (let i = 0; i < 4; i++) taken.push(await store.take(key, RULE));
  expect(taken.map((t) => [t.allowed, Math.round(t.tokens * 1000) / 1000])).toEqual([
    [true, 2],
    [true, 1],
    [true, 0],
    [false, 0],
  ]);
  expect(retryAfterSeconds(taken[3]!.tokens, RULE)).toBe(1);
  advance(500);
  const half = await store.take(key, RULE);
  expect(half.allowed).toBe(false);
  expect(half.tokens).toBeCloseTo(0.5, 3);
  advance(600);
  const again = await store.take(key, RULE);
  expect(again.allowed).toBe(true);
  expect(again.tokens).toBeCloseTo(0.1, 3);
  expect(await store.peek(key, RULE)).toBeCloseTo(0.1, 3);
  // Another key has its own full bucket; a long wait fills one up to its capacity, no further.
  expect(await store.peek(`api:${randomUUID()}`, RULE)).toBe(3);
  advance(3_600_000);
  expect(await store.peek(key, RULE)).toBe(3);
};

test("in memory", async () => {
  const time = clock();
  await bucketStory(memoryBuckets({ now: time.now }), time.advance);
});

describe.each(["sqlite", "postgresql"] as const)("in the database (%s)", (provider) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(provider);
  });
  afterAll(async () => {
    await t.drop();
  });

  test("takes, refuses, refills", async () => {
    const time = clock();
    await bucketStory(databaseBuckets(t.db, { now: time.now }), time.advance);
  });

  test("two processes' clients taking at once: the capacity is taken once, in total", async () => {
    // A second client (its own connections) stands for a second instance on the same database.
    const other = await connectDatabase(t.url);
    try {
      const rule = { capacity: 10, perMinute: 1 };
      const stores = [databaseBuckets(t.db), databaseBuckets(other)];
      const key = `api:${randomUUID()}`;
      const takes = await Promise.all(Array.from({ length: 40 }, (_, i) => stores[i % 2]!.take(key, rule)));
      expect(takes.filter((take) => take.allowed)).toHaveLength(10);
      for (const refused of takes.filter((take) => !take.allowed)) {
        expect(retryAfterSeconds(refused.tokens, rule)).toBeGreaterThanOrEqual(1);
        expect(retryAfterSeconds(refused.tokens, rule)).toBeLessThanOrEqual(60);
      }
    } finally {
      await other.close();
    }
  });

  test("buckets full again are deleted, now and then, as buckets are taken", async () => {
    await t.db.rateLimitBucket.deleteMany({});
    const time = clock();
    const store = databaseBuckets(t.db, { now: time.now });
    for (let i = 0; i < 5; i++) await store.take(`auth:10.0.0.${i}`, { capacity: 20, perMinute: 10 });
    time.advance(60_000);
    await store.take("api:recent", RULE);
    // 20 tokens at 10 a minute: the clients of a minute ago are not full yet, so they stay.
    expect(await t.db.rateLimitBucket.count()).toBe(6);
    time.advance(61_000);
    await store.take("api:recent", RULE);
    // Deleted in the background: wait for it.
    for (let i = 0; i < 100 && (await t.db.rateLimitBucket.count()) > 1; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await t.db.rateLimitBucket.findMany()).map((b) => b.key)).toEqual(["api:recent"]);
  });
});

describe("in Redis", () => {
  test("takes, refuses, refills; a bucket's key expires once it is full again", async () => {
    const time = clock();
    const client = createRedisClient(REDIS_URL);
    const prefix = `covenant-test:${randomUUID()}:`;
    const store = redisBuckets({
      client,
      fallback: memoryBuckets(),
      logger: { warn: () => {}, info: () => {} },
      now: time.now,
      prefix,
    });
    try {
      await bucketStory(store, time.advance);
      await store.take("api:ttl", RULE);
      const ttl = (await client.command(["PTTL", `${prefix}api:ttl`])) as number;
      // One token short refills in a second (and a second's margin).
      expect(ttl).toBeGreaterThan(1_000);
      expect(ttl).toBeLessThanOrEqual(2_000);
    } finally {
      await store.close();
    }
  });

  test("unreachable: the limits count in the fallback store, the outage logged once, Redis used again once it answers", async () => {
    const log: string[] = [];
    const logger = {
      warn: (_: object, msg: string) => void log.push(msg),
      info: (_: object, msg: string) => void log.push(msg),
    };
    // A port nothing listens on.
    const dead = createRedisClient("redis://127.0.0.1:1", { timeoutMs: 500 });
    let reachable = false;
    let scripts = 0;
    const client = {
      evalScript: (...args: Parameters<typeof dead.evalScript>) => {
        scripts++;
        return dead.evalScript(...args);
      },
      command: async (args: readonly (string | number)[]) => {
        if (!reachable) return dead.command(args);
        return "PONG";
      },
      close: () => dead.close(),
    };
    const time = clock();
    const fallback = memoryBuckets({ now: time.now });
    const store = redisBuckets({ client, fallback, logger, now: time.now });
    try {
      expect(await store.take("api:k", RULE)).toEqual({ allowed: true, tokens: 2 });
      expect(await store.take("api:k", RULE)).toEqual({ allowed: true, tokens: 1 });
      expect(await store.take("api:k", RULE)).toEqual({ allowed: true, tokens: 0 });
      expect(await store.take("api:k", RULE)).toEqual({ allowed: false, tokens: 0 });
      expect(await store.peek("api:k", RULE)).toBe(0);
      expect(log).toEqual([
        "Redis cannot be reached: rate limits are counted in the database until it is back",
      ]);
      // Only the first take asked Redis; the others went straight to the fallback.
      expect(scripts).toBe(1);
      // Back: found by a request's background PING (at most one a second), then used for the next ones.
      reachable = true;
      time.advance(1_000);
      await store.take("api:k", RULE);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(log.slice(1)).toEqual(["Redis is reachable again: rate limits are counted in Redis"]);
      await store.take("api:k", RULE);
      // Redis was asked again (this one still fails: a new outage, logged once more).
      expect(scripts).toBe(2);
      expect(log).toHaveLength(3);
    } finally {
      await store.close();
    }
  });
});
