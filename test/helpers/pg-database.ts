// Uniquely named PostgreSQL databases on the test server (TEST_DATABASE_URL, the admin URL): for
// Covenant's own database, for data sources and for the benchmark. `drop` removes one even while
// connections to it linger.
import { randomBytes } from "node:crypto";
import pg from "pg";

export const adminDatabaseUrl = (): string =>
  process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

const admin = async <T>(run: (client: pg.Client) => Promise<T>): Promise<T> => {
  const client = new pg.Client({ connectionString: adminDatabaseUrl() });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
};

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

/** Creates `<prefix>_<time>_<random>` on the test server. */
export const createPgDatabase = async (prefix: string): Promise<TestPgDatabase> => {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  await admin((client) => client.query(`CREATE DATABASE "${name}"`));
  const owner = new URL(adminDatabaseUrl());
  owner.pathname = `/${name}`;
  const url = new URL(owner.toString());
  url.password = "";
  const query = async (sql: string, params: unknown[] = []) => {
    const client = new pg.Client({ connectionString: owner.toString() });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as Record<string, unknown>[];
    } finally {
      await client.end();
    }
  };
  return {
    name,
    ownerUrl: owner.toString(),
    url: url.toString(),
    urlWithPassword: (password) => {
      const withPassword = new URL(url.toString());
      if (!withPassword.username) withPassword.username = "postgres";
      withPassword.password = password;
      return withPassword.toString();
    },
    query,
    drop: () =>
      admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => {}),
  };
};
