// The lifecycle of a tenant on the real server, driven by signed installation webhooks: a
// suspension stops its API keys (403) and its jobs until it is lifted, an uninstall revokes its
// keys for good, and an old signed body replayed under a new delivery id changes nothing.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createApiKey } from "../../src/db/api-keys.ts";
import { caller } from "../helpers/api-server.ts";
import { type AppServer, startApp } from "../helpers/app-server.ts";
import { examplePayload, type Json } from "../helpers/webhook-examples.ts";

const INSTALLATION = 957387; // the real installation.created example's
const ago = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();

const installationEvent = (action: string, at: string | null, id = INSTALLATION): Json => {
  const payload = examplePayload("installation", action);
  payload.installation = {
    ...payload.installation,
    id,
    account: { ...payload.installation.account, login: "acme-data" },
    ...(at ? { updated_at: at } : {}),
    ...(action === "suspend" ? { suspended_at: at } : {}),
  };
  return payload;
};

describe("installation lifecycle on the real server", () => {
  let server: AppServer;
  let read: string;
  let manage: string;
  const deliver = async (payload: Json) => {
    const res = await server.deliver("installation", payload);
    expect(res.status).toBe(200);
  };
  const api = (key: () => string) => caller(server.base, key);
  const contract = {
    name: "orders",
    version: "1.0.0",
    owner: "@acme/data",
    enforcement: "BLOCK",
    dataset: { type: "table", name: "public.orders" },
    schema: { columns: [{ name: "id", type: "bigint", required: true }] },
  };
  const status = async () => ({
    read: (await api(() => read)("GET", "/contracts")).status,
    write: (
      await api(() => manage)("POST", "/contracts", {
        ...contract,
        name: `c${Math.random()}`.replace(".", ""),
      })
    ).status,
  });

  beforeAll(async () => {
    // GitHub is where nothing answers: a job that tried to reach it would fail and be retried.
    server = await startApp();
    await deliver(installationEvent("created", null));
    const tenant = await server.server.db.installation.findUniqueOrThrow({
      where: { githubId: INSTALLATION },
    });
    const key = async (scope: "read" | "manage") =>
      (await createApiKey(server.server.db, { installationId: tenant.id, name: scope, scope })).secret;
    read = await key("read");
    manage = await key("manage");
  });
  afterAll(async () => {
    await server?.close();
  });

  const suspendedAt = ago(600);
  const unsuspendedAt = ago(300);

  test("a suspended installation's keys answer 403, saying why, until it is unsuspended", async () => {
    expect(await status()).toEqual({ read: 200, write: 201 });
    await deliver(installationEvent("suspend", suspendedAt));
    expect(await status()).toEqual({ read: 403, write: 403 });
    const res = await api(() => read)("GET", "/contracts");
    expect(res.body).toMatchObject({
      code: "forbidden",
      message: expect.stringMatching(/acme-data.*suspended/),
    });
    await deliver(installationEvent("unsuspend", unsuspendedAt));
    expect(await status()).toEqual({ read: 200, write: 201 });
  });

  test("replayed old suspend and unsuspend bodies (new delivery ids) change nothing", async () => {
    // The old suspension again, after it was lifted: the installation stays active.
    await deliver(installationEvent("suspend", suspendedAt));
    expect(await status()).toEqual({ read: 200, write: 201 });
    // Suspended anew; the old unsuspend replayed must not lift it.
    await deliver(installationEvent("suspend", ago(60)));
    expect(await status()).toEqual({ read: 403, write: 403 });
    await deliver(installationEvent("unsuspend", unsuspendedAt));
    expect(await status()).toEqual({ read: 403, write: 403 });
    // Nor may an old installation.created or new_permissions_accepted.
    await deliver(installationEvent("created", unsuspendedAt));
    await deliver(installationEvent("new_permissions_accepted", unsuspendedAt));
    expect(await status()).toEqual({ read: 403, write: 403 });
  });

  test("while suspended, jobs do nothing; a pull request's analysis does not reach GitHub", async () => {
    const payload = examplePayload("pull_request", "opened");
    payload.installation = { id: INSTALLATION };
    const res = await server.deliver("pull_request", payload);
    expect(res.status).toBe(200);
    await expect
      .poll(
        async () => (await server.server.db.job.findFirst({ where: { kind: "github.analyze" } }))?.status,
        {
          timeout: 10_000,
        },
      )
      .toBe("done");
    expect(await server.server.db.job.findFirst({ where: { kind: "github.analyze" } })).toMatchObject({
      attempts: 1,
    });
    expect(server.logs.some((l) => l.includes("suspended on GitHub"))).toBe(true);
  });

  test("an unsuspend carrying its current time lifts the suspension", async () => {
    await deliver(installationEvent("unsuspend", ago(1)));
    expect(await status()).toEqual({ read: 200, write: 201 });
  });

  test("a suspension older than GitHub redelivers is ignored, even for an installation never seen", async () => {
    const other = 4242;
    await deliver(installationEvent("suspend", ago(10 * 24 * 3600), other));
    expect(await server.server.db.installation.findUnique({ where: { githubId: other } })).toBeNull();
    await deliver(installationEvent("created", null, other));
    await deliver(installationEvent("suspend", ago(10 * 24 * 3600), other));
    expect(
      (await server.server.db.installation.findUniqueOrThrow({ where: { githubId: other } })).suspendedAt,
    ).toBeNull();
  });

  test("an uninstalled installation's keys are revoked (401) for good, whatever is replayed after", async () => {
    await deliver(installationEvent("deleted", null));
    expect(await status()).toEqual({ read: 401, write: 401 });
    const res = await api(() => read)("GET", "/contracts");
    expect(res.body.message).toMatch(/uninstalled/);
    await deliver(installationEvent("created", ago(0)));
    await deliver(installationEvent("unsuspend", ago(0)));
    expect(await status()).toEqual({ read: 401, write: 401 });
    const keys = await server.server.db.apiKey.findMany({
      where: { installation: { githubId: INSTALLATION } },
    });
    expect(keys.map((k) => k.revokedAt !== null)).toEqual([true, true]);
  });
});
