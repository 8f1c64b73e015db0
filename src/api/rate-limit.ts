import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "./auth.ts";
import { RateLimitedError } from "./errors.ts";

type Bucket = { tokens: number; at: number };

/**
 * Token bucket per API key, in memory: `perMinute` tokens, refilled continuously, so a client
 * may burst up to a minute's allowance and then proceeds at the steady rate. Per instance:
 * several instances behind a load balancer each allow `perMinute`.
 */
export const rateLimit = ({
  perMinute,
  now = Date.now,
}: {
  perMinute: number;
  now?: () => number;
}): MiddlewareHandler<ApiEnv> => {
  const buckets = new Map<string, Bucket>();
  const perMs = perMinute / 60_000;
  return async (c, next) => {
    const key = c.get("auth").keyId;
    const t = now();
    const bucket = buckets.get(key) ?? { tokens: perMinute, at: t };
    bucket.tokens = Math.min(perMinute, bucket.tokens + (t - bucket.at) * perMs);
    bucket.at = t;
    buckets.set(key, bucket);
    if (bucket.tokens < 1) {
      throw new RateLimitedError(Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)));
    }
    bucket.tokens -= 1;
    c.header("RateLimit-Limit", String(perMinute));
    c.header("RateLimit-Remaining", String(Math.floor(bucket.tokens)));
    await next();
  };
};
