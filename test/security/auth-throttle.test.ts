// Guessing API keys: every wrong key was a database lookup, 2,000 of them in 4.5 s. Failures are
// throttled per client address (the connection's, or X-Forwarded-For behind trusted proxies):
// past the burst a client gets 429 with Retry-After, and nothing it sends is looked up.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CovenantServer, startCovenant } from "../helpers/covenant-server.ts";
import { makeSourceFiles, type SourceFiles } from "../helpers/source-fixtures.ts";

const get = (base: string, key: string, forwardedFor?: string) =>
  fetch(`${base}/api/v1/contracts`, {
    headers: { authorization: `Bearer ${key}`, ...(forwardedFor ? { "x-forwarded-for": forwardedFor } : {}) },
  });

const wrongKey = (i: number) => `cov_${i.toString(16).padStart(40, "0")}`;

describe("failed authentications are throttled per client", () => {
  let files: SourceFiles;
  let direct: CovenantServer;
  let proxied: CovenantServer;

  beforeAll(async () => {
    files = makeSourceFiles();
    direct = await startCovenant({ kind: "sqlite", filesRoot: files.root, env: {} });
    proxied = await startCovenant({
      kind: "sqlite",
      filesRoot: files.root,
      env: {},
      config: { TRUST_PROXY: "1" },
    });
  });

  afterAll(async () => {
    await direct?.close();
    await proxied?.close();
    files?.cleanup();
  });

  it("answers 429 with Retry-After after a burst of wrong keys, whatever X-Forwarded-For says", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 200; i++) {
      // A forged header per request: without trusted proxies it must not make a new client.
      const res = await get(direct.base, wrongKey(i), `198.51.100.${i % 250}`);
      statuses.push(res.status);
      if (res.status === 429) {
        expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
        expect(((await res.json()) as { code: string }).code).toBe("rate_limited");
      } else await res.body?.cancel();
    }
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(20);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(180);
    // While throttled, even a valid key is not looked up.
    expect((await get(direct.base, direct.tenant.read)).status).toBe(429);
  });

  it("behind a trusted proxy, throttles the forwarded client and no other", async () => {
    for (let i = 0; i < 40; i++) await (await get(proxied.base, wrongKey(i), "203.0.113.5")).body?.cancel();
    expect((await get(proxied.base, proxied.tenant.read, "203.0.113.5")).status).toBe(429);
    expect((await get(proxied.base, proxied.tenant.read, "203.0.113.6")).status).toBe(200);
  });
});
