import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { type Logger, pino } from "pino";
import type { ProbotOctokit } from "probot";
import { createApi } from "./api/create-api.ts";
import { type Config, githubApiUrl, githubAppConfigured } from "./config.ts";
import { createConsole } from "./console/create-console.tsx";
import { type Db, openDatabase } from "./db/client.ts";
import { getDatabaseIdentity } from "./db/database-identity.ts";
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
  const sources = {
    filesRoot: config.SOURCE_FILES_ROOT,
    env,
    hosts: parseSourceHosts(config.SOURCE_HOSTS),
    connectTimeoutMs: config.SOURCE_CONNECT_TIMEOUT_MS,
    ownDatabase: await getDatabaseIdentity(db, config.DATABASE_URL),
  };
  // Data scans run on the durable job queue: any instance's workers take them, a crash re-runs them.
  const shutdown = new AbortController();
  const scans = createJobQueue({
    db,
    logger,
    workers: config.JOB_WORKERS,
    // Renewed every 10 s while the scan runs: after a crash, another worker resumes it within 30 s
    // instead of the default 5 minutes, and a scan never shows "running" that long for nothing.
    leaseMs: 30_000,
    handlers: {
      [SCAN_JOB_KIND]: (payload, job) =>
        runScanJob(
          { db, logger, sources, timeoutMs: config.SCAN_TIMEOUT_MS, shutdown: shutdown.signal },
          payload as ScanJobPayload,
          job,
        ),
    },
  });
  const api = createApi({
    db,
    logger,
    rateLimit: { perMinute: config.API_RATE_LIMIT_PER_MINUTE },
    authThrottle: { trustProxy: config.TRUST_PROXY },
    bodyLimitBytes: config.API_BODY_LIMIT_BYTES,
    sources,
    validateTimeoutMs: config.VALIDATE_TIMEOUT_MS,
    enqueue: scans.enqueue,
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
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/healthz") {
      return sendJson(res, 200, { status: "ok", database: db.provider, githubApp: github !== undefined });
    }
    if (path === "/readyz") {
      const problem = closing ? "shutting down" : await databaseProblem(db);
      return sendJson(
        res,
        problem ? 503 : 200,
        problem ? { status: "unavailable", reason: problem } : { status: "ready", database: db.provider },
      );
    }
    if (setup && (await setup.handle(req, res))) return;
    if (!setup && (path === "/setup" || path?.startsWith("/setup/"))) {
      // Registration happens once; afterwards the console must not catch these paths either.
      return sendJson(res, 404, {
        code: "not_found",
        message: "the GitHub App is already configured (APP_ID is set): /setup registers an App only once",
      });
    }
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
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.PORT, config.HOST, resolve);
    });
  } catch (error) {
    // Left open, the database pool and the App's workers would keep a failed start from exiting.
    await github?.stop();
    await db.close();
    throw error;
  }
  scans.start();
  const { port } = server.address() as AddressInfo;
  const host = config.HOST === "0.0.0.0" || config.HOST === "::" ? "127.0.0.1" : config.HOST;
  listeningUrl = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
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
      await github?.stop();
      // A running scan is interrupted, not awaited: its job runs again (here after a restart, or elsewhere).
      shutdown.abort();
      await scans.stop();
      await db.close();
    },
  };
};
