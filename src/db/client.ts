import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { explainDatabaseError } from "./database-url.ts";
import { PrismaClient as PostgresPrismaClient } from "./generated/postgres/client.ts";
import { PrismaClient } from "./generated/sqlite/client.ts";
import { type MigrateOptions, migrateDatabase } from "./migrate.ts";
import { type Provider, pgConfig, providerOf, sqliteFilePath } from "./schema-engine.ts";

export type { Provider } from "./schema-engine.ts";

/**
 * The database handle passed to every query function. Typed as the SQLite client: both generated
 * clients come from the same models (only the datasource provider differs, and the schema stores
 * JSON as text and uses no provider-specific types), so their model APIs are identical and one type
 * serves both. A PostgreSQL client is cast to it in `openDatabase`.
 */
export type Db = PrismaClient & {
  readonly provider: Provider;
  /** The URL it was opened with (a second connection to the same database, e.g. for webhook deliveries). */
  readonly url: string;
  /** Disconnects the client and closes its connections. */
  close: () => Promise<void>;
};

/** Applies pending migrations, then connects. */
export const openDatabase = async (url: string, options: MigrateOptions = {}): Promise<Db> => {
  await migrateDatabase(url, options);
  return connectDatabase(url);
};

/**
 * Connects to a database that is already migrated. `poolSize` caps a PostgreSQL client's
 * connections (the driver's default is 10): a small second client keeps a path, such as webhook
 * acknowledgements, from queueing behind the job workers' queries for a connection.
 */
export const connectDatabase = async (url: string, { poolSize }: { poolSize?: number } = {}): Promise<Db> => {
  const provider = providerOf(url);
  const client =
    provider === "sqlite"
      ? // Busy timeout: several processes (server, CLI, tests) may share the file.
        new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: sqliteFilePath(url), timeout: 10_000 }) })
      : (new PostgresPrismaClient({
          adapter: new PrismaPg({ ...pgConfig(url), ...(poolSize ? { max: poolSize } : {}) }),
        }) as unknown as PrismaClient);
  try {
    await client.$connect();
    // WAL lets readers proceed while one writer commits; the mode is stored in the file.
    if (provider === "sqlite") {
      await client.$queryRawUnsafe("PRAGMA journal_mode = WAL");
      // In WAL mode NORMAL syncs at checkpoints, not at every commit: a commit survives a crash of
      // the process and the file is never corrupted; only a power loss may undo the last commits.
      // Every webhook acknowledgement is a commit (see delivery-writer.ts), so FULL (an fsync per commit,
      // on the thread that answers webhooks) would bound them by the disk.
      await client.$executeRawUnsafe("PRAGMA synchronous = NORMAL");
    }
  } catch (error) {
    await client.$disconnect().catch(() => {});
    throw explainDatabaseError(error, url);
  }
  return Object.assign(client, { provider, url, close: () => client.$disconnect() }) as Db;
};
