// Contributor tooling behind `npm run db:migration` and `npm run db:drift`: the engine computes the
// SQL from the committed migrations to schema.prisma, for each provider, so nobody writes
// migration SQL by hand and the two providers cannot silently diverge.
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { MIGRATIONS_ROOT, migrationsDirFor, SCHEMA_PATH } from "./migrate.ts";
import {
  engineErrorMessage,
  migrationLockFor,
  openSchemaEngine,
  type Provider,
  pgConfig,
  readMigrationList,
  schemaFor,
} from "./schema-engine.ts";

export const PROVIDERS: readonly Provider[] = ["sqlite", "postgresql"];

export const DEFAULT_ADMIN_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres";

/**
 * The PostgreSQL server used for throwaway and shadow databases (the role needs CREATEDB):
 * TEST_DATABASE_URL, else a PostgreSQL DATABASE_URL, else the local default.
 */
export const adminPgUrl = (env: Record<string, string | undefined>): string => {
  if (env.TEST_DATABASE_URL) return env.TEST_DATABASE_URL;
  if (env.DATABASE_URL && /^postgres(ql)?:\/\//i.test(env.DATABASE_URL)) return env.DATABASE_URL;
  return DEFAULT_ADMIN_PG_URL;
};

/** The same server as `url`, another database. */
export const withDatabase = (url: string, database: string): string => {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
};

/** Creates a uniquely named PostgreSQL database; `drop` removes it even if connections linger. */
export const createTempPgDatabase = async (
  adminUrl: string,
  prefix = "covenant_tmp",
): Promise<{ url: string; name: string; drop: () => Promise<void> }> => {
  const name = `${prefix}_${randomUUID().replace(/-/g, "").slice(0, 16)}`;
  const admin = new pg.Client(pgConfig(adminUrl));
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const drop = async () => {
    const client = new pg.Client(pgConfig(adminUrl));
    await client.connect();
    try {
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } finally {
      await client.end();
    }
  };
  return { url: withDatabase(adminUrl, name), name, drop };
};

const noFilters = { externalTables: [], externalEnums: [] };

export type AuthoringOptions = {
  /** Defaults to prisma/schema.prisma. */
  schemaPath?: string;
  /** Defaults to prisma/migrations. */
  migrationsRoot?: string;
  /** Server for PostgreSQL throwaway/shadow databases. */
  adminPgUrl: string;
};

/** A database the engine may freely change, deleted afterwards. */
const withThrowawayDatabase = async <T>(
  provider: Provider,
  adminUrl: string,
  run: (url: string) => Promise<T>,
): Promise<T> => {
  if (provider === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "covenant-migration-"));
    try {
      return await run(`file:${join(dir, "dev.db")}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const temp = await createTempPgDatabase(adminUrl, "covenant_migration");
  try {
    return await run(temp.url);
  } finally {
    await temp.drop();
  }
};

/**
 * The SQL that takes a database from the committed migrations of `provider` to schema.prisma
 * (`migrate dev --create-only`), or null when they already agree.
 */
export const computeMigrationSql = async (
  provider: Provider,
  name: string,
  { schemaPath = SCHEMA_PATH, migrationsRoot = MIGRATIONS_ROOT, adminPgUrl: adminUrl }: AuthoringOptions,
): Promise<string | null> => {
  const migrationsList = readMigrationList(migrationsDirFor(provider, migrationsRoot), provider);
  const content = schemaFor(provider, readFileSync(schemaPath, "utf8"));
  return withThrowawayDatabase(provider, adminUrl, async (url) => {
    const handle = await openSchemaEngine({ url, schema: { path: schemaPath, content } });
    try {
      // As `migrate dev` does: bring the empty throwaway database up to the committed migrations
      // (this also creates _prisma_migrations, which the diagnostic expects), then diagnose, which
      // createMigration requires to have run first.
      await handle.engine.applyMigrations({ migrationsList, filters: noFilters });
      const { action } = await handle.engine.devDiagnostic({ migrationsList, filters: noFilters });
      if (action.tag === "reset") throw new Error(`the engine asks for a reset: ${action.reason}`);
      const result = await handle.engine.createMigration({
        draft: false,
        migrationName: name,
        migrationsList,
        schema: { files: [{ path: schemaPath, content }] },
        filters: noFilters,
      });
      return result.migrationScript;
    } catch (error) {
      throw new Error(`Computing the ${provider} migration failed: ${engineErrorMessage(error)}`, {
        cause: error,
      });
    } finally {
      await handle.dispose();
    }
  });
};

/** Prisma's folder naming: UTC `YYYYMMDDHHMMSS_snake_name`. */
export const migrationFolderName = (name: string, now = new Date()): string => {
  const stamp = now.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return `${stamp}_${slugMigrationName(name)}`;
};

export const slugMigrationName = (name: string): string =>
  name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 200);

export type CreatedMigration = { provider: Provider; path: string; sql: string };

/**
 * Writes `<root>/<provider>/<timestamp>_<name>/migration.sql` for every provider whose migrations
 * lag behind schema.prisma. Computes all providers before writing any, so a failure leaves the
 * migrations folder untouched. Returns nothing written when the schema did not change.
 */
export const createMigrations = async (
  name: string,
  options: AuthoringOptions & { now?: Date },
): Promise<CreatedMigration[]> => {
  const slug = slugMigrationName(name);
  if (!slug) throw new Error("The migration needs a name of letters or digits, e.g. add_contract_owner");
  const sqlByProvider: [Provider, string | null][] = [];
  for (const provider of PROVIDERS) {
    sqlByProvider.push([provider, await computeMigrationSql(provider, slug, options)]);
  }
  const folder = migrationFolderName(slug, options.now);
  const created: CreatedMigration[] = [];
  for (const [provider, sql] of sqlByProvider) {
    if (sql === null || sql.trim() === "") continue;
    const dir = migrationsDirFor(provider, options.migrationsRoot);
    const path = join(dir, folder, "migration.sql");
    mkdirSync(join(dir, folder), { recursive: true });
    writeFileSync(path, sql);
    const lock = join(dir, "migration_lock.toml");
    if (!existsSync(lock)) writeFileSync(lock, migrationLockFor(provider));
    created.push({ provider, path, sql });
  }
  return created;
};

export type DriftResult = { provider: Provider; drift: boolean; summary: string };

/**
 * `prisma migrate diff --from-migrations --to-schema --exit-code` for each provider: drift means
 * schema.prisma was edited without creating a migration (or a migration was edited by hand).
 * The migrations are replayed into a shadow database: in memory for SQLite, a temporary database
 * on the admin server for PostgreSQL.
 */
export const checkDrift = async ({
  schemaPath = SCHEMA_PATH,
  migrationsRoot = MIGRATIONS_ROOT,
  adminPgUrl: adminUrl,
}: AuthoringOptions): Promise<DriftResult[]> => {
  const results: DriftResult[] = [];
  for (const provider of PROVIDERS) {
    const migrationsList = readMigrationList(migrationsDirFor(provider, migrationsRoot), provider);
    const content = schemaFor(provider, readFileSync(schemaPath, "utf8"));
    const url = provider === "sqlite" ? ":memory:" : adminUrl;
    const handle = await openSchemaEngine({ url, schema: { path: schemaPath, content } });
    try {
      const diff = await handle.engine.diff({
        from: { tag: "migrations", ...migrationsList },
        to: { tag: "schemaDatamodel", files: [{ path: schemaPath, content }] },
        script: false,
        exitCode: true,
        filters: noFilters,
      });
      results.push({ provider, drift: diff.exitCode === 2, summary: (diff.stdout ?? "").trim() });
    } catch (error) {
      throw new Error(`Checking ${provider} migrations for drift failed: ${engineErrorMessage(error)}`, {
        cause: error,
      });
    } finally {
      await handle.dispose();
    }
  }
  return results;
};
