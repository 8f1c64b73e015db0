// migrate deploy through the WebAssembly schema engine, on real SQLite files and a real
// PostgreSQL server (each test creates and drops its own database).
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { openDatabase } from "../src/db/client.ts";
import { MIGRATIONS_ROOT, migrateDatabase, migrationsDirFor, SCHEMA_PATH } from "../src/db/migrate.ts";
import { createMigrations, createTempPgDatabase } from "../src/db/migration-authoring.ts";
import { type Provider, pgConfig, providerOf, sqliteFilePath } from "../src/db/schema-engine.ts";

const adminUrl = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

const committed = (provider: Provider): string[] =>
  readdirSync(migrationsDirFor(provider), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();

let work: string;
/** Only the first committed migration: a database created by an older release. */
let olderRoot: string;
/** The committed migrations plus one generated from schema.prisma + a new model. */
let newerRoot: string;
let newerNames: Record<Provider, string[]>;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "covenant-migrate-test-"));
  olderRoot = join(work, "older");
  newerRoot = join(work, "newer");
  for (const provider of ["sqlite", "postgresql"] as const) {
    const first = committed(provider)[0]!;
    const dir = migrationsDirFor(provider, olderRoot);
    mkdirSync(dir, { recursive: true });
    cpSync(join(migrationsDirFor(provider), first), join(dir, first), { recursive: true });
    cpSync(join(migrationsDirFor(provider), "migration_lock.toml"), join(dir, "migration_lock.toml"));
  }
  cpSync(MIGRATIONS_ROOT, newerRoot, { recursive: true });
  const schemaPath = join(work, "schema.prisma");
  writeFileSync(
    schemaPath,
    `${readFileSync(SCHEMA_PATH, "utf8")}\nmodel MigrateTestExtra {\n  id    String @id\n  label String\n}\n`,
  );
  const created = await createMigrations("add_migrate_test_extra", {
    schemaPath,
    migrationsRoot: newerRoot,
    adminPgUrl: adminUrl,
  });
  expect(created.map((c) => c.provider).sort()).toEqual(["postgresql", "sqlite"]);
  newerNames = {
    sqlite: readdirSync(migrationsDirFor("sqlite", newerRoot))
      .filter((n) => !n.endsWith(".toml"))
      .sort(),
    postgresql: readdirSync(migrationsDirFor("postgresql", newerRoot))
      .filter((n) => !n.endsWith(".toml"))
      .sort(),
  };
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const sqliteTables = (file: string): string[] => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[])
      .map((row) => row.name)
      .sort();
  } finally {
    db.close();
  }
};

const pgTables = async (url: string): Promise<string[]> => {
  const client = new pg.Client(pgConfig(url));
  await client.connect();
  try {
    const { rows } = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
    );
    return rows.map((row) => row.table_name).sort();
  } finally {
    await client.end();
  }
};

describe("database URLs", () => {
  it("selects the provider and the SQLite file", () => {
    expect(providerOf("postgresql://u@h/db")).toBe("postgresql");
    expect(providerOf("postgres://u@h/db")).toBe("postgresql");
    expect(providerOf("file:./data/covenant.db")).toBe("sqlite");
    expect(providerOf("/var/lib/covenant.db")).toBe("sqlite");
    expect(sqliteFilePath("file:./data/covenant.db")).toBe("./data/covenant.db");
    expect(sqliteFilePath("file:/abs/x.db?mode=rwc")).toBe("/abs/x.db");
    expect(loadConfig({}).DATABASE_URL).toBe("file:./data/covenant.db");
    expect(loadConfig({ DATABASE_URL: " postgresql://x/y " }).DATABASE_URL).toBe("postgresql://x/y");
  });
});

