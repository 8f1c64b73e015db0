import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";
import type { Command } from "commander";
import { loadConfig } from "../../config.ts";
import type { CliIO } from "../io.ts";

const appHelp = (
  setupUrl: string,
) => `The GitHub App is not configured, so webhooks are off; the REST API is served.
To enforce contracts on pull requests, register the App from its manifest (app.yml) at
  ${setupUrl}
(the token is new at every start and lets whoever holds it register the App: keep it to yourself;
set PUBLIC_URL first if GitHub reaches this server at another address); its credentials are
written to .env. Or set APP_ID, PRIVATE_KEY (or PRIVATE_KEY_PATH) and WEBHOOK_SECRET yourself.
See docs/github-app.md.
`;

/** .env in the working directory, under the environment: variables already set win. */
const withDotEnv = (env: CliIO["env"], envFile: string): CliIO["env"] =>
  existsSync(envFile) ? { ...parseEnv(readFileSync(envFile, "utf8")), ...env } : env;

export const registerServe = (program: Command, io: CliIO) =>
  program
    .command("serve")
    .description("Start the server: REST API under /api/v1 and, when configured, GitHub webhooks")
    .option("-p, --port <port>", "port to listen on (default: $PORT or 3000)")
    .action(async (options: { port?: string }) => {
      const envFile = join(io.cwd, ".env");
      const env = withDotEnv(io.env, envFile);
      const config = loadConfig({ ...env, ...(options.port ? { PORT: options.port } : {}) });
      // Loaded on demand so that commands like `check` do not pay for the server's modules.
      const { startServer } = await import("../../main.ts");
      const server = await startServer({ config, envFile, env });
      io.stderr(
        `Covenant listening on ${server.url} (database: ${server.db.provider}; API: ${server.url}/api/v1, OpenAPI: ${server.url}/api/v1/openapi.json)\n`,
      );
      if (server.setupUrl) io.stderr(appHelp(server.setupUrl));
      await new Promise<void>((resolve) => {
        const stop = () => {
          io.stderr("Covenant shutting down\n");
          server.close().then(resolve, resolve);
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
    });
