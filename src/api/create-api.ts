import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { CovenantError } from "../core/errors.ts";
import type { Db } from "../db/client.ts";
import { type EnqueueJobInput, enqueueJob } from "../db/jobs.ts";
import { type BucketStore, databaseBuckets } from "../db/rate-limit-buckets.ts";
import type { SourceSettings } from "../sources/source-location.ts";
import { type ApiEnv, type AuthThrottle, authenticate, DEFAULT_AUTH_THROTTLE } from "./auth.ts";
import { type ApiLogger, errorResponse, zodDetails } from "./errors.ts";
import { rateLimit } from "./rate-limit.ts";
import { guardRequest } from "./request-guard.ts";
import { V1 } from "./route.ts";
import { registerAnalysisRoutes } from "./routes/analyses.ts";
import { registerApiKeyRoutes } from "./routes/api-keys.ts";
import { registerAssignmentRoutes } from "./routes/assignments.ts";
import { registerCheckRoutes } from "./routes/check.ts";
import { registerContractRoutes } from "./routes/contracts.ts";
import { registerInferRoutes } from "./routes/infer.ts";
import { registerLineageRoutes } from "./routes/lineage.ts";
import { registerPolicyRoutes } from "./routes/policies.ts";
import { registerRepositoryRoutes } from "./routes/repositories.ts";
import { registerScanRoutes } from "./routes/scans.ts";
import { registerSourceRoutes } from "./routes/sources.ts";
import { registerValidateRoutes } from "./routes/validate.ts";
import { registerVersionRoutes } from "./routes/versions.ts";
import { registerViolationRoutes } from "./routes/violations.ts";

/*
 * Decisions that shape the API (see also the route descriptions in the OpenAPI document):
 * - Tenancy: every query is scoped by the API key's installation; an object of another
 *   installation answers 404 exactly like a missing one, so ids never leak across tenants.
 * - A new contract is `draft` whatever its YAML says; the ignored `status` comes back in
 *   `warnings`. The lifecycle (src/core/model/lifecycle.ts) is the registry's, not the file's.
 * - `contents` is stored as sent, except the fields the registry owns (status, enforcement, owners,
 *   description, deprecation), which are rewritten in place to say the registry's current state
 *   (src/core/model/contract-state.ts); `checksum` is the checksum of what is stored. Enforcement
 *   is read from the YAML at creation and afterwards changed with PUT (a platform decision, not a
 *   content edit); publishing a version updates owners, dataset and description from the new contents.
 * - Pagination: `page` is 0-based; `cursor` (opaque) continues after the previous page's last item.
 * - Authentication runs before routing under /api/v1, so an unknown path without a key is 401.
 */
export type ApiOptions = {
  db: Db;
  logger?: ApiLogger;
  rateLimit?: { perMinute: number };
  /** Failed authentications per client address, and how many proxies' X-Forwarded-For to believe. */
  authThrottle?: Partial<AuthThrottle>;
  /**
   * Where the rate limit and the failed-authentication throttle count: by default the database's
   * RateLimitBucket table, shared by every instance on it (Redis when REDIS_URL is set, see main.ts).
   */
  buckets?: BucketStore;
  bodyLimitBytes?: number;
  /** Where file sources may live and where `location_env` names are looked up (default ./data/sources, process.env). */
  sources?: SourceSettings;
  /** Statement timeout of a synchronous validation against a data source. */
  validateTimeoutMs?: number;
  /** Queues a durable job (scans); default: straight into the job table, for whichever worker polls it. */
  enqueue?: (input: EnqueueJobInput) => Promise<unknown>;
};

export const OPENAPI_PATH = `${V1}/openapi.json`;
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 600;
export const DEFAULT_VALIDATE_TIMEOUT_MS = 30_000;

const consoleLogger: ApiLogger = {
  error: (obj, msg) => console.error(msg ?? "error", obj),
  warn: (obj, msg) => console.warn(msg ?? "warning", obj),
};

