// The whole server (src/main.ts: API, /healthz, the scan workers) on port 0 over a fresh database,
// with its pino output captured, for end-to-end tests of data validation.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { loadConfig } from "../../src/config.ts";
import { type RunningServer, startServer } from "../../src/main.ts";
import { type DatabaseKind, reserveApiTestDatabase } from "./api-db.ts";
import { createTenant } from "./api-server.ts";

export type CovenantServer = {
  base: string;
  server: RunningServer;
  /** Every line the server logged (JSON text, as written). */
  logs: string[];
  tenant: Awaited<ReturnType<typeof createTenant>>;
  close: () => Promise<void>;
};

export const startCovenant = async ({
  kind,
  filesRoot,
  env,
  config = {},
}: {
  kind: DatabaseKind;
  filesRoot: string;
  /** The server's environment for `location_env` (COVENANT_SOURCE_*). */
  env: Record<string, string | undefined>;
  config?: Record<string, string>;
}): Promise<CovenantServer> => {
  const database = await reserveApiTestDatabase(kind);
  const dir = mkdtempSync(join(tmpdir(), "covenant-server-"));
  const logs: string[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => void logs.push(line) });
  const server = await startServer({
    config: loadConfig({
      PORT: "0",
      HOST: "127.0.0.1",
      DATABASE_URL: database.url,
      SOURCE_FILES_ROOT: filesRoot,
      JOB_WORKERS: "1",
      ANALYSIS_THREADS: "0",
      API_BODY_LIMIT_BYTES: String(64 * 1024),
      ...config,
    }),
    logger,
    env,
    envFile: join(dir, ".env"),
  });
  const tenant = await createTenant(server.db, "acme");
  return {
    base: server.url,
    server,
    logs,
    tenant,
    close: async () => {
      await server.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};
