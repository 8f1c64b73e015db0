import type { Db } from "./client.ts";
import { Prisma } from "./generated/sqlite/client.ts";

/**
 * A token bucket: `capacity` tokens when full, refilled continuously at `perMinute`, so a client
 * may burst up to the capacity and then proceeds at the steady rate.
 */
export type BucketRule = { capacity: number; perMinute: number };

/** What taking a token found: taken (`tokens` left afterwards) or refused (`tokens` there now, under 1). */
export type BucketTake = { allowed: boolean; tokens: number };

/**
 * Where the buckets live. In memory they are one process's; in the database (the default) or in
 * Redis, every instance on it counts against the same buckets. Keys name the limit and its
 * subject (`api:<key id>`, `auth:<client address>`).
 */
export type BucketStore = {
  /** Takes one token if the bucket has one; one round trip to a shared store. */
  take: (key: string, rule: BucketRule) => Promise<BucketTake>;
  /** The tokens in the bucket now, taking none. */
  peek: (key: string, rule: BucketRule) => Promise<number>;
  close: () => Promise<void>;
};

const perMs = (rule: BucketRule) => rule.perMinute / 60_000;

/** Tokens after `elapsedMs` of refill (a clock that went back refills nothing). */
export const refilled = (tokens: number, elapsedMs: number, rule: BucketRule): number =>
  Math.min(rule.capacity, tokens + Math.max(0, elapsedMs) * perMs(rule));

/** Whole seconds until a bucket holding `tokens` (under 1) has a token again; at least 1. */
export const retryAfterSeconds = (tokens: number, rule: BucketRule): number =>
  Math.max(1, Math.ceil((1 - tokens) / perMs(rule) / 1000));

/** How long an empty bucket takes to be full again: an untouched bucket older than this is full. */
export const fillMs = (rule: BucketRule): number => Math.ceil(rule.capacity / perMs(rule));

/** Buckets remembered at most by one process's memory store (the oldest is forgotten first). */
const MAX_MEMORY_BUCKETS = 10_000;

/** One process's buckets: for tests and single-process tools. */
export const memoryBuckets = ({ now = Date.now }: { now?: () => number } = {}): BucketStore => {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const current = (key: string, rule: BucketRule) => {
    const t = now();
    const bucket = buckets.get(key);
    return { tokens: bucket ? refilled(bucket.tokens, t - bucket.at, rule) : rule.capacity, at: t };
  };
  return {
    take: async (key, rule) => {
      const bucket = current(key, rule);
      if (bucket.tokens < 1) return { allowed: false, tokens: bucket.tokens };
      bucket.tokens -= 1;
      if (!buckets.has(key) && buckets.size >= MAX_MEMORY_BUCKETS) {
        // A Map keeps insertion order: the longest-known bucket goes first.
        const oldest = buckets.keys().next().value;
        if (oldest !== undefined) buckets.delete(oldest);
      }
      buckets.set(key, bucket);
      return { allowed: true, tokens: bucket.tokens };
    },
    peek: async (key, rule) => current(key, rule).tokens,
    close: async () => buckets.clear(),
  };
};

/** How often a process deletes the buckets that are full again (a missing bucket is a full one). */
const SWEEP_EVERY_MS = 60_000;

/**
 * Buckets in the RateLimitBucket table, shared by every instance on the database. A take is one
 * statement (an upsert that refills, takes and answers what is left); a refused take leaves the
 * row as it was. Buckets untouched for longer than they take to refill are deleted now and then,
 * so the table holds only the clients of the last few minutes.
 */
