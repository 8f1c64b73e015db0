/**
 * Real-world migration histories for the fidelity tests and the engine benchmark.
 *
 * They ship in Debian packages, which are GPL: they are fetched at test time into the
 * gitignored `.cache/debian/<pkg>` folder (`apt-get download` + `dpkg -x`) and never committed.
 *
 * For each package and engine the history is the ordered list of files that a real, fresh
 * installation of that package version runs against an empty database. The packages also ship
 * upgrade scripts, but every one of them upgrades *older* schemas that the packages do not ship:
 * the initial schema already carries every upgrade up to the packaged version, so a real
 * installation runs none of them (the reasons are written per package below). Replaying an
 * upgrade script on top of the current schema would test nothing a user ever does, and would make
 * the real engines fail on columns that already exist.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export type Engine = "postgres" | "mysql" | "sqlite";

export const ENGINES: readonly Engine[] = ["postgres", "mysql", "sqlite"];

export type CorpusFile = { path: string; content: string };

export type History = {
  pkg: string;
  engine: Engine;
  /** Files in the order a real installation runs them; `path` is relative to the package root. */
  files: CorpusFile[];
  /** Why these files, in this order. */
  note: string;
};

export const PACKAGES = [
  "roundcube-core",
  "tt-rss",
  "mediawiki",
  "pdns-backend-pgsql",
  "pdns-backend-mysql",
  "pdns-backend-sqlite3",
] as const;

export type PackageName = (typeof PACKAGES)[number];

export const defaultCacheDir = (): string => resolve(import.meta.dirname, "../../.cache/debian");

let aptUpdated = false;

const download = (pkg: string, dir: string): void => {
  const debs = () => readdirSync(dir).filter((f) => f.startsWith(`${pkg}_`) && f.endsWith(".deb"));
  if (debs().length === 0) {
    const run = () => execFileSync("apt-get", ["download", pkg], { cwd: dir, stdio: "pipe" });
    try {
      run();
    } catch (error) {
      // A machine whose package lists were never fetched knows no package at all.
      if (aptUpdated) throw error;
      execFileSync("apt-get", ["update"], { stdio: "pipe" });
      aptUpdated = true;
      run();
    }
  }
  const deb = debs().sort().at(-1);
  if (!deb) throw new Error(`apt-get download ${pkg} produced no .deb in ${dir}`);
  const target = join(dir, pkg);
  mkdirSync(target, { recursive: true });
  execFileSync("dpkg", ["-x", join(dir, deb), target], { stdio: "pipe" });
  writeFileSync(join(target, ".extracted"), `${deb}\n`);
};

/** Download and extract every package once; later calls reuse `.cache/debian/<pkg>`. */
export const fetchPackages = (cacheDir = defaultCacheDir()): string => {
  mkdirSync(cacheDir, { recursive: true });
  for (const pkg of PACKAGES) {
    if (!existsSync(join(cacheDir, pkg, ".extracted"))) download(pkg, cacheDir);
  }
  return cacheDir;
};

type Layout = { engine: Engine; files: string[]; note: string };

const roundcube = (): Layout[] => {
  // Roundcube's installer runs SQL/<engine>.initial.sql, which ends by recording
  // 'roundcube-version' = 2022081200 in table "system". bin/updatedb.sh then runs only the files
  // of SQL/<engine>/ dated after that version; the newest is 2022081200 itself, so a fresh
  // installation runs the initial schema alone. The dated files upgrade 0.1-era schemas that the
  // package does not ship.
  const note = "SQL/<engine>.initial.sql (records version 2022081200; no dated upgrade is newer)";
  return [
    { engine: "postgres", files: ["usr/share/roundcube/SQL/postgres.initial.sql"], note },
    { engine: "mysql", files: ["usr/share/roundcube/SQL/mysql.initial.sql"], note },
    { engine: "sqlite", files: ["usr/share/roundcube/SQL/sqlite.initial.sql"], note },
  ];
};

const ttRss = (): Layout[] => {
  // tt-rss installs schema/ttrss_schema_<engine>.sql, which records schema_version 140 in
  // ttrss_version; the updater runs schema/versions/<engine>/<n>.sql for n > 140, and the
  // highest shipped is 140.sql. tt-rss has no SQLite support.
  const note = "schema/ttrss_schema_<engine>.sql (records schema_version 140 = newest versions/<n>.sql)";
  return [
    { engine: "postgres", files: ["usr/share/tt-rss/schema/ttrss_schema_pgsql.sql"], note },
    { engine: "mysql", files: ["usr/share/tt-rss/schema/ttrss_schema_mysql.sql"], note },
  ];
};

