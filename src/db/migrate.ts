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
export const migrateDatabase = (
  url: string,
  options: MigrateOptions = {},
): Promise<{ applied: string[] }> => {
  if (providerOf(url) === "postgresql") return migrate(url, options);
  // Two engines migrating one SQLite file in the same process deadlock: better-sqlite3 waits for
  // the lock synchronously (busy timeout), which blocks the other engine from ever committing, and
  // all of them fail. Other processes do make progress, so they only need the busy timeout.
  const file = resolve(sqliteFilePath(url));
  const previous = sqliteQueue.get(file) ?? Promise.resolve();
  const run = previous.then(
    () => migrate(url, options),
    () => migrate(url, options),
  );
  const settled = run.then(
    () => {},
    () => {},
  );
  sqliteQueue.set(file, settled);
  void settled.then(() => {
    if (sqliteQueue.get(file) === settled) sqliteQueue.delete(file);
  });
  return run;
};

const sqliteQueue = new Map<string, Promise<void>>();

const migrate = async (
  url: string,
  { migrationsRoot = MIGRATIONS_ROOT }: MigrateOptions,
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
