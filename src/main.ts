import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { type Logger, pino } from "pino";
import type { ProbotOctokit } from "probot";
import { createApi } from "./api/create-api.ts";
import { type Config, githubApiUrl, githubAppConfigured } from "./config.ts";
import { createConsole } from "./console/create-console.tsx";
import { CovenantError } from "./core/errors.ts";
import { type Db, openDatabase } from "./db/client.ts";
import { getDatabaseIdentity } from "./db/database-identity.ts";
import { databaseBuckets, redisBuckets } from "./db/rate-limit-buckets.ts";
import { createRedisClient } from "./db/redis.ts";
import { createSetupFlow } from "./github/setup-flow.ts";
import { createJobQueue } from "./jobs/job-queue.ts";
import { runScanJob, SCAN_JOB_KIND, type ScanJobPayload } from "./jobs/scan-job.ts";
import { parseSourceHosts } from "./sources/source-hosts.ts";

export type RunningServer = {
  url: string;
  db: Db;
  githubApp: boolean;
  /** While the App is not configured: where to register it, with the setup token (also logged). */
  setupUrl?: string;
  close: () => Promise<void>;
};

const WEBHOOK_PATH = "/api/github/webhooks";
/**
 * The longest a request waits for Redis to connect or to answer a rate-limit take: past it, Redis
 * counts as unreachable and the request is limited through the database instead.
 */
const REDIS_TIMEOUT_MS = 1_000;

/** Why this instance cannot take requests now (its database does not answer within 2 s), or null. */
const databaseProblem = async (db: Db): Promise<string | null> => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      db.$queryRawUnsafe("SELECT 1"),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("no answer within 2 s")), 2_000);
      }),
    ]);
    return null;
  } catch (error) {
    return `database unavailable: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    clearTimeout(timer);
  }
};

const sendJson = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

/** /healthz and /readyz, for a load balancer or an orchestrator; true when the path was one of them. */
const healthProbes =
  ({ db, githubApp, closing }: { db: Db; githubApp: boolean; closing: () => boolean }) =>
  async (path: string | undefined, res: ServerResponse): Promise<boolean> => {
    if (path === "/healthz") {
      sendJson(res, 200, { status: "ok", database: db.provider, githubApp });
      return true;
    }
    if (path === "/readyz") {
      // Set when close() starts: 503, so a load balancer stops sending requests here.
      const problem = closing() ? "shutting down" : await databaseProblem(db);
      sendJson(
        res,
        problem ? 503 : 200,
        problem ? { status: "unavailable", reason: problem } : { status: "ready", database: db.provider },
      );
      return true;
    }
    return false;
  };

/**
 * The job queues of an instance: data scans, and the GitHub App's analyses when it is configured.
 * With JOB_WORKERS=0 they only enqueue (web-only); any instance's workers take any job.
 */
const createJobRunners = async ({
  config,
  db,
  logger,
  env,
  Octokit,
}: {
  config: Config;
  db: Db;
  logger: Logger;
  env: Record<string, string | undefined>;
  Octokit?: typeof ProbotOctokit;
}) => {
  const sources = {
    filesRoot: config.SOURCE_FILES_ROOT,
    env,
    hosts: parseSourceHosts(config.SOURCE_HOSTS),
    connectTimeoutMs: config.SOURCE_CONNECT_TIMEOUT_MS,
    ownDatabase: await getDatabaseIdentity(db, config.DATABASE_URL),
  };
  // Data scans run on the durable job queue: any instance's workers take them, a crash re-runs them.
  const scans = createJobQueue({
    db,
    logger,
    workers: config.JOB_WORKERS,
    // Renewed every 10 s while the scan runs: after a crash, another worker resumes it within 30 s
    // instead of the default 5 minutes, and a scan never shows "running" that long for nothing.
    leaseMs: 30_000,
    // A running scan is interrupted at once, not awaited: its job runs again (after a restart, or elsewhere).
    shutdownGraceMs: 0,
    handlers: {
      [SCAN_JOB_KIND]: (payload, job) =>
        runScanJob(
          { db, logger, sources, timeoutMs: config.SCAN_TIMEOUT_MS, shutdown: job.signal },
          payload as ScanJobPayload,
          job,
        ),
    },
  });
  // Probot, Octokit and the analysis threads load only when the App is configured.
  const github = githubAppConfigured(config)
    ? await (await import("./github/create-github-app.ts")).createGitHubApp({
        config,
        db,
        logger,
        ...(Octokit ? { Octokit } : {}),
      })
    : undefined;
  return {
    sources,
    scans,
    github,
    stopJobs: async () => {
      // Both at once: the App's jobs get SHUTDOWN_GRACE_MS to finish, scans are interrupted now.
      await Promise.all([github?.stop(), scans.stop()]);
    },
  };
};

const listen = async (server: Server, port: number, host: string): Promise<string> => {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const { port: bound } = server.address() as AddressInfo;
  const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  return `http://${shown.includes(":") ? `[${shown}]` : shown}:${bound}`;
};

