import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findApiKeyBySecret } from "../../src/db/api-keys.ts";
import { type Db, openDatabase } from "../../src/db/client.ts";
import { findInstallationByLogin } from "../../src/db/installations.ts";
import { reserveApiTestDatabase } from "../helpers/api-db.ts";
import { startApi } from "../helpers/api-server.ts";
import { runCli } from "../helpers/run-cli.ts";

const run = (url: string, args: string[]) => runCli({ DATABASE_URL: url }, args);

// The CLI runs while nothing else holds the database: on SQLite a second connection in WAL mode
// makes the migration step time out (reported; see the commit message).
describe.each(["sqlite", "postgres"] as const)("covenant keys on %s", (kind) => {
  let database: { url: string; drop: () => Promise<void> };
  beforeAll(async () => {
    database = await reserveApiTestDatabase(kind);
  });
  afterAll(async () => {
    await database?.drop();
  });

  const withApi = async <T>(use: (base: string, db: Db) => Promise<T>): Promise<T> => {
    const db = await openDatabase(database.url);
    const api = await startApi(db);
    try {
      return await use(api.base, db);
    } finally {
      await api.close();
      await db.close();
    }
  };

  it("bootstraps a key the API accepts, lists it and revokes it", async () => {
    const created = await run(database.url, ["keys", "create", "--scope", "admin", "--name", "bootstrap"]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^cov_[0-9A-Za-z]{40}\n$/);
    const secret = created.stdout.trim();
    const second = await run(database.url, ["keys", "create", "--scope", "read"]);
    expect(second.code).toBe(0);

    const keyIds = await withApi(async (base, db) => {
      // Both keys belong to the one "local" installation created on demand.
      const local = await findInstallationByLogin(db, "local");
      expect(local).not.toBeNull();
      expect((await findApiKeyBySecret(db, second.stdout.trim()))?.installationId).toBe(local?.id);
      const res = await fetch(`${base}/api/v1/api-keys`, { headers: { authorization: `Bearer ${secret}` } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { content: Array<{ id: string; name: string }> };
      expect(body.content.map((k) => k.name)).toEqual(["bootstrap", "cli"]);
      return body.content.map((k) => k.id);
    });

    const list = await run(database.url, ["keys", "list"]);
    expect(list.stdout).toContain("bootstrap");
    expect(list.stdout).toContain("local");
    expect(list.stdout).not.toContain(secret);
    const revoked = await run(database.url, ["keys", "revoke", keyIds[0]!]);
    expect(revoked.code).toBe(0);
    await withApi(async (base) => {
      const after = await fetch(`${base}/api/v1/contracts`, {
        headers: { authorization: `Bearer ${secret}` },
      });
      expect(after.status).toBe(401);
    });

    expect((await run(database.url, ["keys", "create", "--scope", "root"])).code).not.toBe(0);
    expect((await run(database.url, ["keys", "revoke", "nope"])).code).toBe(2);
    expect(
      (await run(database.url, ["keys", "create", "--scope", "read", "--installation", "ghost"])).code,
    ).toBe(2);
  });
});
