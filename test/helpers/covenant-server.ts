// The whole server (src/main.ts: API, /healthz, the scan workers, the App when configured) on
// port 0 over a fresh database, with its pino output captured, for end-to-end tests.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { loadConfig } from "../../src/config.ts";
import { type RunningServer, startServer } from "../../src/main.ts";
import { type DatabaseKind, reserveApiTestDatabase } from "./api-db.ts";
import { createTenant } from "./api-server.ts";

export type RunningCovenant = {
  base: string;
  server: RunningServer;
  /** The server's database, for a CLI run against it. */
  databaseUrl: string;
  /** A directory of its own, removed on close (SOURCE_FILES_ROOT unless filesRoot is given). */
  dir: string;
  /** Every line the server logged (JSON text, as written). */
  logs: string[];
  close: () => Promise<void>;
};

export type CovenantServer = RunningCovenant & { tenant: Awaited<ReturnType<typeof createTenant>> };

export type CovenantOptions = {
  kind?: DatabaseKind;
  filesRoot?: string;
  /** The server's environment for `location_env` (COVENANT_SOURCE_*). */
  env?: Record<string, string | undefined>;
  config?: Record<string, string>;
  logLevel?: "debug" | "info" | "silent";
};

/** The server with no tenant of its own (the App's installations make theirs). */
export const startCovenantServer = async ({
  kind = "sqlite",
  filesRoot,
  env = {},
  config = {},
  logLevel = "debug",
}: CovenantOptions = {}): Promise<RunningCovenant> => {
  const database = await reserveApiTestDatabase(kind);
  const dir = mkdtempSync(join(tmpdir(), "covenant-server-"));
  const logs: string[] = [];
  const logger = pino({ level: logLevel }, { write: (line: string) => void logs.push(line) });
  const server = await startServer({
    config: loadConfig({
      PORT: "0",
      HOST: "127.0.0.1",
      DATABASE_URL: database.url,
      SOURCE_FILES_ROOT: filesRoot ?? dir,
      JOB_WORKERS: "1",
      ANALYSIS_THREADS: "0",
      API_BODY_LIMIT_BYTES: String(64 * 1024),
      ...config,
    }),
    logger,
    env,
    envFile: join(dir, ".env"),
  });
  return {
    base: server.url,
    server,
    databaseUrl: database.url,
    dir,
    logs,
    close: async () => {
      await server.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

/** The server and a tenant "acme" with a key of each scope. */
export const startCovenant = async (
  options: CovenantOptions & {
    kind: DatabaseKind;
    filesRoot: string;
    env: Record<string, string | undefined>;
  },
): Promise<CovenantServer> => {
  const running = await startCovenantServer(options);
  return { ...running, tenant: await createTenant(running.server.db, "acme") };
};
