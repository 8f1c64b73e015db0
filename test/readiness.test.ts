import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type CovenantServer, startCovenant } from "./helpers/covenant-server.ts";

// What a load balancer asks: /healthz (the process answers) and /readyz (it can serve: its
// database answers). A not-ready instance answers 503 so it is taken out of rotation.
describe.each(["sqlite", "postgres"] as const)("health and readiness on %s", (kind) => {
  let server: CovenantServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "covenant-ready-"));
    server = await startCovenant({ kind, filesRoot: dir, env: {} });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("/healthz and /readyz answer 200 while the database answers", async () => {
    const health = await fetch(`${server.base}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${server.base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: "ready",
      database: kind === "postgres" ? "postgresql" : "sqlite",
    });
  });

  test("/readyz answers 503 with the reason when the database does not answer", async () => {
    const original = server.server.db.$queryRawUnsafe;
    server.server.db.$queryRawUnsafe = (() => Promise.reject(new Error("connection refused"))) as never;
    try {
      const ready = await fetch(`${server.base}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({
        status: "unavailable",
        reason: "database unavailable: connection refused",
      });
      // Liveness is not readiness: the process still answers.
      expect((await fetch(`${server.base}/healthz`)).status).toBe(200);
    } finally {
      server.server.db.$queryRawUnsafe = original;
    }
    expect((await fetch(`${server.base}/readyz`)).status).toBe(200);
  });
});
