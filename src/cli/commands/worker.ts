import type { Command } from "commander";
import { type CliIO, settingOrigin } from "../io.ts";
import { listenError, portOption } from "./serve.ts";

export const registerWorker = (program: Command, io: CliIO) =>
  program
    .command("worker")
    .description(
      "Run the job queue only (pull request analyses, data scans): no webhooks, API or console. Several workers on one PostgreSQL share the queue",
    )
    .option(
      "--health-port <port>",
      "serve GET /healthz and /readyz on this port, nothing else (default: $HEALTH_PORT, else no HTTP)",
      portOption,
    )
    .action(async (options: { healthPort?: string }) => {
      const { loadConfig } = await import("../../config.ts");
      const { describeDatabase } = await import("../../db/database-url.ts");
      const config = loadConfig({
        ...io.env,
        ...(options.healthPort ? { HEALTH_PORT: options.healthPort } : {}),
      });
      const database = describeDatabase(config.DATABASE_URL);
      if (io.verbose) io.stderr(`covenant: database ${database} (${settingOrigin(io, "DATABASE_URL")})\n`);
      const { startWorker } = await import("../../main.ts");
      const where = `${config.HOST}:${config.HEALTH_PORT}`;
      const worker = await startWorker({ config, env: io.env }).catch((error: unknown) =>
        Promise.reject(listenError(error, where, String(config.HEALTH_PORT), "--health-port or HEALTH_PORT")),
      );
      io.stderr(
        `Covenant worker running ${config.JOB_WORKERS} job worker(s) (database: ${database}; ${
          worker.githubApp ? "analyses and data scans" : "data scans only: the GitHub App is not configured"
        }${worker.url ? `; health: ${worker.url}/healthz, ${worker.url}/readyz` : ""})\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => {
          io.stderr("Covenant worker shutting down\n");
          worker.close().then(resolve, resolve);
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
    });