/**
 * The composition root: one HTTP server carrying the REST API (/api/v1) and, when the GitHub
 * App is configured, its webhooks (/api/github/webhooks). The database is migrated first.
 */
export const startServer = async ({
  config,
  logger = pino({ level: config.LOG_LEVEL }),
  envFile = ".env",
  env = process.env,
  Octokit,
}: {
  config: Config;
  logger?: Logger;
  /** GitHub's client (benchmarks and tests turn its throttling off); Probot's by default. */
  Octokit?: typeof ProbotOctokit;
  /** Where GET /setup/callback writes a newly registered App's credentials. */
  envFile?: string;
  /** Where data sources' `location_env` (COVENANT_SOURCE_*) variables are read. */
  env?: Record<string, string | undefined>;
}): Promise<RunningServer> => {
  const db = await openDatabase(config.DATABASE_URL);
  const { sources, scans, github, stopJobs } = await createJobRunners({ config, db, logger, env, Octokit });
  // Rate limits count in Redis when it is configured, else in the database: shared by every
  // instance. While Redis cannot be reached they count in the database (see redisBuckets).
  const buckets = config.REDIS_URL
    ? redisBuckets({
        client: createRedisClient(config.REDIS_URL, { timeoutMs: REDIS_TIMEOUT_MS }),
        fallback: databaseBuckets(db, { logger }),
        logger,
      })
    : databaseBuckets(db, { logger });
  const api = createApi({
    db,
    logger,
    buckets,
    rateLimit: { perMinute: config.API_RATE_LIMIT_PER_MINUTE },
    authThrottle: { trustProxy: config.TRUST_PROXY },
    bodyLimitBytes: config.API_BODY_LIMIT_BYTES,
    sources,
    validateTimeoutMs: config.VALIDATE_TIMEOUT_MS,
    enqueue: scans.enqueue,
  });
  const apiListener = getRequestListener(api.fetch);
  // The App's URLs come from configuration, never from a request's Host header.
  let listeningUrl = "";
  const baseUrl = () => (config.PUBLIC_URL ?? listeningUrl).replace(/\/+$/, "");
  const githubWeb = config.GHE_HOST ? `${config.GHE_PROTOCOL}://${config.GHE_HOST}` : "https://github.com";
  const webConsole = createConsole({
    db,
    api,
    sessionSecret: config.SESSION_SECRET,
    baseUrl,
    githubWeb,
    github:
      config.GITHUB_CLIENT_ID && config.GITHUB_CLIENT_SECRET
        ? {
            clientId: config.GITHUB_CLIENT_ID,
            clientSecret: config.GITHUB_CLIENT_SECRET,
            webUrl: githubWeb,
            apiUrl: githubApiUrl(config),
            adminTeam: config.CONSOLE_ADMIN_TEAM,
          }
        : undefined,
  });
  const consoleListener = getRequestListener(webConsole.fetch);
  const setup = github
    ? undefined
    : createSetupFlow({
        config,
        envFile,
        logger,
        baseUrl,
      });

  // Set when close() starts: /readyz answers 503 so a load balancer stops sending requests here.
  let closing = false;
  const probes = healthProbes({ db, githubApp: github !== undefined, closing: () => closing });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    if (await probes(path, res)) return;
    if (setup && (await setup.handle(req, res))) return;
    if (path === WEBHOOK_PATH) {
      if (github && (await github.middleware(req, res))) return;
      if (!github) {
        return sendJson(res, 503, {
          code: "github_app_not_configured",
          message:
            "webhooks are off: register the App at /setup, or set APP_ID, PRIVATE_KEY and WEBHOOK_SECRET (see README, 'GitHub App')",
        });
      }
    }
    // The API (and its JSON 404s) under /api/; everything else is the web console.
    if (path?.startsWith("/api/")) return apiListener(req, res);
    await consoleListener(req, res);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error, url: req.url }, "request failed");
      if (!res.headersSent) sendJson(res, 500, { code: "internal", message: "internal server error" });
      else res.end();
    });
  });
  try {
    listeningUrl = await listen(server, config.PORT, config.HOST);
  } catch (error) {
    // Left open, the database pool and the App's workers would keep a failed start from exiting.
    await stopJobs();
    await buckets.close();
    await db.close();
    throw error;
  }
  scans.start();
  const setupUrl = setup?.setupUrl();
  if (setupUrl) logger.warn({ setupUrl }, "GitHub App not configured: register it at this address");

  return {
    url: listeningUrl,
    db,
    githubApp: github !== undefined,
    setupUrl,
    close: async () => {
      closing = true;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await stopJobs();
      await buckets.close();
      await db.close();
    },
  };
};