/**
 * The REST API. Routes carry their full paths (`/api/v1/...`), so the returned app serves
 * requests as they arrive: mount it at the root (or pass `app.fetch` straight to the server).
 */
export const createApi = ({
  db,
  logger = consoleLogger,
  rateLimit: limit,
  authThrottle,
  buckets = databaseBuckets(db, { logger }),
  bodyLimitBytes = DEFAULT_BODY_LIMIT_BYTES,
  sources = { filesRoot: "./data/sources", env: process.env },
  validateTimeoutMs = DEFAULT_VALIDATE_TIMEOUT_MS,
  enqueue = (input) => enqueueJob(db, input),
}: ApiOptions): OpenAPIHono<ApiEnv> => {
  const app = new OpenAPIHono<ApiEnv>({
    // Validation failures become CovenantErrors, rendered by onError like every other error.
    defaultHook: (result) => {
      if (!result.success) {
        const details = zodDetails(result.error);
        const where =
          result.target === "json" ? "request body" : result.target === "param" ? "path" : result.target;
        throw new CovenantError("invalid_input", `Invalid ${where}: ${details[0]?.message ?? ""}`, details);
      }
    },
  });

  app.onError((error, c) => errorResponse(c, error, logger));
  app.notFound((c) =>
    c.json(
      { code: "not_found", message: `No route ${c.req.method} ${c.req.path}; see ${OPENAPI_PATH}.` },
      404,
    ),
  );

  app.use(
    "*",
    bodyLimit({
      maxSize: bodyLimitBytes,
      onError: () => {
        throw new CovenantError("payload_too_large", `Request body larger than ${bodyLimitBytes} bytes.`);
      },
    }),
  );

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "Authorization: Bearer <API key>",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKeyHeader", {
    type: "apiKey",
    in: "header",
    name: "X-API-Key",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "basicAuth", {
    type: "http",
    scheme: "basic",
    description: "The API key as user name or password",
  });

  // Public: the document describes the API, it holds no data. Generated on first request (every
  // route is registered by then) and kept: generating it costs more than most API calls.
  let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  app.get(OPENAPI_PATH, (c) => {
    document ??= app.getOpenAPI31Document({
      openapi: "3.1.0",
      info: {
        title: "Covenant API",
        version: "1.0.0",
        description:
          "Data contracts registry, lifecycle, versions, assignments, violations, data sources, data validation " +
          "(validate, verify scans, infer), repository " +
          "policies, column lineage and API keys. Errors are `{ code, message, details? }`. Objects of another installation are " +
          "never visible: they answer 404, like objects that do not exist.",
      },
    });
    return c.json(document, 200);
  });

  const auth = authenticate({ db, logger, buckets, throttle: { ...DEFAULT_AUTH_THROTTLE, ...authThrottle } });
  app.use(`${V1}/*`, async (c, next) => (c.req.path === OPENAPI_PATH ? next() : auth(c, next)));
  const limiter = rateLimit({ perMinute: limit?.perMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE, buckets });
  app.use(`${V1}/*`, async (c, next) => (c.req.path === OPENAPI_PATH ? next() : limiter(c, next)));
  app.use(`${V1}/*`, guardRequest());

  registerContractRoutes(app, { db });
  registerVersionRoutes(app, { db });
  registerAssignmentRoutes(app, { db });
  registerViolationRoutes(app, { db });
  registerCheckRoutes(app, { db });
  registerValidateRoutes(app, { db, sources, validateTimeoutMs, enqueue });
  registerSourceRoutes(app, { db, sources });
  registerScanRoutes(app, { db });
  registerInferRoutes(app, { db, sources });
  registerPolicyRoutes(app, { db });
  registerRepositoryRoutes(app, { db });
  registerAnalysisRoutes(app, { db, enqueue });
  registerLineageRoutes(app, { db });
  registerApiKeyRoutes(app, { db });
  return app;
};
