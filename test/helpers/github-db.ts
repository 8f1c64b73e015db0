// Real databases for the App's tests: a fresh SQLite file or a fresh PostgreSQL database per test
// file, opened through openDatabase (which migrates), dropped at the end. Until the committed
// migrations exist, a one-migration history is derived from prisma/schema.prisma.
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { type Db, openDatabase } from "../../src/db/client.ts";
import { MIGRATIONS_ROOT, migrationsDirFor, SCHEMA_PATH } from "../../src/db/migrate.ts";
import { openSchemaEngine, type Provider, pgConfig, schemaFor } from "../../src/db/schema-engine.ts";

export type TestDatabase = { db: Db; url: string; drop: () => Promise<void> };

export const testAdminUrl = (): string =>
  process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

const derived = new Map<Provider, Promise<string>>();

/** A migrations root holding one migration that creates the whole schema from nothing. */
const derivedMigrationsRoot = (provider: Provider, url: string): Promise<string> => {
  const existing = derived.get(provider);
  if (existing) return existing;
  const created = (async () => {
    const content = schemaFor(provider, readFileSync(SCHEMA_PATH, "utf8"));
    const handle = await openSchemaEngine({ url, schema: { path: SCHEMA_PATH, content } });
    try {
      const { stdout } = await handle.engine.diff({
        from: { tag: "empty" },
        to: { tag: "schemaDatamodel", files: [{ path: SCHEMA_PATH, content }] },
        script: true,
        exitCode: null,
        filters: { externalTables: [], externalEnums: [] },
      });
      const root = mkdtempSync(join(tmpdir(), "covenant-migrations-"));
      const dir = join(migrationsDirFor(provider, root), "00000000000000_init");
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "migration.sql"), stdout ?? "");
      writeFileSync(
        join(migrationsDirFor(provider, root), "migration_lock.toml"),
        `provider = "${provider}"\n`,
      );
      return root;
    } finally {
      await handle.dispose();
    }
  })();
  derived.set(provider, created);
  return created;
};

const open = async (url: string, provider: Provider): Promise<Db> => {
  if (existsSync(migrationsDirFor(provider, MIGRATIONS_ROOT))) return openDatabase(url);
  return openDatabase(url, { migrationsRoot: await derivedMigrationsRoot(provider, url) });
};

export const createTestDatabase = async (provider: Provider): Promise<TestDatabase> => {
  if (provider === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "covenant-gh-"));
    const url = `file:${join(dir, "test.db")}`;
    const db = await open(url, "sqlite");
    return {
      db,
      url,
      drop: async () => {
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const name = `covenant_gh_${randomUUID().replace(/-/g, "")}`;
  const admin = new pg.Client(pgConfig(testAdminUrl()));
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const parsed = new URL(testAdminUrl());
  parsed.pathname = `/${name}`;
  const url = parsed.toString();
  const db = await open(url, "postgresql");
  return {
    db,
    url,
    drop: async () => {
      await db.close();
      const again = new pg.Client(pgConfig(testAdminUrl()));
      await again.connect();
      await again.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await again.end();
    },
  };
};