export type RunningWorker = {
  /** The health port's address (GET /healthz, /readyz), when one was asked for. */
  url?: string;
  db: Db;
  githubApp: boolean;
  close: () => Promise<void>;
};

/**
 * `covenant worker`: an instance that only runs the job queue (analyses and data scans), with no
 * webhooks, API or console; `healthPort` serves /healthz and /readyz alone, for an orchestrator.
 */
export const startWorker = async ({
  config,
  logger = pino({ level: config.LOG_LEVEL }),
  env = process.env,
  Octokit,
  healthPort = config.HEALTH_PORT,
}: {
  config: Config;
  logger?: Logger;
  Octokit?: typeof ProbotOctokit;
  env?: Record<string, string | undefined>;
  healthPort?: number;
}): Promise<RunningWorker> => {
  if (config.JOB_WORKERS === 0) {
    throw new CovenantError(
      "invalid_input",
      "JOB_WORKERS=0 leaves a worker nothing to do: unset it or set at least 1 (a web-only instance is `covenant serve` with JOB_WORKERS=0)",
    );
  }
  const db = await openDatabase(config.DATABASE_URL);
  const { scans, github, stopJobs } = await createJobRunners({ config, db, logger, env, Octokit });
  let closing = false;
  let server: Server | undefined;
  let url: string | undefined;
  if (healthPort !== undefined) {
    const probes = healthProbes({ db, githubApp: github !== undefined, closing: () => closing });
    server = createServer((req, res) => {
      probes((req.url ?? "/").split("?")[0], res)
        .then((answered) => {
          if (!answered)
            sendJson(res, 404, { code: "not_found", message: "a worker serves only /healthz and /readyz" });
        })
        .catch(() => sendJson(res, 500, { code: "internal", message: "internal server error" }));
    });
    try {
      url = await listen(server, healthPort, config.HOST);
    } catch (error) {
      await stopJobs();
      await db.close();
      throw error;
    }
  }
  scans.start();
  if (!github) logger.warn("GitHub App not configured: this worker runs data scans only");
  return {
    url,
    db,
    githubApp: github !== undefined,
    close: async () => {
      closing = true;
      if (server) {
        const open = server;
        await new Promise<void>((resolve) => open.close(() => resolve()));
        open.closeAllConnections();
      }
      await stopJobs();
      await db.close();
    },
  };
};
