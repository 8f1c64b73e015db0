import type { MiddlewareHandler } from "hono";
import { CovenantError } from "../core/errors.ts";
import { type ApiKeyScope, findApiKeyBySecret, touchApiKey } from "../db/api-keys.ts";
import type { Db } from "../db/client.ts";
import { installationStopReason } from "../db/installations.ts";
import { type BucketStore, retryAfterSeconds } from "../db/rate-limit-buckets.ts";
import { clientAddress } from "./client-address.ts";
import { type ApiLogger, RateLimitedError } from "./errors.ts";

export type AuthContext = {
  installationId: string;
  keyId: string;
  scope: ApiKeyScope;
  /** Recorded as createdBy / resolvedBy: `api-key:<name>`. */
  actor: string;
};

export type ApiEnv = { Variables: { auth: AuthContext } };

const SCOPE_RANK: Record<ApiKeyScope, number> = { read: 0, manage: 1, admin: 2 };

/** The key from `Authorization: Bearer`, `X-API-Key`, or HTTP Basic (as user name or password). */
export const presentedKey = (headers: { authorization?: string; apiKey?: string }): string | undefined => {
  const apiKey = headers.apiKey?.trim();
  if (apiKey) return apiKey;
  const auth = headers.authorization?.trim();
  if (!auth) return undefined;
  const space = auth.indexOf(" ");
  const scheme = (space < 0 ? auth : auth.slice(0, space)).toLowerCase();
  const value = space < 0 ? "" : auth.slice(space + 1).trim();
  if (scheme === "bearer") return value || undefined;
  if (scheme === "basic") {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    const user = colon < 0 ? decoded : decoded.slice(0, colon);
    const password = colon < 0 ? "" : decoded.slice(colon + 1);
    if (user.startsWith("cov_")) return user;
    if (password.startsWith("cov_")) return password;
    return user || password || undefined;
  }
  return undefined;
};

const TOUCH_INTERVAL_MS = 60_000;

export type AuthThrottle = {
  /** Failed authentications a client may make in a burst… */
  burst: number;
  /** …and afterwards per minute. */
  perMinute: number;
  /** Proxies in front of the server whose X-Forwarded-For is believed (0: none). */
  trustProxy: number;
};

export const DEFAULT_AUTH_THROTTLE: AuthThrottle = { burst: 20, perMinute: 10, trustProxy: 0 };

/** Clients this process remembers as throttled, at most. */
const MAX_BLOCKED_CLIENTS = 10_000;

/**
 * Failed authentications per client address, as a token bucket: guessing keys costs a database
 * lookup each (2,000 wrong keys took 4.5 s), so a client past its burst waits, with Retry-After,
 * before any further key it sends is even looked up, right or wrong. The buckets are shared by
 * every instance on the same store, so spreading guesses over instances gains nothing. A client
 * found throttled is remembered here until its bucket has a token again (no bucket refills faster),
 * so its further requests cost the store nothing either.
 */
const failureThrottle = ({ burst, perMinute }: AuthThrottle, buckets: BucketStore, now = Date.now) => {
  const rule = { capacity: burst, perMinute };
  const blockedUntil = new Map<string, number>();
  const refuse = (seconds: number) =>
    new RateLimitedError(
      seconds,
      `Too many failed authentications from this client: retry after ${seconds} s with a valid API key.`,
    );
  return {
    /** Throws 429 while the client has no failures left. */
    check: async (client: string) => {
      const t = now();
      const until = blockedUntil.get(client);
      if (until !== undefined) {
        if (until > t) throw refuse(Math.max(1, Math.ceil((until - t) / 1000)));
        blockedUntil.delete(client);
      }
      const tokens = await buckets.peek(`auth:${client}`, rule);
      if (tokens < 1) {
        if (blockedUntil.size >= MAX_BLOCKED_CLIENTS) {
          // A Map keeps insertion order: the longest-known client goes first.
          const oldest = blockedUntil.keys().next().value;
          if (oldest !== undefined) blockedUntil.delete(oldest);
        }
        blockedUntil.set(client, t + ((1 - tokens) * 60_000) / perMinute);
        throw refuse(retryAfterSeconds(tokens, rule));
      }
    },
    fail: async (client: string) => {
      await buckets.take(`auth:${client}`, rule);
    },
  };
};

/**
 * Authenticates every request with an API key and pins it to the key's installation. Every
 * query below is scoped by that installation, so another tenant's objects are simply not
 * found (404): the API never tells whether an id exists elsewhere.
 */
export const authenticate = ({
  db,
  logger,
  throttle = DEFAULT_AUTH_THROTTLE,
  buckets,
}: {
  db: Db;
  logger: ApiLogger;
  throttle?: AuthThrottle;
  /** Where failures are counted (see `failureThrottle`). */
  buckets: BucketStore;
}): MiddlewareHandler<ApiEnv> => {
  const touched = new Map<string, number>();
  const failures = failureThrottle(throttle, buckets);
  return async (c, next) => {
    // The console calls the routes in-process with its signed-in user's context as a binding
    // (`app.request(path, init, { consoleAuth })`); requests from the network never carry one.
    const preset = (c.env as { consoleAuth?: AuthContext } | undefined)?.consoleAuth;
    if (preset) {
      c.set("auth", preset);
      return next();
    }
    const secret = presentedKey({
      authorization: c.req.header("authorization"),
      apiKey: c.req.header("x-api-key"),
    });
    if (!secret) {
      throw new CovenantError(
        "unauthorized",
        "Missing API key: send it as `Authorization: Bearer <key>`, `X-API-Key: <key>` or HTTP Basic.",
      );
    }
    const client = clientAddress(c, throttle.trustProxy);
    await failures.check(client);
    // A sha256 of an absurdly long header is cheap, but there is no point looking it up.
    const key = secret.length <= 200 ? await findApiKeyBySecret(db, secret) : null;
    if (!key || key.revokedAt) {
      await failures.fail(client);
      const reason = key?.installation.deletedAt ? installationStopReason(key.installation) : null;
      throw new CovenantError(
        "unauthorized",
        reason ?? (key ? "This API key has been revoked." : "Invalid API key."),
      );
    }
    const stopped = installationStopReason(key.installation);
    if (stopped) throw new CovenantError("forbidden", stopped);
    c.set("auth", {
      installationId: key.installationId,
      keyId: key.id,
      scope: key.scope as ApiKeyScope,
      actor: `api-key:${key.name}`,
    });
    const now = Date.now();
    if (now - (touched.get(key.id) ?? 0) > TOUCH_INTERVAL_MS) {
      touched.set(key.id, now);
      touchApiKey(db, key.id, new Date(now)).catch((err: unknown) =>
        logger.warn({ err }, "could not record API key use"),
      );
    }
    await next();
  };
};

/** Per-route scope: read < manage < admin. */
export const requireScope =
  (scope: ApiKeyScope): MiddlewareHandler<ApiEnv> =>
  async (c, next) => {
    const auth = c.get("auth");
    if (SCOPE_RANK[auth.scope] < SCOPE_RANK[scope]) {
      throw new CovenantError(
        "forbidden",
        `This API key has scope "${auth.scope}"; this operation needs "${scope}". Create a key with that scope.`,
      );
    }
    await next();
  };
