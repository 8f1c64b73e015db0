import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { ensureSqliteDirectory, explainDatabaseError } from "./database-url.ts";
import {
  engineErrorMessage,
  openSchemaEngine,
  type Provider,
  pgConfig,
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
  if (providerOf(url) === "postgresql") {
    return withMigrationLock(url, () => migrate(url, options)).catch((error: unknown) =>
      Promise.reject(explainDatabaseError(error, url)),
    );
  }
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

/** Any 64-bit number Covenant alone uses; Prisma's engine takes its own (72707369) inside ours. */
const MIGRATION_LOCK_KEY = 4_361_020_115_672_233n;
const MIGRATION_LOCK_WAIT_MS = 10 * 60_000;

/**
 * Instances started together (a deploy, a scale-out) migrate one at a time: each holds a session
 * advisory lock on PostgreSQL from reading which migrations are applied until it has applied the
 * rest, so the later ones find nothing to do. The lock goes with the session if the process dies.
 */
const withMigrationLock = async <T>(url: string, run: () => Promise<T>): Promise<T> => {
  const client = new pg.Client(pgConfig(url));
  await client.connect();
  try {
    const deadline = Date.now() + MIGRATION_LOCK_WAIT_MS;
    for (;;) {
      const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [
        MIGRATION_LOCK_KEY.toString(),
      ]);
      if (rows[0]?.locked) break;
      if (Date.now() > deadline) {
        throw new Error(
          `Another Covenant instance has been migrating this database for ${MIGRATION_LOCK_WAIT_MS / 60_000} minutes: ` +
            "look for a stuck instance (pg_locks, advisory lock " +
            `${MIGRATION_LOCK_KEY}) and stop it, then start this one again.`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 150));
    }
    try {
      return await run();
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY.toString()]).catch(() => {});
    }
  } finally {
    await client.end().catch(() => {});
  }
};

const migrate = async (
  url: string,
  { migrationsRoot = MIGRATIONS_ROOT }: MigrateOptions,
): Promise<{ applied: string[] }> => {
  const provider = providerOf(url);
  if (provider === "sqlite") ensureSqliteDirectory(url);
  const migrationsList = readMigrationList(migrationsDirFor(provider, migrationsRoot), provider);
  if (migrationsList.migrationDirectories.length === 0) {
    throw new Error(`No migrations found in ${migrationsList.baseDir}: run npm run db:migration -- <name>`);
  }
  // The engine takes write locks even when there is nothing to do, which waits on (and can time
  // out behind) a running server sharing the SQLite file; a plain read answers the common case.
  const names = migrationsList.migrationDirectories.map((directory) => directory.path);
  const applied = await appliedMigrationNames(url);
  if (names.every((name) => applied.has(name))) return { applied: [] };
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
    const message = engineErrorMessage(error);
    // The engine reports SQLite's "database is locked" as a socket timeout.
    const hint =
      provider === "sqlite" && /SocketTimeout|locked|busy/i.test(message)
        ? "another process (a running Covenant server?) holds the SQLite file; stop it, run `covenant db migrate`, then start it again. "
        : "";
    throw new Error(`Migrating the ${provider} database failed: ${hint}${message}`, { cause: error });
  } finally {
    await handle.dispose();
  }
};

/** Names of the migrations the database records as finished (empty when it has none yet). */
const appliedMigrationNames = async (url: string): Promise<Set<string>> => {
  const query =
    'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL';
  if (providerOf(url) === "sqlite") {
    const file = resolve(sqliteFilePath(url));
    if (!existsSync(file)) return new Set();
    const db = new Database(file, { readonly: true, timeout: 10_000 });
    try {
      const table = db.prepare(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'",
      );
      if (table.get() === undefined) return new Set();
      return new Set(
        db
          .prepare(query)
          .all()
          .map((row) => (row as { migration_name: string }).migration_name),
      );
    } finally {
      db.close();
    }
  }
  const client = new pg.Client(pgConfig(url));
  await client.connect();
  try {
    const exists = await client.query("SELECT to_regclass('_prisma_migrations') AS t");
    if (exists.rows[0]?.t === null) return new Set();
    return new Set(
      (await client.query<{ migration_name: string }>(query)).rows.map((row) => row.migration_name),
    );
  } finally {
    await client.end();
  }
};
