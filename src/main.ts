import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { type Logger, pino } from "pino";
import { createApi } from "./api/create-api.ts";
import { type Config, githubAppConfigured } from "./config.ts";
import { type Db, openDatabase } from "./db/client.ts";
import { createGitHubApp } from "./github/create-github-app.ts";
import { createSetupFlow } from "./github/setup-flow.ts";

export type RunningServer = { url: string; db: Db; githubApp: boolean; close: () => Promise<void> };

const WEBHOOK_PATH = "/api/github/webhooks";

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
}: {
  config: Config;
  logger?: Logger;
  /** Where GET /setup/callback writes a newly registered App's credentials. */
  envFile?: string;
}): Promise<RunningServer> => {
  const db = await openDatabase(config.DATABASE_URL);
  const api = createApi({
    db,
    logger,
    rateLimit: { perMinute: config.API_RATE_LIMIT_PER_MINUTE },
    bodyLimitBytes: config.API_BODY_LIMIT_BYTES,
  });
  const github = githubAppConfigured(config) ? await createGitHubApp({ config, db, logger }) : undefined;
  const apiListener = getRequestListener(api.fetch);
  const setup = github ? undefined : createSetupFlow({ config, envFile, logger });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/healthz") {
      return sendJson(res, 200, { status: "ok", database: db.provider, githubApp: github !== undefined });
    }
    if (setup && (await setup(req, res))) return;
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
    await apiListener(req, res);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error, url: req.url }, "request failed");
      if (!res.headersSent) sendJson(res, 500, { code: "internal", message: "internal server error" });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.PORT, config.HOST, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = config.HOST === "0.0.0.0" || config.HOST === "::" ? "127.0.0.1" : config.HOST;

  return {
    url: `http://${host}:${port}`,
    db,
    githubApp: github !== undefined,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await github?.stop();
      await db.close();
    },
  };
};