export const databaseBuckets = (
  db: Db,
  {
    now = Date.now,
    logger,
  }: { now?: () => number; logger?: { warn: (obj: object, msg: string) => void } } = {},
): BucketStore => {
  const pg = db.provider === "postgresql";
  const ts = (value: Date) => (pg ? Prisma.sql`${value}::timestamp(3)` : Prisma.sql`${value}`);
  const num = (value: number) => (pg ? Prisma.sql`${value}::float8` : Prisma.sql`${value}`);
  /** The bucket row `b` refilled up to `at`, in SQL. */
  const refilledSql = (at: Date, rule: BucketRule) => {
    const elapsedMs = pg
      ? Prisma.sql`GREATEST(0, EXTRACT(EPOCH FROM (${ts(at)} - b."updatedAt"))::float8 * 1000)`
      : Prisma.sql`MAX(0, (unixepoch(${at}, 'subsec') - unixepoch(b."updatedAt", 'subsec')) * 1000)`;
    return Prisma.sql`${pg ? Prisma.raw("LEAST") : Prisma.raw("MIN")}(${num(rule.capacity)}, b."tokens" + ${elapsedMs} * ${num(perMs(rule))})`;
  };

  let longestFillMs = 0;
  let sweptAt = now();
  const sweep = (at: number) => {
    if (at - sweptAt < SWEEP_EVERY_MS) return;
    sweptAt = at;
    db.$executeRaw`DELETE FROM "RateLimitBucket" WHERE "updatedAt" < ${ts(new Date(at - longestFillMs))}`.catch(
      (error: unknown) => logger?.warn({ err: error }, "deleting full rate limit buckets failed"),
    );
  };

  const peek = async (key: string, rule: BucketRule) => {
    const at = new Date(now());
    const rows = await db.$queryRaw<{ tokens: number }[]>(
      Prisma.sql`SELECT ${refilledSql(at, rule)} AS "tokens" FROM "RateLimitBucket" b WHERE b."key" = ${key}`,
    );
    return rows[0] ? Number(rows[0].tokens) : rule.capacity;
  };

  return {
    take: async (key, rule) => {
      const t = now();
      const at = new Date(t);
      longestFillMs = Math.max(longestFillMs, fillMs(rule));
      sweep(t);
      const refill = refilledSql(at, rule);
      const upsert = Prisma.sql`INSERT INTO "RateLimitBucket" AS b ("key", "tokens", "updatedAt")
          VALUES (${key}, ${num(rule.capacity - 1)}, ${ts(at)})
        ON CONFLICT ("key") DO UPDATE SET "tokens" = ${refill} - 1,
          "updatedAt" = ${pg ? Prisma.raw("GREATEST") : Prisma.raw("MAX")}(b."updatedAt", ${ts(at)})
        WHERE ${refill} >= 1
        RETURNING "tokens"`;
      if (pg) {
        // One statement: the outer SELECT reads the row as it was before the upsert, so a refused
        // take (no row returned) still says how many tokens there are, for Retry-After.
        // Committed without waiting for the WAL flush (this statement's transaction only): a bucket
        // lost in a crash is a full one, and the flush would triple what a take costs.
        const rows = await db.$queryRaw<{ left: number | null; tokens: number | null }[]>(
          Prisma.sql`WITH took AS (${upsert}),
              async AS (SELECT set_config('synchronous_commit', 'off', true) AS "setting")
            SELECT (SELECT "tokens" FROM took) AS "left",
              (SELECT ${refill} FROM "RateLimitBucket" b WHERE b."key" = ${key}) AS "tokens",
              (SELECT "setting" FROM async) AS "commit"`,
        );
        const row = rows[0];
        if (row?.left !== null && row?.left !== undefined) return { allowed: true, tokens: Number(row.left) };
        return { allowed: false, tokens: Math.min(0.999, Number(row?.tokens ?? 0)) };
      }
      // SQLite runs in this process: the refused case reads the bucket with a second statement.
      const rows = await db.$queryRaw<{ tokens: number }[]>(upsert);
      if (rows[0]) return { allowed: true, tokens: Number(rows[0].tokens) };
      return { allowed: false, tokens: Math.min(0.999, await peek(key, rule)) };
    },
    peek,
    close: async () => {},
  };
};

