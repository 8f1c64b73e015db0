// A real database per test file: a fresh SQLite file, or a uniquely named PostgreSQL database
// created on the test server (TEST_DATABASE_URL, the admin URL) and dropped afterwards.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Db, openDatabase } from "../../src/db/client.ts";
import { createPgDatabase } from "./pg-database.ts";

export type DatabaseKind = "sqlite" | "postgres";
export type ApiTestDatabase = { db: Db; url: string; drop: () => Promise<void> };

export const openApiTestDatabase = async (kind: DatabaseKind): Promise<ApiTestDatabase> => {
  if (kind === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "covenant-api-"));
    const url = `file:${join(dir, "covenant.db")}`;
    const db = await openDatabase(url);
    return {
      db,
      url,
      drop: async () => {
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const pgDatabase = await createPgDatabase("covenant_api");
  try {
    const db = await openDatabase(pgDatabase.ownerUrl);
    return {
      db,
      url: pgDatabase.ownerUrl,
      drop: async () => {
        await db.close();
        await pgDatabase.drop();
      },
    };
  } catch (error) {
    await pgDatabase.drop();
    throw error;
  }
};

/** A URL for a fresh, empty database that nothing holds open yet (for CLI runs), and its cleanup. */
export const reserveApiTestDatabase = async (
  kind: DatabaseKind,
): Promise<{ url: string; drop: () => Promise<void> }> => {
  if (kind === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "covenant-api-"));
    return {
      url: `file:${join(dir, "covenant.db")}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const { ownerUrl, drop } = await createPgDatabase("covenant_api");
  return { url: ownerUrl, drop };
};
