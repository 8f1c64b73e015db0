import { join } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { CovenantError } from "../../core/errors.ts";
import { PORT_RULE, parsePort } from "../../port.ts";
import { type CliIO, settingOrigin } from "../io.ts";

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

const firstKeyHelp = (
  url: string,
) => `No API key yet. Create the first one in this directory (it reads the same .env, so the same
database): npx covenant keys create --scope admin --name bootstrap
then send it as Authorization: Bearer <key>, or sign in with it at ${url}/.
`;

export const portOption = (value: string): string => {
  if (parsePort(value) === undefined) throw new InvalidArgumentError(PORT_RULE);
  return value.trim();
};

/** Why the server could not listen, said as what to change. */
export const listenError = (
  error: unknown,
  where: string,
  port: string,
  setting = "--port or PORT",
): unknown => {
  const code = (error as NodeJS.ErrnoException).code;
  const change = `choose another port with ${setting} (now ${port})`;
  if (code === "EADDRINUSE") {
    return new CovenantError(
      "invalid_input",
      `Cannot listen on ${where}: the port is already in use (another Covenant server?). Stop that process, or ${change}.`,
    );
  }
  if (code === "EACCES") {
    return new CovenantError(
      "invalid_input",
      `Cannot listen on ${where}: permission denied (ports below 1024 need privileges). ${change[0]!.toUpperCase()}${change.slice(1)}.`,
    );
  }
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") {
    return new CovenantError(
      "invalid_input",
      `Cannot listen on ${where}: this machine has no such address. Fix HOST (0.0.0.0 listens on every interface).`,
    );
  }
  return error;
};

export const registerServe = (program: Command, io: CliIO) =>
  program
    .command("serve")
    .description("Start the server: REST API under /api/v1 and, when configured, GitHub webhooks")
    .option("-p, --port <port>", "port to listen on (default: $PORT or 3000)", portOption)
    .action(async (options: { port?: string }) => {
      const envFile = join(io.cwd, ".env");
      const env = io.env;
      const { loadConfig } = await import("../../config.ts");
      const { describeDatabase } = await import("../../db/database-url.ts");
      const config = loadConfig({ ...env, ...(options.port ? { PORT: options.port } : {}) });
      const database = describeDatabase(config.DATABASE_URL);
      if (io.verbose) io.stderr(`covenant: database ${database} (${settingOrigin(io, "DATABASE_URL")})\n`);
      // Loaded on demand so that commands like `check` do not pay for the server's modules.
      const { startServer } = await import("../../main.ts");
      const where = `${config.HOST}:${config.PORT}`;
      const server = await startServer({ config, envFile, env }).catch((error: unknown) =>
        Promise.reject(listenError(error, where, options.port ?? String(config.PORT))),
      );
      const { countUsableApiKeys } = await import("../../db/api-keys.ts");
      // One write, so that whoever reads the banner line reads the hints with it.
      io.stderr(
        `Covenant listening on ${server.url} (database: ${database}; API: ${server.url}/api/v1, OpenAPI: ${server.url}/api/v1/openapi.json)\n` +
          (server.setupUrl ? appHelp(server.setupUrl) : "") +
          ((await countUsableApiKeys(server.db)) === 0 ? firstKeyHelp(server.url) : ""),
      );
      await new Promise<void>((resolve) => {
        const stop = () => {
          io.stderr("Covenant shutting down\n");
          server.close().then(resolve, resolve);
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
    });