const mediawiki = (): Layout[] => {
  // MediaWiki 1.39's installer (includes/installer/DatabaseInstaller.php) runs, per engine,
  // maintenance/<engine>/tables-generated.sql (createTables), then maintenance/<engine>/tables.sql
  // (createManualTables: Postgres adds tsvector columns, triggers and GIN indexes; the generic one
  // for MySQL and SQLite is intentionally blank), then update-keys.sql, which marks every
  // maintenance/archives patch as already applied. The archives patches upgrade pre-1.35 schemas:
  // they are not a history that starts from an empty database, so they are not replayed.
  // The /*_*/ table-prefix and /*$wgDBTableOptions*/ markers are SQL comments and are left as is.
  const m = "usr/share/mediawiki/maintenance";
  const note = "tables-generated.sql, tables.sql, update-keys.sql, as the 1.39 installer runs them";
  return [
    {
      engine: "postgres",
      files: [
        `${m}/postgres/tables-generated.sql`,
        `${m}/postgres/tables.sql`,
        `${m}/postgres/update-keys.sql`,
      ],
      note,
    },
    {
      engine: "mysql",
      files: [`${m}/tables-generated.sql`, `${m}/tables.sql`, `${m}/update-keys.sql`],
      note,
    },
    {
      engine: "sqlite",
      files: [`${m}/sqlite/tables-generated.sql`, `${m}/tables.sql`, `${m}/update-keys.sql`],
      note,
    },
  ];
};

const pdns = (engine: Engine, suffix: string): Layout[] => {
  // README.Debian: "feed schema/schema.<engine>.sql to get the default schema". The
  // <from>_to_<to>_schema files upgrade existing 3.x/4.x databases (the schema file is already
  // 4.7), and the SQLite bind-dnssec files belong to the bind backend's separate database.
  // MySQL also ships enable-foreign-keys.mysql.sql, an optional step on a fresh database
  // (ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY): installations that want the keys run it next.
  const pkg = { postgres: "pgsql", mysql: "mysql", sqlite: "sqlite3" }[engine];
  const dir = `usr/share/pdns-backend-${pkg}/schema`;
  return [
    {
      engine,
      files: [
        `${dir}/schema.${suffix}.sql`,
        ...(engine === "mysql" ? [`${dir}/enable-foreign-keys.mysql.sql`] : []),
      ],
      note: "schema/schema.<engine>.sql (already 4.7; the x_to_y upgrades are for older databases)",
    },
  ];
};

const layouts = (pkg: PackageName): Layout[] => {
  switch (pkg) {
    case "roundcube-core":
      return roundcube();
    case "tt-rss":
      return ttRss();
    case "mediawiki":
      return mediawiki();
    case "pdns-backend-pgsql":
      return pdns("postgres", "pgsql");
    case "pdns-backend-mysql":
      return pdns("mysql", "mysql");
    case "pdns-backend-sqlite3":
      return pdns("sqlite", "sqlite3");
  }
};

/** Every package × engine history, fetching the packages first when needed. */
export const loadCorpus = (cacheDir = fetchPackages()): History[] =>
  PACKAGES.flatMap((pkg) =>
    layouts(pkg).map(({ engine, files, note }) => ({
      pkg,
      engine,
      note,
      files: files.map((path) => ({ path, content: readFileSync(join(cacheDir, pkg, path), "utf8") })),
    })),
  );

export const historyBytes = (h: History): number =>
  h.files.reduce((n, f) => n + Buffer.byteLength(f.content, "utf8"), 0);

/**
 * The Debian histories are fresh installations: CREATE-heavy, with few ALTERs. This small suite
 * covers the schema changes real upgrade histories are made of (rename, retype, nullability, key
 * changes, the SQLite table rebuild, MySQL CHANGE/MODIFY), still judged against the real engines.
 * It is written here, not fetched, and is not part of the benchmark corpus.
 */
