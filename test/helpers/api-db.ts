// A real database per test file: a fresh SQLite file, or a uniquely named PostgreSQL database
// created on the test server (TEST_DATABASE_URL, the admin URL) and dropped afterwards.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { type Db, openDatabase } from "../../src/db/client.ts";

export type DatabaseKind = "sqlite" | "postgres";
export type ApiTestDatabase = { db: Db; url: string; drop: () => Promise<void> };

export const adminDatabaseUrl = (): string =>
  process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

const withDatabase = (adminUrl: string, name: string): string => {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
};

const admin = async <T>(run: (client: pg.Client) => Promise<T>): Promise<T> => {
  const client = new pg.Client({ connectionString: adminDatabaseUrl() });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
};

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
  const name = `covenant_api_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  await admin((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = withDatabase(adminDatabaseUrl(), name);
  try {
    const db = await openDatabase(url);
    return {
      db,
      url,
      drop: async () => {
        await db.close();
        await admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
      },
    };
  } catch (error) {
    await admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
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
  const name = `covenant_api_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  await admin((client) => client.query(`CREATE DATABASE "${name}"`));
  return {
    url: withDatabase(adminDatabaseUrl(), name),
    drop: () =>
      admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => {}),
  };
};
