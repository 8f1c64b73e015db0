/**
 * Oracles: run a migration history in a real engine and introspect the result into one
 * comparable shape. Fidelity is measured against these, never against our own expectations.
 *
 * - PostgreSQL: PGlite (Postgres compiled to WASM), introspected through pg_catalog.
 * - SQLite: better-sqlite3, in memory, `pragma_table_list` + `PRAGMA table_xinfo`.
 * - MySQL: a real MariaDB server, a fresh `covenant_fid_<random>` database per run, dropped after.
 *
 * Every file is split with the project's own splitter and run statement by statement, the way
 * the packages' installers (PHP, psql without ON_ERROR_STOP) do: a statement the engine rejects
 * is recorded and the history goes on. Transaction control (BEGIN/COMMIT/ROLLBACK) is skipped, so
 * that one rejected statement does not silently roll back the statements around it.
 */
import type { Extensions, PGlite } from "@electric-sql/pglite";
import Database from "better-sqlite3";
import mysql from "mysql2/promise";
import type { Dialect } from "../../src/core/model/contract-levels.ts";
import { normalizeType } from "../../src/core/model/normalize-type.ts";
import type { TypeFamily } from "../../src/core/model/type-family.ts";
import { splitStatements } from "../../src/core/sql/split.ts";
import type { CorpusFile, Engine } from "./corpus.ts";

export type OracleColumn = { family: TypeFamily; nullable: boolean; type: string };
/** A foreign key: referencing columns, referenced table (qualified as the replay names it) and columns. */
export type OracleForeignKey = { columns: string[]; table: string; references: string[] };
export type OracleTable = {
  kind: "table" | "view";
  columns: Map<string, OracleColumn>;
  primaryKey: string[];
  foreignKeys: OracleForeignKey[];
};
export type StatementFailure = { file: string; line: number; sql: string; error: string };
export type OracleSchema = {
  tables: Map<string, OracleTable>;
  statements: number;
  failures: StatementFailure[];
};

export const engineDialect = (engine: Engine): Dialect => engine;

const TX_CONTROL = /^(begin|start\s+transaction|commit|end|rollback)\b\s*(work|transaction)?\s*;?\s*$/i;

type Executor = (sql: string) => Promise<void>;

