// Uniquely named PostgreSQL databases on the test server (TEST_DATABASE_URL, the admin URL): for
// Covenant's own database, for data sources and for the benchmark. `drop` removes one even while
// connections to it linger.
import pg from "pg";
import { createTempPgDatabase } from "../../src/db/migration-authoring.ts";

const adminDatabaseUrl = (): string =>
  process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

export type TestPgDatabase = {
  name: string;
  /** This database with the admin URL's credentials. */
  ownerUrl: string;
  /** This database without password. */
  url: string;
  /** The same database with a password in the URL (trust auth ignores it: it must never leak). */
  urlWithPassword: (password: string) => string;
  /** Runs one statement on its own connection (as the admin) and answers its rows. */
  query: (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;
  drop: () => Promise<void>;
};

/** Creates `<prefix>_<random>` on the test server. */
export const createPgDatabase = async (prefix: string): Promise<TestPgDatabase> => {
  const { name, url: ownerUrl, drop } = await createTempPgDatabase(adminDatabaseUrl(), prefix);
  const url = new URL(ownerUrl);
  url.password = "";
  const query = async (sql: string, params: unknown[] = []) => {
    const client = new pg.Client({ connectionString: ownerUrl });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as Record<string, unknown>[];
    } finally {
      await client.end();
    }
  };
  return {
    name,
    ownerUrl,
    url: url.toString(),
    urlWithPassword: (password) => {
      const withPassword = new URL(url.toString());
      if (!withPassword.username) withPassword.username = "postgres";
      withPassword.password = password;
      return withPassword.toString();
    },
    query,
    drop,
  };
};
