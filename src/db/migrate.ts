import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  engineErrorMessage,
  openSchemaEngine,
  type Provider,
  providerOf,
  readMigrationList,
  schemaFor,
  sqliteFilePath,
} from "./schema-engine.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** prisma/schema.prisma, the one source of the data model (written for SQLite). */
export const SCHEMA_PATH = join(root, "prisma", "schema.prisma");
/** Holds `sqlite/` and `postgres/`, one folder of committed migrations per provider. */
export const MIGRATIONS_ROOT = join(root, "prisma", "migrations");

/** The folder of committed migrations for a provider under a migrations root. */
export const migrationsDirFor = (provider: Provider, migrationsRoot = MIGRATIONS_ROOT): string =>
  join(migrationsRoot, provider === "sqlite" ? "sqlite" : "postgres");

export type MigrateOptions = {
  /** Defaults to the committed prisma/migrations; tests point it at a partial copy. */
  migrationsRoot?: string;
};

/**
 * `prisma migrate deploy`: applies the committed migrations the database has not seen yet, in
 * order, and records them in `_prisma_migrations`. Safe to run on every start: a second run applies
 * nothing, and on PostgreSQL the engine holds an advisory lock so concurrent starts take turns.
 */
export const migrateDatabase = async (
  url: string,
  { migrationsRoot = MIGRATIONS_ROOT }: MigrateOptions = {},
): Promise<{ applied: string[] }> => {
  const provider = providerOf(url);
  if (provider === "sqlite") mkdirSync(dirname(resolve(sqliteFilePath(url))), { recursive: true });
  const migrationsList = readMigrationList(migrationsDirFor(provider, migrationsRoot), provider);
  if (migrationsList.migrationDirectories.length === 0) {
    throw new Error(`No migrations found in ${migrationsList.baseDir}: run npm run db:migration -- <name>`);
  }
  const handle = await openSchemaEngine({
    url,
    schema: { path: SCHEMA_PATH, content: schemaFor(provider, readFileSync(SCHEMA_PATH, "utf8")) },
  });
  try {
    const { appliedMigrationNames } = await handle.engine.applyMigrations({
      migrationsList,
      filters: { externalTables: [], externalEnums: [] },
    });
    return { applied: appliedMigrationNames };
  } catch (error) {
    throw new Error(`Migrating the ${provider} database failed: ${engineErrorMessage(error)}`, {
      cause: error,
    });
  } finally {
    await handle.dispose();
  }
};