const runAll = async (
  files: CorpusFile[],
  engine: Engine,
  exec: Executor,
): Promise<{ statements: number; failures: StatementFailure[] }> => {
  let statements = 0;
  const failures: StatementFailure[] = [];
  for (const file of files) {
    const split = splitStatements(file.content, engineDialect(engine), file.path);
    for (const f of split.findings) {
      failures.push({ file: file.path, line: f.line, sql: "", error: `splitter: ${f.message}` });
    }
    for (const st of split.statements) {
      if (TX_CONTROL.test(st.sql)) continue;
      statements++;
      try {
        await exec(st.sql);
      } catch (error) {
        failures.push({
          file: file.path,
          line: st.line,
          sql: st.sql.length > 200 ? `${st.sql.slice(0, 200)}…` : st.sql,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }
  return { statements, failures };
};

const family = (type: string, engine: Engine): TypeFamily =>
  normalizeType(type, engineDialect(engine)).family;

// ---------------------------------------------------------------------------------------------
// PostgreSQL (PGlite)

type PgRow = Record<string, unknown>;

// Starting PGlite (WASM + initdb) costs seconds, executing a history milliseconds: one instance
// serves every history, reset to an empty database between them, one history at a time.
const pglites = new Map<boolean, Promise<PGlite>>();
let pgQueue: Promise<unknown> = Promise.resolve();

const pglite = (pgcrypto: boolean): Promise<PGlite> => {
  let db = pglites.get(pgcrypto);
  if (!db) {
    db = (async () => {
      const { PGlite } = await import("@electric-sql/pglite");
      const extensions: Extensions = pgcrypto
        ? { pgcrypto: (await import("@electric-sql/pglite/contrib/pgcrypto")).pgcrypto }
        : {};
      return PGlite.create({ extensions });
    })();
    pglites.set(pgcrypto, db);
  }
  return db;
};

const resetPglite = async (db: PGlite): Promise<void> => {
  const schemas = await db.query<{ name: string }>(
    `select nspname as name from pg_namespace
      where nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
        and nspname not like 'pg\\_%'`,
  );
  const drops = schemas.rows.map((r) => `drop schema "${r.name.replaceAll('"', '""')}" cascade;`).join("\n");
  await db.exec(`reset all;\n${drops}\ncreate schema public;`);
};

/** Close the shared PGlite instances (tests call it once at the end). */
export const closePostgresOracle = async (): Promise<void> => {
  const dbs = [...pglites.values()];
  pglites.clear();
  for (const db of dbs) await (await db).close();
};

export const postgresOracle = (files: CorpusFile[]): Promise<OracleSchema> => {
  const run = pgQueue.then(() => postgresOracleNow(files));
  pgQueue = run.catch(() => undefined);
  return run;
};

const postgresOracleNow = async (files: CorpusFile[]): Promise<OracleSchema> => {
  const needsPgcrypto = files.some((f) => /create\s+extension[^;]*pgcrypto/i.test(f.content));
  const db = await pglite(needsPgcrypto);
  await resetPglite(db);
  const run = await runAll(files, "postgres", async (sql) => {
    await db.exec(sql);
  });
  // Domains are introspected as their base type and enums as `enum`: what a reader gets.
  const cols = await db.query<PgRow>(`
    select n.nspname as schema, c.relname as table, c.relkind as kind, a.attname as column,
           a.attnotnull as notnull, a.attnum as num,
           case when t.typtype = 'e' then 'enum'
                when t.typtype = 'd' then format_type(t.typbasetype, t.typtypmod)
                     || case when a.attndims > 0 then '[]' else '' end
                else format_type(a.atttypid, a.atttypmod) end as type,
           t.typtype = 'd' and t.typnotnull as domain_notnull
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      join pg_type t on t.oid = a.atttypid
     where c.relkind in ('r', 'p', 'v', 'm')
       and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
     order by 1, 2, a.attnum`);
  const pks = await db.query<PgRow>(`
    select n.nspname as schema, c.relname as table, a.attname as column
      from pg_index i
      join pg_class c on c.oid = i.indrelid
      join pg_namespace n on n.oid = c.relnamespace
      join lateral unnest(i.indkey) with ordinality as k(attnum, ord) on true
      join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
     where i.indisprimary
     order by 1, 2, k.ord`);
  const tables = new Map<string, OracleTable>();
  for (const r of cols.rows) {
    const name = `${String(r.schema)}.${String(r.table)}`;
    let t = tables.get(name);
    if (!t) {
      const kind = r.kind === "v" || r.kind === "m" ? "view" : "table";
      t = { kind, columns: new Map(), primaryKey: [], foreignKeys: [] };
      tables.set(name, t);
    }
    const type = String(r.type);
    t.columns.set(String(r.column), {
      type,
      family: family(type, "postgres"),
      nullable: !(r.notnull === true || r.domain_notnull === true),
    });
  }
  for (const r of pks.rows)
    tables.get(`${String(r.schema)}.${String(r.table)}`)?.primaryKey.push(String(r.column));
  const fks = await db.query<PgRow>(`
    select n.nspname as schema, c.relname as table, rn.nspname as rschema, rc.relname as rtable,
           (select string_agg(a.attname, ',' order by k.ord)
              from unnest(con.conkey) with ordinality as k(attnum, ord)
              join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum) as cols,
           (select string_agg(a.attname, ',' order by k.ord)
              from unnest(con.confkey) with ordinality as k(attnum, ord)
              join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.attnum) as rcols
      from pg_constraint con
      join pg_class c on c.oid = con.conrelid
      join pg_namespace n on n.oid = c.relnamespace
      join pg_class rc on rc.oid = con.confrelid
      join pg_namespace rn on rn.oid = rc.relnamespace
     where con.contype = 'f'
     order by 1, 2, con.conname`);
  for (const r of fks.rows) {
    tables.get(`${String(r.schema)}.${String(r.table)}`)?.foreignKeys.push({
      columns: String(r.cols).split(","),
      table: `${String(r.rschema)}.${String(r.rtable)}`,
      references: String(r.rcols).split(","),
    });
  }
  return { tables, ...run };
};

// ---------------------------------------------------------------------------------------------
// SQLite (better-sqlite3)

type TableListRow = { schema: string; name: string; type: string; wr: number };
type XInfoRow = { name: string; type: string; notnull: number; pk: number; hidden: number };
type FkRow = { id: number; seq: number; table: string; from: string; to: string | null };

export const sqliteOracle = async (files: CorpusFile[]): Promise<OracleSchema> => {
  const db = new Database(":memory:");
  try {
    const run = await runAll(files, "sqlite", async (sql) => {
      db.exec(sql);
    });
    const tables = new Map<string, OracleTable>();
    const list = db.prepare("select schema, name, type, wr from pragma_table_list").all() as TableListRow[];
    for (const t of list) {
      if (t.schema !== "main" || t.name.startsWith("sqlite_")) continue;
      if (t.type !== "table" && t.type !== "view" && t.type !== "virtual") continue;
      const info = db.prepare(`select * from pragma_table_xinfo(?)`).all(t.name) as XInfoRow[];
      const visible = info.filter((c) => c.hidden === 0 || c.hidden === 2 || c.hidden === 3);
      const pk = visible.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
      // An INTEGER PRIMARY KEY is the rowid itself: it never reads back NULL even though SQLite
      // reports notnull = 0. Any other primary key column without NOT NULL really accepts NULL
      // in SQLite (a documented legacy quirk), so it stays nullable.
      const rowidAlias =
        t.type === "table" && t.wr === 0 && pk.length === 1 && pk[0]?.type.toUpperCase() === "INTEGER"
          ? pk[0].name
          : undefined;
      const columns = new Map<string, OracleColumn>();
      for (const c of visible) {
        columns.set(c.name, {
          type: c.type,
          family: family(c.type, "sqlite"),
          nullable: c.notnull === 0 && c.name !== rowidAlias,
        });
      }
      const fkRows = db
        .prepare("select * from pragma_foreign_key_list(?) order by id, seq")
        .all(t.name) as FkRow[];
      const byId = new Map<number, FkRow[]>();
      for (const r of fkRows) byId.set(r.id, [...(byId.get(r.id) ?? []), r]);
      const foreignKeys = [...byId.values()].map((rows) => {
        const target = rows[0]?.table ?? "";
        // `REFERENCES t` without columns means t's primary key.
        const implicit = rows.some((r) => r.to === null);
        const references = implicit
          ? (
              db.prepare("select name from pragma_table_info(?) where pk > 0 order by pk").all(target) as {
                name: string;
              }[]
            ).map((r) => r.name)
          : rows.map((r) => r.to ?? "");
        return { columns: rows.map((r) => r.from), table: `main.${target}`, references };
      });
      tables.set(`main.${t.name}`, {
        kind: t.type === "view" ? "view" : "table",
        columns,
        primaryKey: pk.map((c) => c.name),
        foreignKeys,
      });
    }
    return { tables, ...run };
  } finally {
    db.close();
  }
};

// ---------------------------------------------------------------------------------------------
// MySQL (MariaDB)

export type MysqlConfig = { host: string; port: number; user: string; password: string };

/** `TEST_MYSQL_URL` (mysql://user:password@host:port/any), as CI sets it; else root@127.0.0.1:3306. */
export const mysqlConfig = (
  url = process.env.TEST_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/test",
): MysqlConfig => {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username || "root"),
    password: decodeURIComponent(u.password),
  };
};

/** Whether a MariaDB/MySQL server answers; the tests decide what an unreachable server means. */
export const mysqlReachable = async (config = mysqlConfig()): Promise<string | undefined> => {
  try {
    const conn = await mysql.createConnection({ ...config, connectTimeout: 3000 });
    await conn.end();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
};

type MyRow = Record<string, unknown>;

export const mysqlOracle = async (files: CorpusFile[], config = mysqlConfig()): Promise<OracleSchema> => {
  const database = `covenant_fid_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = await mysql.createConnection({ ...config, multipleStatements: true });
  try {
    await admin.query(`create database \`${database}\``);
    const conn = await mysql.createConnection({ ...config, database, multipleStatements: true });
    try {
      const run = await runAll(files, "mysql", async (sql) => {
        await conn.query(sql);
      });
      const [cols] = await conn.query(
        `select c.TABLE_NAME as tbl, t.TABLE_TYPE as kind, c.COLUMN_NAME as col, c.COLUMN_TYPE as type,
                c.IS_NULLABLE as nullable
           from information_schema.COLUMNS c
           join information_schema.TABLES t
             on t.TABLE_SCHEMA = c.TABLE_SCHEMA and t.TABLE_NAME = c.TABLE_NAME
          where c.TABLE_SCHEMA = ?
          order by c.TABLE_NAME, c.ORDINAL_POSITION`,
        [database],
      );
      const [pks] = await conn.query(
        `select TABLE_NAME as tbl, COLUMN_NAME as col
           from information_schema.KEY_COLUMN_USAGE
          where TABLE_SCHEMA = ? and CONSTRAINT_NAME = 'PRIMARY'
          order by TABLE_NAME, ORDINAL_POSITION`,
        [database],
      );
      // MariaDB stores JSON as LONGTEXT guarded by CHECK (json_valid(col)); MySQL, which the
      // files are written for, has a real json type: report what was declared.
      const [checks] = await conn.query(
        `select TABLE_NAME as tbl, CHECK_CLAUSE as clause from information_schema.CHECK_CONSTRAINTS
          where CONSTRAINT_SCHEMA = ?`,
        [database],
      );
      const jsonColumns = new Set(
        (checks as MyRow[]).flatMap((r) => {
          const m = /^json_valid\(`([^`]+)`\)$/i.exec(String(r.clause).trim());
          return m ? [`${String(r.tbl)}.${m[1]}`] : [];
        }),
      );
      const tables = new Map<string, OracleTable>();
      for (const r of cols as MyRow[]) {
        const name = String(r.tbl);
        let t = tables.get(name);
        if (!t) {
          t = {
            kind: String(r.kind) === "VIEW" ? "view" : "table",
            columns: new Map(),
            primaryKey: [],
            foreignKeys: [],
          };
          tables.set(name, t);
        }
        const type = jsonColumns.has(`${name}.${String(r.col)}`) ? "json" : String(r.type);
        t.columns.set(String(r.col), { type, family: family(type, "mysql"), nullable: r.nullable === "YES" });
      }
      for (const r of pks as MyRow[]) tables.get(String(r.tbl))?.primaryKey.push(String(r.col));
      const [fks] = await conn.query(
        `select TABLE_NAME as tbl, CONSTRAINT_NAME as name, COLUMN_NAME as col,
                REFERENCED_TABLE_NAME as rtbl, REFERENCED_COLUMN_NAME as rcol
           from information_schema.KEY_COLUMN_USAGE
          where TABLE_SCHEMA = ? and REFERENCED_TABLE_NAME is not null
          order by TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION`,
        [database],
      );
      const byName = new Map<string, OracleForeignKey>();
      for (const r of fks as MyRow[]) {
        const key = `${String(r.tbl)}\u0000${String(r.name)}`;
        let fk = byName.get(key);
        if (!fk) {
          fk = { columns: [], table: String(r.rtbl), references: [] };
          byName.set(key, fk);
          tables.get(String(r.tbl))?.foreignKeys.push(fk);
        }
        fk.columns.push(String(r.col));
        fk.references.push(String(r.rcol));
      }
      return { tables, ...run };
    } finally {
      await conn.end();
    }
  } finally {
    await admin.query(`drop database if exists \`${database}\``);
    await admin.end();
  }
};

export const runOracle = (engine: Engine, files: CorpusFile[]): Promise<OracleSchema> => {
  switch (engine) {
    case "postgres":
      return postgresOracle(files);
    case "sqlite":
      return sqliteOracle(files);
    case "mysql":
      return mysqlOracle(files);
  }
};