/**
 * Takes (ARGV[4] = 1) or only counts (0) a token of the bucket at KEYS[1], a hash of tokens and
 * the time they were counted; the key expires once the bucket would be full again. Numbers go
 * back as strings: Redis truncates a script's numbers to integers.
 */
const REDIS_TAKE = `
local capacity, perMs, now, take = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = capacity, now
if saved[1] then tokens, at = tonumber(saved[1]), tonumber(saved[2]) end
tokens = math.min(capacity, tokens + math.max(0, now - at) * perMs)
if take == 0 or tokens < 1 then return {0, tostring(tokens)} end
tokens = tokens - 1
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(math.max(now, at)))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / perMs) + 1000)
return {1, tostring(tokens)}
`;

/** How often, at most, a request starts a check whether an unreachable Redis is back. */
export const REDIS_RETRY_MS = 1_000;

/**
 * Buckets in Redis (REDIS_URL), shared by every instance using it: a take is one script call, and
 * a bucket's key expires once it is full again. While Redis cannot be reached the limits are
 * counted in `fallback` (the database's buckets, shared by the instances too): a security control
 * must not fail open, and a dead Redis must not take the API down with it. The requests that find
 * Redis gone wait at most the client's timeout; the ones after go straight to the fallback, while
 * a request now and then (every REDIS_RETRY_MS) starts a PING in the background, and Redis is used
 * again once it answers. One warning when Redis goes away, one info line when it is back. The two
 * stores keep their own counts: at a switch a client has what it had left in the other store (at
 * most one more burst), never more.
 */
export const redisBuckets = ({
  client,
  fallback,
  logger,
  now = Date.now,
  prefix = "covenant:bucket:",
}: {
  client: {
    evalScript: (script: string, keys: string[], args: (string | number)[]) => Promise<unknown>;
    command: (args: readonly (string | number)[]) => Promise<unknown>;
    close: () => Promise<void>;
  };
  fallback: BucketStore;
  logger: { warn: (obj: object, msg: string) => void; info: (obj: object, msg: string) => void };
  now?: () => number;
  prefix?: string;
}): BucketStore => {
  /** Since when Redis is known unreachable (undefined: in use). */
  let downSince: number | undefined;
  let probedAt = Number.NEGATIVE_INFINITY;
  let probing: Promise<void> | undefined;
  const wentAway = (error: unknown) => {
    if (downSince !== undefined) return;
    downSince = now();
    probedAt = downSince;
    logger.warn(
      { err: error },
      "Redis cannot be reached: rate limits are counted in the database until it is back",
    );
  };
  const probe = () => {
    if (probing || now() - probedAt < REDIS_RETRY_MS) return;
    probedAt = now();
    probing = client
      .command(["PING"])
      .then(
        () => {
          if (downSince === undefined) return;
          logger.info(
            { downForMs: now() - downSince },
            "Redis is reachable again: rate limits are counted in Redis",
          );
          downSince = undefined;
        },
        () => {},
      )
      .finally(() => {
        probing = undefined;
      });
  };
  const counted = async (key: string, rule: BucketRule, take: 0 | 1): Promise<BucketTake> =>
    take ? fallback.take(key, rule) : { allowed: true, tokens: await fallback.peek(key, rule) };
  const run = async (key: string, rule: BucketRule, take: 0 | 1): Promise<BucketTake> => {
    if (downSince !== undefined) {
      probe();
      return counted(key, rule, take);
    }
    try {
      const reply = (await client.evalScript(
        REDIS_TAKE,
        [`${prefix}${key}`],
        [rule.capacity, perMs(rule), now(), take],
      )) as [number, string];
      return { allowed: reply[0] === 1, tokens: Number(reply[1]) };
    } catch (error) {
      wentAway(error);
      return counted(key, rule, take);
    }
  };
  return {
    take: (key, rule) => run(key, rule, 1),
    peek: async (key, rule) => (await run(key, rule, 0)).tokens,
    close: async () => {
      await probing;
      await Promise.all([client.close(), fallback.close()]);
    },
  };
};