export const alterSuite = (): History[] => {
  const h = (engine: Engine, files: string[]): History => ({
    pkg: "alter-suite",
    engine,
    note: "hand-written schema changes, judged by the real engine",
    files: files.map((content, i) => ({
      path: `alter-suite/${engine}/${String(i + 1).padStart(3, "0")}.sql`,
      content,
    })),
  });
  return [
    h("postgres", [
      `CREATE TABLE orders (id serial PRIMARY KEY, email varchar(100) NOT NULL, amount numeric(10,2),
         status text DEFAULT 'new', legacy int);
       CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text);`,
      `ALTER TABLE orders ADD COLUMN customer_id bigint REFERENCES customers (id);
       ALTER TABLE orders ALTER COLUMN email DROP NOT NULL;
       ALTER TABLE orders ALTER COLUMN email TYPE varchar(200);
       ALTER TABLE orders ALTER COLUMN amount TYPE bigint USING amount::bigint;
       ALTER TABLE orders ALTER COLUMN status SET NOT NULL;
       ALTER TABLE orders RENAME COLUMN status TO state;
       ALTER TABLE orders DROP COLUMN legacy;`,
      `ALTER TABLE orders RENAME TO purchases;
       CREATE TABLE tmp (a int);
       DROP TABLE tmp;
       ALTER TABLE customers ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(), ADD COLUMN flags jsonb;
       ALTER TABLE purchases DROP CONSTRAINT orders_customer_id_fkey;
       ALTER TABLE purchases DROP CONSTRAINT orders_pkey;
       ALTER TABLE purchases ADD PRIMARY KEY (id, email);`,
      `CREATE SCHEMA billing;
       CREATE TABLE billing.invoices (id uuid PRIMARY KEY, "Total" numeric, purchase_id int);
       CREATE TYPE mood AS ENUM ('sad', 'ok');
       CREATE DOMAIN posint AS integer NOT NULL CHECK (VALUE > 0);
       CREATE TABLE scores (id int PRIMARY KEY, s posint, m mood, tags text[]);
       CREATE VIEW v_purchases AS SELECT id, email FROM purchases;
       CREATE TABLE IF NOT EXISTS scores (x int);
       ALTER TABLE scores ALTER COLUMN tags SET NOT NULL;`,
      `ALTER TABLE billing.invoices SET SCHEMA public;
       ALTER TABLE IF EXISTS not_there ADD COLUMN x int;
       ALTER TABLE scores ALTER COLUMN s TYPE bigint;
       CREATE TABLE purchases_copy (LIKE purchases INCLUDING ALL);
       CREATE TABLE purchase_emails AS SELECT id, email FROM purchases;
       CREATE TABLE events (id int NOT NULL, at date NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
       CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');`,
    ]),
    h("mysql", [
      `CREATE TABLE orders (id int AUTO_INCREMENT PRIMARY KEY, email varchar(100) NOT NULL,
         amount decimal(10,2), status varchar(10) DEFAULT 'new', legacy int) ENGINE=InnoDB;
       CREATE TABLE customers (id bigint unsigned NOT NULL AUTO_INCREMENT, name varchar(50), PRIMARY KEY (id));`,
      `ALTER TABLE orders MODIFY email varchar(200) NULL;
       ALTER TABLE orders CHANGE status state varchar(20) NOT NULL DEFAULT 'new';
       ALTER TABLE orders DROP COLUMN legacy, ADD COLUMN note text AFTER email;
       ALTER TABLE orders RENAME COLUMN note TO remark;
       ALTER TABLE orders ADD COLUMN customer_id bigint unsigned,
         ADD CONSTRAINT fk_customer FOREIGN KEY (customer_id) REFERENCES customers (id);`,
      `RENAME TABLE orders TO purchases;
       ALTER TABLE purchases ADD COLUMN flag tinyint(1) NOT NULL DEFAULT 0;
       CREATE TABLE k (a int, b int, PRIMARY KEY (a));
       ALTER TABLE k DROP PRIMARY KEY, ADD PRIMARY KEY (b);
       CREATE TABLE tmp (a int);
       DROP TABLE tmp;
       ALTER TABLE purchases RENAME TO sales;
       CREATE TABLE ev (id int PRIMARY KEY, kind enum('a','b') NOT NULL, at timestamp NULL, d date, j json);
       CREATE TABLE copy_of_sales LIKE sales;`,
      `CREATE TABLE sale_emails AS SELECT id, email FROM sales;
       ALTER TABLE sales ALTER COLUMN state DROP DEFAULT;
       CREATE TABLE gen (a int NOT NULL, b int AS (a * 2) VIRTUAL, PRIMARY KEY (a));
       ALTER TABLE customers MODIFY name varchar(80) NOT NULL FIRST;`,
    ]),
    h("sqlite", [
      `CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL, amount REAL, legacy INT);
       CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);`,
      `ALTER TABLE orders ADD COLUMN status TEXT NOT NULL DEFAULT 'new';
       ALTER TABLE orders RENAME COLUMN status TO state;
       ALTER TABLE orders DROP COLUMN legacy;
       ALTER TABLE orders RENAME TO purchases;`,
      `PRAGMA foreign_keys = OFF;
       CREATE TABLE purchases_new (id INTEGER PRIMARY KEY, email TEXT, amount NUMERIC(10,2) NOT NULL DEFAULT 0,
         state TEXT NOT NULL, customer_id INTEGER REFERENCES customers);
       INSERT INTO purchases_new (id, email, amount, state) SELECT id, email, amount, state FROM purchases;
       DROP TABLE purchases;
       ALTER TABLE purchases_new RENAME TO purchases;
       PRAGMA foreign_keys = ON;`,
      `CREATE TABLE k (a TEXT PRIMARY KEY, b);
       CREATE TABLE w (a INT, b TEXT, PRIMARY KEY (a, b)) WITHOUT ROWID;
       CREATE VIEW v AS SELECT id, email FROM purchases;
       CREATE TABLE IF NOT EXISTS purchases (x int);`,
      `CREATE TABLE purchase_emails AS SELECT id, email FROM purchases;
       CREATE TABLE g (a INTEGER NOT NULL, b INTEGER GENERATED ALWAYS AS (a * 2) VIRTUAL);
       CREATE TEMP TABLE scratch (a int);`,
    ]),
  ];
};
