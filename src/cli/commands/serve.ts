import type { Command } from "commander";
import { loadConfig } from "../../config.ts";
import type { CliIO } from "../io.ts";

const APP_HELP = `The GitHub App is not configured, so webhooks are off; the REST API is served.
To enforce contracts on pull requests, register the App (app.yml holds its manifest) and set
APP_ID, PRIVATE_KEY (or PRIVATE_KEY_PATH) and WEBHOOK_SECRET. See README, "GitHub App".
`;

export const registerServe = (program: Command, io: CliIO) =>
  program
    .command("serve")
    .description("Start the server: REST API under /api/v1 and, when configured, GitHub webhooks")
    .option("-p, --port <port>", "port to listen on (default: $PORT or 3000)")
    .action(async (options: { port?: string }) => {
      const config = loadConfig({ ...io.env, ...(options.port ? { PORT: options.port } : {}) });
      // Loaded on demand so that commands like `check` do not pay for the server's modules.
      const { startServer } = await import("../../main.ts");
      const server = await startServer({ config });
      io.stderr(
        `Covenant listening on ${server.url} (database: ${server.db.provider}; API: ${server.url}/api/v1, OpenAPI: ${server.url}/api/v1/openapi.json)\n`,
      );
      if (!server.githubApp) io.stderr(APP_HELP);
      await new Promise<void>((resolve) => {
        const stop = () => {
          io.stderr("Covenant shutting down\n");
          server.close().then(resolve, resolve);
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
    });
