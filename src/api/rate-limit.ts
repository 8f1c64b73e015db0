import type { MiddlewareHandler } from "hono";
import { type BucketStore, retryAfterSeconds } from "../db/rate-limit-buckets.ts";
import type { ApiEnv } from "./auth.ts";
import { RateLimitedError } from "./errors.ts";

/**
 * Token bucket per API key: `perMinute` tokens, refilled continuously, so a client may burst up to
 * a minute's allowance and then proceeds at the steady rate. The buckets live in `buckets`: in the
 * database or Redis, every instance behind a load balancer counts against the same allowance.
 */
export const rateLimit = ({
  perMinute,
  buckets,
}: {
  perMinute: number;
  buckets: BucketStore;
}): MiddlewareHandler<ApiEnv> => {
  const rule = { capacity: perMinute, perMinute };
  return async (c, next) => {
    const taken = await buckets.take(`api:${c.get("auth").keyId}`, rule);
    if (!taken.allowed) throw new RateLimitedError(retryAfterSeconds(taken.tokens, rule));
    c.header("RateLimit-Limit", String(perMinute));
    c.header("RateLimit-Remaining", String(Math.floor(taken.tokens)));
    await next();
  };
};