describe("migrateDatabase on SQLite", () => {
  it("migrates a fresh file (creating its folder, not a tree of them), then applies nothing", async () => {
    await expect(migrateDatabase(`file:${join(work, "absent", "nested", "covenant.db")}`)).rejects.toThrow(
      /DATABASE_URL.*absent does not exist/,
    );
    const file = join(work, "fresh", "covenant.db");
    const first = await migrateDatabase(`file:${file}`);
    expect(first.applied).toEqual(committed("sqlite"));
    expect(sqliteTables(file)).toEqual(
      expect.arrayContaining(["Installation", "Contract", "Job", "_prisma_migrations"]),
    );
    expect(await migrateDatabase(`file:${file}`)).toEqual({ applied: [] });
  });

  it("brings an older database up by applying only the missing migrations", async () => {
    const file = join(work, "older-sqlite.db");
    expect((await migrateDatabase(file, { migrationsRoot: olderRoot })).applied).toEqual([
      committed("sqlite")[0],
    ]);
    expect(sqliteTables(file)).not.toContain("MigrateTestExtra");
    const { applied } = await migrateDatabase(file, { migrationsRoot: newerRoot });
    expect(applied).toEqual(newerNames.sqlite.slice(1));
    expect(sqliteTables(file)).toContain("MigrateTestExtra");
    expect(await migrateDatabase(file, { migrationsRoot: newerRoot })).toEqual({ applied: [] });
  });

  it("concurrent starts in one process apply each migration exactly once", async () => {
    const url = `file:${join(work, "concurrent-sqlite.db")}`;
    const results = await Promise.all([1, 2, 3].map(() => migrateDatabase(url)));
    expect(results.flatMap((r) => r.applied)).toEqual(committed("sqlite"));
  });

  it("openDatabase migrates and returns a working client in WAL mode", async () => {
    const db = await openDatabase(`file:${join(work, "open", "covenant.db")}`);
    try {
      expect(db.provider).toBe("sqlite");
      await db.installation.create({ data: { accountLogin: "acme" } });
      expect(await db.installation.count()).toBe(1);
      const [mode] = await db.$queryRawUnsafe<{ journal_mode: string }[]>("PRAGMA journal_mode");
      expect(mode?.journal_mode).toBe("wal");
    } finally {
      await db.close();
    }
  });
});

describe("migrateDatabase on PostgreSQL", () => {
  const drops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const drop of drops) await drop();
  });
  const tempDb = async () => {
    const temp = await createTempPgDatabase(adminUrl, "covenant_test_migrate");
    drops.push(temp.drop);
    return temp.url;
  };

  it("migrates a fresh database, then applies nothing", async () => {
    const url = await tempDb();
    expect((await migrateDatabase(url)).applied).toEqual(committed("postgresql"));
    expect(await pgTables(url)).toEqual(
      expect.arrayContaining(["Installation", "Contract", "Job", "_prisma_migrations"]),
    );
    expect(await migrateDatabase(url)).toEqual({ applied: [] });
  });

  it("brings an older database up by applying only the missing migrations", async () => {
    const url = await tempDb();
    expect((await migrateDatabase(url, { migrationsRoot: olderRoot })).applied).toEqual([
      committed("postgresql")[0],
    ]);
    expect(await pgTables(url)).not.toContain("MigrateTestExtra");
    expect((await migrateDatabase(url, { migrationsRoot: newerRoot })).applied).toEqual(
      newerNames.postgresql.slice(1),
    );
    expect(await pgTables(url)).toContain("MigrateTestExtra");
  });

  it("concurrent starts apply each migration exactly once", async () => {
    const url = await tempDb();
    const results = await Promise.all(
      [1, 2, 3].map(() => migrateDatabase(url, { migrationsRoot: newerRoot })),
    );
    expect(results.flatMap((r) => r.applied).sort()).toEqual(newerNames.postgresql);
    const client = new pg.Client(pgConfig(url));
    await client.connect();
    try {
      const { rows } = await client.query<{ migration_name: string }>(
        "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL",
      );
      expect(rows.map((r) => r.migration_name).sort()).toEqual(newerNames.postgresql);
    } finally {
      await client.end();
    }
  });

  it("openDatabase migrates and returns a working client", async () => {
    const db = await openDatabase(await tempDb());
    try {
      expect(db.provider).toBe("postgresql");
      await db.installation.create({ data: { accountLogin: "acme", githubId: 42 } });
      expect(await db.installation.findUnique({ where: { githubId: 42 } })).toMatchObject({
        accountLogin: "acme",
      });
    } finally {
      await db.close();
    }
  });
});
