import { describe, expect, it } from "vitest";
import { diffSchemas } from "../diff/diff-schemas.ts";
import type { Dialect } from "../model/contract-levels.ts";
import { formatType } from "../model/normalize-type.ts";
import type { SchemaState } from "../model/schema.ts";
import { emptySchemaState } from "../model/schema.ts";
import { Applier } from "./apply.ts";
import { loadPostgresParser, PostgresReplayer } from "./postgres.ts";
import {
  cloneSchemaState,
  deserializeSchemaState,
  type ReplayEvent,
  replay,
  serializeSchemaState,
} from "./replay.ts";

/** `name type [not null] [= default]` per column, so expectations read like DDL. */
const shape = (state: SchemaState, table: string): string[] | undefined =>
  state.datasets
    .get(table)
    ?.columns.map(
      (c) =>
        `${c.name} ${formatType(c.type)}${c.nullable ? "" : " not null"}${c.default !== undefined ? ` = ${c.default}` : ""}`,
    );

const keys = (state: SchemaState, table: string) => {
  const t = state.datasets.get(table);
  return {
    pk: t?.primaryKey?.columns,
    uniques: t?.uniques.map((u) => `${u.name}(${u.columns.join(",")})`),
    fks: t?.foreignKeys.map(
      (f) => `${f.name}(${f.columns.join(",")})->${f.references.dataset}(${f.references.columns.join(",")})`,
    ),
  };
};

const ev = (e: ReplayEvent): string => {
  const at = `@${e.location.line}`;
  switch (e.kind) {
    case "dataset-renamed":
      return `${e.kind} ${e.dataset}->${e.to}${at}`;
    case "column-renamed":
      return `${e.kind} ${e.dataset}.${e.column}->${e.to}${at}`;
    case "column-added":
    case "column-dropped":
    case "column-altered":
      return `${e.kind} ${e.dataset}.${e.column}${at}`;
    case "enum-changed":
      return `${e.kind} ${e.enum}${at}`;
    default:
      return `${e.kind} ${e.dataset}${at}`;
  }
};

const run = (dialect: Dialect, ...contents: string[]) =>
  replay({ files: contents.map((content, i) => ({ path: `m${i + 1}.sql`, content })), dialect });

type ShapeCase = {
  name: string;
  dialect: Dialect;
  files: string[];
  table: string;
  columns: string[] | undefined;
};

const postgresShapes: ShapeCase[] = [
  {
    name: "CREATE TABLE with serial, arrays, defaults, NOT NULL, inline PK",
    dialect: "postgres",
    files: [
      "CREATE TABLE orders (id serial PRIMARY KEY, tags text[] DEFAULT '{}', total numeric(12,2) NOT NULL DEFAULT 0, note varchar(20));",
    ],
    table: "public.orders",
    columns: [
      "id integer not null = nextval('orders_id_seq'::regclass)",
      "tags text[] = '{}'",
      "total numeric(12,2) not null = 0",
      "note varchar(20)",
    ],
  },
  {
    name: "quoted identifiers keep case, unquoted fold",
    dialect: "postgres",
    files: ['CREATE TABLE Sales."Orders" ("Id" INT, Amount BIGINT);'],
    table: "sales.Orders",
    columns: ["Id integer", "amount bigint"],
  },
  {
    name: "IF NOT EXISTS keeps the first definition",
    dialect: "postgres",
    files: ["CREATE TABLE t (a int); CREATE TABLE IF NOT EXISTS t (b int);"],
    table: "public.t",
    columns: ["a integer"],
  },
  {
    name: "ALTER TABLE with several subcommands, IF EXISTS, ONLY",
    dialect: "postgres",
    files: [
      "CREATE TABLE t (a int, b text, c int);",
      "ALTER TABLE IF EXISTS ONLY t ADD COLUMN IF NOT EXISTS d timestamptz NOT NULL DEFAULT now(), DROP COLUMN IF EXISTS zz, DROP COLUMN b, ALTER COLUMN a TYPE bigint USING a::bigint, ALTER c SET NOT NULL, ALTER c SET DEFAULT 1;",
      "ALTER TABLE t ALTER COLUMN c DROP NOT NULL; ALTER TABLE t ALTER c DROP DEFAULT; ALTER TABLE IF EXISTS missing ADD COLUMN x int;",
    ],
    table: "public.t",
    columns: ["a bigint", "c integer", "d timestamptz not null = now()"],
  },
  {
    name: "domain columns take the base type and NOT NULL",
    dialect: "postgres",
    files: ["CREATE DOMAIN code AS varchar(3) NOT NULL; CREATE TABLE c (x code, y code[]);"],
    table: "public.c",
    columns: ["x varchar(3) not null", "y varchar(3)[]"],
  },
  {
    name: "a NOT NULL that came from a domain goes with the domain; the column's own stays",
    dialect: "postgres",
    files: [
      "CREATE DOMAIN posint AS integer NOT NULL; CREATE TABLE s (v posint, w posint NOT NULL, x posint NULL, y posint, z posint, k posint PRIMARY KEY, n int);",
      "ALTER TABLE s ALTER COLUMN v TYPE bigint, ALTER COLUMN w TYPE bigint, ALTER COLUMN x TYPE bigint; ALTER TABLE s ALTER y SET NOT NULL, ALTER z DROP NOT NULL;",
      "ALTER TABLE s ALTER y TYPE bigint, ALTER z TYPE bigint, ALTER k TYPE bigint, ALTER n TYPE posint;",
    ],
    table: "public.s",
    columns: [
      "v bigint",
      "w bigint not null",
      "x bigint",
      "y bigint not null",
      "z bigint",
      "k bigint not null",
      "n integer not null",
    ],
  },
  {
    name: "CREATE TABLE … AS keeps a NOT NULL domain's NOT NULL, not the column's own, nor defaults",
    dialect: "postgres",
    files: [
      "CREATE DOMAIN posint AS integer NOT NULL; CREATE TABLE a (v posint, w int NOT NULL DEFAULT 1, x text);",
      "CREATE TABLE b AS SELECT v, w AS w2, x FROM a; CREATE TABLE c AS SELECT * FROM a;",
      "ALTER TABLE b ALTER v TYPE bigint;",
    ],
    table: "public.b",
    columns: ["v bigint", "w2 integer", "x text"],
  },
  {
    name: "CREATE TABLE … AS SELECT * keeps a NOT NULL domain's NOT NULL",
    dialect: "postgres",
    files: [
      "CREATE DOMAIN posint AS integer NOT NULL; CREATE TABLE a (v posint, w int NOT NULL DEFAULT 1); CREATE TABLE c AS SELECT * FROM a; CREATE VIEW d AS SELECT v FROM a;",
    ],
    table: "public.c",
    columns: ["v integer not null", "w integer"],
  },
  {
    name: "NULL on a column of a NOT NULL domain does not lift the domain's NOT NULL",
    dialect: "postgres",
    files: ["CREATE DOMAIN posint AS integer NOT NULL; CREATE TABLE s (v posint NULL);"],
    table: "public.s",
    columns: ["v integer not null"],
  },
  {
    name: "a column retyped to a NOT NULL domain and back is nullable again",
    dialect: "postgres",
    files: [
      "CREATE DOMAIN posint AS integer NOT NULL; CREATE TABLE s (v int); ALTER TABLE s ALTER v TYPE posint;",
      "ALTER TABLE s ALTER v DROP NOT NULL; ALTER TABLE s ALTER v TYPE int;",
    ],
    table: "public.s",
    columns: ["v integer"],
  },
  {
    name: "enum columns carry their values, ADD VALUE BEFORE/AFTER and RENAME VALUE",
    dialect: "postgres",
    files: [
      "CREATE TYPE mood AS ENUM ('sad', 'ok'); CREATE TABLE p (m mood);",
      "ALTER TYPE mood ADD VALUE 'happy' AFTER 'ok'; ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok'; ALTER TYPE mood RENAME VALUE 'sad' TO 'blue'; ALTER TYPE mood ADD VALUE IF NOT EXISTS 'ok';",
    ],
    table: "public.p",
    columns: ["m mood('blue','meh','ok','happy')"],
  },
  {
    name: "search_path applies to unqualified names",
    dialect: "postgres",
    files: [
      "CREATE SCHEMA app; SET search_path TO app, public; CREATE TABLE t (a int); ALTER TABLE t ADD COLUMN b int;",
    ],
    table: "app.t",
    columns: ["a integer", "b integer"],
  },
  {
    name: "search_path does not leak into the next file",
    dialect: "postgres",
    files: ["SET search_path = app;", "CREATE TABLE t (a int);"],
    table: "public.t",
    columns: ["a integer"],
  },
  {
    name: "CREATE SCHEMA with elements",
    dialect: "postgres",
    files: ["CREATE SCHEMA s CREATE TABLE x (a int);"],
    table: "s.x",
    columns: ["a integer"],
  },
  {
    name: "LIKE and INHERITS copy columns",
    dialect: "postgres",
    files: [
      "CREATE TABLE base (id int NOT NULL, v text DEFAULT 'x'); CREATE TABLE c (LIKE base INCLUDING DEFAULTS, extra int); CREATE TABLE d (own int) INHERITS (base);",
    ],
    table: "public.c",
    columns: ["id integer not null", "v text = 'x'", "extra integer"],
  },
  {
    name: "partitions take the parent's columns",
    dialect: "postgres",
    files: [
      "CREATE TABLE m (id int NOT NULL, at date) PARTITION BY RANGE (at); CREATE TABLE m_2024 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
    ],
    table: "public.m_2024",
    columns: ["id integer not null", "at date"],
  },
  {
    name: "views take columns from simple select lists",
    dialect: "postgres",
    files: [
      "CREATE TABLE u (id bigint, email text); CREATE VIEW v AS SELECT u.id, email AS mail, count(*) AS n, id::text AS sid FROM u;",
    ],
    table: "public.v",
    columns: ["id bigint", "mail text", "n any", "sid text"],
  },
  {
    name: "CREATE TABLE AS with column aliases",
    dialect: "postgres",
    files: ["CREATE TABLE u (id bigint, email text); CREATE TABLE copy (a, b) AS SELECT id, email FROM u;"],
    table: "public.copy",
    columns: ["a bigint", "b text"],
  },
  {
    name: "SET SCHEMA moves the table",
    dialect: "postgres",
    files: ["CREATE SCHEMA a; CREATE TABLE t (x int); ALTER TABLE t SET SCHEMA a;"],
    table: "a.t",
    columns: ["x integer"],
  },
  {
    name: "ignored statements leave no trace",
    dialect: "postgres",
    files: [
      "BEGIN; CREATE EXTENSION IF NOT EXISTS pgcrypto; CREATE SEQUENCE s; CREATE TABLE t (a int); CREATE INDEX i ON t (a); COMMENT ON TABLE t IS 'x'; GRANT SELECT ON t TO r; INSERT INTO t VALUES (1); UPDATE t SET a = 2; DELETE FROM t; CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN RETURN NEW; END $$ LANGUAGE plpgsql; CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f(); DO $$ BEGIN END $$; COMMIT;",
    ],
    table: "public.t",
    columns: ["a integer"],
  },
];

const otherShapes: ShapeCase[] = [
  {
    name: "mysql CREATE TABLE with table options, backticks, unsigned, enum, auto_increment",
    dialect: "mysql",
    files: [
      "CREATE TABLE IF NOT EXISTS `Users` (\n `id` int(10) unsigned NOT NULL AUTO_INCREMENT,\n `email` varchar(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '',\n `role` enum('a','b') DEFAULT 'a',\n `created` datetime DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,\n PRIMARY KEY (`id`),\n UNIQUE KEY `email_idx` (`email`(20)),\n KEY `role` (`role`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='users';",
    ],
    table: "users",
    columns: [
      "id integer not null = auto_increment",
      "email varchar(191) not null = ''",
      "role enum('a','b') = 'a'",
      "created datetime = CURRENT_TIMESTAMP",
    ],
  },
  {
    name: "mysql CHANGE renames and retypes, MODIFY retypes, RENAME COLUMN, ALTER SET DEFAULT",
    dialect: "mysql",
    files: [
      "CREATE TABLE t (a int, b varchar(10), c text, d int);",
      "ALTER TABLE t CHANGE a a2 bigint NOT NULL, MODIFY COLUMN b varchar(20) NULL AFTER c, RENAME COLUMN c TO c2, ALTER COLUMN d SET DEFAULT 5, ENGINE=InnoDB;",
    ],
    table: "t",
    columns: ["a2 bigint not null", "b varchar(20)", "c2 text", "d integer = 5"],
  },
  {
    name: "mysql ADD COLUMN FIRST/AFTER and multi-column ADD",
    dialect: "mariadb",
    files: ["CREATE TABLE t (a int);", "ALTER TABLE t ADD COLUMN b int AFTER a, ADD (c int, d text);"],
    table: "t",
    columns: ["a integer", "b integer", "c integer", "d text"],
  },
  {
    name: "mysql BINARY after a character type is a collation, not part of the type",
    dialect: "mysql",
    files: [
      "CREATE TABLE t (a varchar(10) BINARY NOT NULL, b VARCHAR(255) BINARY DEFAULT NULL, c char(3) CHARACTER SET latin1 BINARY, d text ASCII, e BINARY(16), f varbinary(8));",
      "ALTER TABLE t MODIFY b varchar(20) BINARY NOT NULL;",
    ],
    table: "t",
    columns: [
      "a varchar(10) not null",
      "b varchar(20) not null",
      "c char(3)",
      "d text",
      "e binary(16)",
      "f varbinary(8)",
    ],
  },
  {
    name: "mysql CREATE TABLE … AS SELECT copies type and NOT NULL of plain column references, not the key",
    dialect: "mariadb",
    files: [
      "CREATE TABLE a (id int NOT NULL PRIMARY KEY, e varchar(9) NOT NULL, n int); CREATE TABLE d (id int NOT NULL, x int NOT NULL);",
      "CREATE TABLE b AS SELECT id, a.e AS ee, n, id + 1 AS k, d.x FROM a LEFT JOIN d ON d.id = a.id;",
    ],
    table: "b",
    columns: ["id integer not null", "ee varchar(9) not null", "n integer", "k any", "x integer"],
  },
  {
    name: "mysql CREATE TABLE … AS SELECT * and RIGHT JOIN",
    dialect: "mysql",
    files: [
      "CREATE TABLE a (id int NOT NULL, e varchar(9)); CREATE TABLE d (id int NOT NULL, x int NOT NULL);",
      "CREATE TABLE b AS SELECT * FROM a RIGHT JOIN d ON d.id = a.id;",
    ],
    table: "b",
    columns: ["id integer", "e varchar(9)", "id integer not null", "x integer not null"],
  },
  {
    name: "mysql view columns keep NOT NULL of plain column references",
    dialect: "mysql",
    files: ["CREATE TABLE a (id int NOT NULL, e text); CREATE VIEW v AS SELECT id, e FROM a;"],
    table: "v",
    columns: ["id integer not null", "e text"],
  },
  {
    name: "sqlite CREATE TABLE … AS SELECT keeps no NOT NULL",
    dialect: "sqlite",
    files: ["CREATE TABLE a (id INT NOT NULL, e TEXT NOT NULL); CREATE TABLE b AS SELECT id, e FROM a;"],
    table: "main.b",
    columns: ["id integer", "e text"],
  },
  {
    name: "mysql qualified names and RENAME TABLE",
    dialect: "mysql",
    files: ["CREATE TABLE shop.a (x int); RENAME TABLE shop.a TO shop.b;"],
    table: "shop.b",
    columns: ["x integer"],
  },
  {
    name: "mysql executable-comment view",
    dialect: "mysql",
    files: [
      "CREATE TABLE t (x int, y text);\n/*!50001 CREATE ALGORITHM=UNDEFINED */ /*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */ /*!50001 VIEW `v` AS select `t`.`x` AS `x` from `t` */;",
    ],
    table: "v",
    columns: ["x integer"],
  },
  {
    name: "sqlite: type affinity from declared type, typeless columns, INTEGER PRIMARY KEY is the never-NULL rowid",
    dialect: "sqlite",
    files: [
      'CREATE TABLE "Orders" (id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(40) NOT NULL ON CONFLICT REPLACE, blob_col, price DECIMAL(10,2), [weird name] TEXT);',
    ],
    table: "main.orders",
    columns: [
      "id integer not null",
      "name varchar(40) not null",
      "blob_col any",
      "price numeric(10,2)",
      "weird name text",
    ],
  },
  {
    name: "sqlite: only a lone INTEGER key of a rowid table is the rowid; other key columns accept NULL",
    dialect: "sqlite",
    files: [
      "CREATE TABLE a (id INT PRIMARY KEY); CREATE TABLE b (x INTEGER, y INTEGER, PRIMARY KEY (x, y)); CREATE TABLE c (k integer, v TEXT, PRIMARY KEY (k)); CREATE TABLE d (id BIGINT PRIMARY KEY, id2 INTEGER);",
    ],
    table: "main.c",
    columns: ["k integer not null", "v text"],
  },
  ...[
    ["main.a", ["id integer"]],
    ["main.b", ["x integer", "y integer"]],
    ["main.d", ["id bigint", "id2 integer"]],
  ].map(
    ([table, columns]): ShapeCase => ({
      name: `sqlite: ${table} key is no rowid alias, stays nullable`,
      dialect: "sqlite",
      files: [
        "CREATE TABLE a (id INT PRIMARY KEY); CREATE TABLE b (x INTEGER, y INTEGER, PRIMARY KEY (x, y)); CREATE TABLE d (id BIGINT PRIMARY KEY, id2 INTEGER);",
      ],
      table: table as string,
      columns: columns as string[],
    }),
  ),
  {
    name: "sqlite WITHOUT ROWID makes key columns NOT NULL",
    dialect: "sqlite",
    files: ["CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID;"],
    table: "main.kv",
    columns: ["k text not null", "v blob"],
  },
  {
    name: "sqlite ALTER TABLE ADD/RENAME/DROP COLUMN",
    dialect: "sqlite",
    files: [
      "CREATE TABLE t (a INT, b TEXT);",
      "ALTER TABLE t ADD COLUMN c REAL DEFAULT 0; ALTER TABLE t RENAME COLUMN a TO a2; ALTER TABLE t RENAME b TO b2; ALTER TABLE t DROP COLUMN c;",
    ],
    table: "main.t",
    columns: ["a2 integer", "b2 text"],
  },
  {
    name: "bigquery backticked project.dataset.table and ARRAY/STRUCT types",
    dialect: "bigquery",
    files: [
      "CREATE TABLE `proj.ds.events` (id INT64 NOT NULL, tags ARRAY<STRING>, payload STRUCT<a INT64>);",
    ],
    table: "proj.ds.events",
    columns: ["id bigint not null", "tags string[]", "payload struct"],
  },
  {
    name: "snowflake ALTER COLUMN SET DATA TYPE",
    dialect: "snowflake",
    files: [
      "CREATE OR REPLACE TABLE db.s.t (a VARCHAR(10), b NUMBER(38,0));",
      "ALTER TABLE db.s.t ALTER COLUMN a SET DATA TYPE VARCHAR(20);",
    ],
    table: "db.s.t",
    columns: ["a varchar(20)", "b number(38,0)"],
  },
];

describe("replay: table shapes", () => {
  it.each([...postgresShapes, ...otherShapes])("$dialect: $name", async (c) => {
    const r = await run(c.dialect, ...c.files);
    expect(r.findings).toEqual([]);
    expect(shape(r.state, c.table)).toEqual(c.columns);
  });
});

type KeyCase = {
  name: string;
  dialect: Dialect;
  files: string[];
  table: string;
  keys: ReturnType<typeof keys>;
};

const keyCases: KeyCase[] = [
  {
    name: "postgres inline and table constraints get the server's default names",
    dialect: "postgres",
    files: [
      "CREATE TABLE u (id int PRIMARY KEY); CREATE TABLE o (id int, uid int REFERENCES u, code text UNIQUE, a int, b int, UNIQUE (a, b), CONSTRAINT o_pk PRIMARY KEY (id), FOREIGN KEY (a) REFERENCES u (id));",
    ],
    table: "public.o",
    keys: {
      pk: ["id"],
      uniques: ["o_code_key(code)", "o_a_b_key(a,b)"],
      fks: ["o_uid_fkey(uid)->public.u(id)", "o_a_fkey(a)->public.u(id)"],
    },
  },
  {
    name: "postgres DROP CONSTRAINT by default name, DROP INDEX, USING INDEX, RENAME CONSTRAINT",
    dialect: "postgres",
    files: [
      "CREATE TABLE u (id int PRIMARY KEY); CREATE TABLE o (id int NOT NULL, uid int REFERENCES u, code text UNIQUE, e text);",
      "ALTER TABLE o DROP CONSTRAINT o_uid_fkey, DROP CONSTRAINT o_code_key; CREATE UNIQUE INDEX o_id_idx ON o (id); ALTER TABLE o ADD CONSTRAINT o_pkey PRIMARY KEY USING INDEX o_id_idx;",
      "CREATE UNIQUE INDEX o_e ON o (e); CREATE UNIQUE INDEX o_lower ON o (lower(e)); ALTER TABLE o RENAME CONSTRAINT o_pkey TO o_pk; CREATE UNIQUE INDEX o_tmp ON o (code); DROP INDEX o_tmp;",
    ],
    table: "public.o",
    keys: { pk: ["id"], uniques: ["o_e(e)"], fks: [] },
  },
  {
    name: "postgres dropping a column drops the constraints using it",
    dialect: "postgres",
    files: ["CREATE TABLE o (a int, b int, UNIQUE (a, b), PRIMARY KEY (a)); ALTER TABLE o DROP COLUMN a;"],
    table: "public.o",
    keys: { pk: undefined, uniques: [], fks: [] },
  },
  {
    name: "mysql keys: default names, DROP INDEX / FOREIGN KEY / PRIMARY KEY, ADD UNIQUE",
    dialect: "mysql",
    files: [
      "CREATE TABLE u (id int PRIMARY KEY); CREATE TABLE o (id int NOT NULL, uid int, code varchar(5), UNIQUE (code), FOREIGN KEY (uid) REFERENCES u (id));",
      "ALTER TABLE o ADD PRIMARY KEY (id), ADD UNIQUE KEY uq_uid (uid), DROP INDEX code, DROP FOREIGN KEY o_ibfk_1;",
    ],
    table: "o",
    keys: { pk: ["id"], uniques: ["uq_uid(uid)"], fks: [] },
  },
  {
    name: "sqlite: CREATE UNIQUE INDEX and DROP INDEX",
    dialect: "sqlite",
    files: [
      "CREATE TABLE t (a INT, b INT, UNIQUE (a)); CREATE UNIQUE INDEX t_b ON t (b); CREATE UNIQUE INDEX IF NOT EXISTS t_b ON t (b);",
      "DROP INDEX t_b;",
    ],
    table: "main.t",
    keys: { pk: undefined, uniques: ["sqlite_autoindex_t_1(a)"], fks: [] },
  },
];

describe("replay: keys", () => {
  it.each(keyCases)("$dialect: $name", async (c) => {
    const r = await run(c.dialect, ...c.files);
    expect(r.findings).toEqual([]);
    expect(keys(r.state, c.table)).toEqual(c.keys);
  });
});

type EventCase = { name: string; dialect: Dialect; files: string[]; events: string[] };

const eventCases: EventCase[] = [
  {
    name: "postgres: renames are renames, with file lines",
    dialect: "postgres",
    files: [
      "CREATE TABLE a (x int);",
      "\nALTER TABLE a RENAME COLUMN x TO y;\nALTER TABLE a RENAME TO b;\nALTER TABLE b\n  ADD COLUMN z int;",
    ],
    events: [
      "dataset-created public.a@1",
      "column-renamed public.a.x->y@2",
      "dataset-renamed public.a->public.b@3",
      "column-added public.b.z@5",
    ],
  },
  {
    name: "postgres: drop table, drop view with several names",
    dialect: "postgres",
    files: [
      "CREATE TABLE a (x int); CREATE TABLE b (x int); CREATE VIEW v AS SELECT x FROM a;",
      "DROP VIEW v; DROP TABLE a, b CASCADE;",
    ],
    events: [
      "dataset-created public.a@1",
      "dataset-created public.b@1",
      "dataset-created public.v@1",
      "dataset-dropped public.v@1",
      "dataset-dropped public.a@1",
      "dataset-dropped public.b@1",
    ],
  },
  {
    name: "postgres: CREATE OR REPLACE VIEW is a redefinition with column differences",
    dialect: "postgres",
    files: [
      "CREATE TABLE a (x int, y text); CREATE VIEW v AS SELECT x FROM a;",
      "CREATE OR REPLACE VIEW v AS SELECT x, y FROM a;",
    ],
    events: [
      "dataset-created public.a@1",
      "dataset-created public.v@1",
      "dataset-redefined public.v@1",
      "column-added public.v.y@1",
    ],
  },
  {
    name: "postgres: type change, nullability and default are alterations",
    dialect: "postgres",
    files: [
      "CREATE TABLE a (x int);",
      "ALTER TABLE a ALTER x TYPE bigint;\nALTER TABLE a ALTER x SET NOT NULL;\nALTER TABLE a ALTER x SET NOT NULL;",
    ],
    events: ["dataset-created public.a@1", "column-altered public.a.x@1", "column-altered public.a.x@2"],
  },
  {
    name: "sqlite: Prisma-style rebuild is one redefinition with the real column changes",
    dialect: "sqlite",
    files: [
      'CREATE TABLE "User" ("id" INTEGER NOT NULL PRIMARY KEY, "name" TEXT, "age" INTEGER, "old" TEXT);',
      'PRAGMA foreign_keys=OFF;\nCREATE TABLE "new_User" (\n  "id" INTEGER NOT NULL PRIMARY KEY,\n  "name" TEXT NOT NULL,\n  "age" INTEGER,\n  "email" TEXT\n);\nINSERT INTO "new_User" ("id", "name", "age") SELECT "id", "name", "age" FROM "User";\nDROP TABLE "User";\nALTER TABLE "new_User" RENAME TO "User";\nCREATE UNIQUE INDEX "User_email_key" ON "User"("email");\nPRAGMA foreign_keys=ON;',
    ],
    events: [
      "dataset-created main.user@1",
      "dataset-redefined main.user@2",
      "column-altered main.user.name@4",
      "column-added main.user.email@6",
      "column-dropped main.user.old@2",
      "constraint-changed main.user@11",
    ],
  },
  {
    name: "sqlite: rename-away rebuild (x -> x_old, create x, drop x_old) is one redefinition",
    dialect: "sqlite",
    files: [
      "CREATE TABLE t (a INT, b TEXT);",
      "ALTER TABLE t RENAME TO t_old;\nCREATE TABLE t (a INT, b VARCHAR(10));\nINSERT INTO t SELECT * FROM t_old;\nDROP TABLE t_old;",
    ],
    events: ["dataset-created main.t@1", "dataset-redefined main.t@2", "column-altered main.t.b@2"],
  },
  {
    name: "sqlite: a rebuild that keeps the INTEGER PRIMARY KEY alters nothing about it",
    dialect: "sqlite",
    files: [
      "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);",
      'CREATE TABLE "new_t" (id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, a TEXT, b INT);\nINSERT INTO new_t SELECT id, a, NULL FROM t;\nDROP TABLE t;\nALTER TABLE new_t RENAME TO t;',
    ],
    events: ["dataset-created main.t@1", "dataset-redefined main.t@1", "column-added main.t.b@1"],
  },
  {
    name: "sqlite: a rebuild whose copy fills a new column from an old one renames it",
    dialect: "sqlite",
    files: [
      'CREATE TABLE "t" ("id" INTEGER NOT NULL PRIMARY KEY, "name" TEXT, "age" INTEGER);',
      'CREATE TABLE "new_t" (\n  "id" INTEGER NOT NULL PRIMARY KEY,\n  "full_name" TEXT,\n  "age" BIGINT NOT NULL\n);\nINSERT INTO "new_t" ("id", "full_name", "age") SELECT "id", t."name", age AS a FROM "t" WHERE 1;\nDROP TABLE "t";\nALTER TABLE "new_t" RENAME TO "t";',
    ],
    events: [
      "dataset-created main.t@1",
      "dataset-redefined main.t@1",
      "column-renamed main.t.name->full_name@3",
      "column-altered main.t.age@4",
    ],
  },
  {
    name: "sqlite: the same in a rename-away rebuild, with the type changed too",
    dialect: "sqlite",
    files: [
      "CREATE TABLE t (id INT, name TEXT);",
      "ALTER TABLE t RENAME TO t_old;\nCREATE TABLE t (id INT, full_name VARCHAR(10));\nINSERT INTO t (id, full_name) SELECT o.id, o.name FROM t_old AS o;\nDROP TABLE t_old;",
    ],
    events: [
      "dataset-created main.t@1",
      "dataset-redefined main.t@2",
      "column-renamed main.t.name->full_name@2",
      "column-altered main.t.full_name@2",
    ],
  },
  {
    name: "sqlite: a copy through an expression, or that keeps the old column, renames nothing",
    dialect: "sqlite",
    files: [
      "CREATE TABLE t (id INT, name TEXT, note TEXT);",
      "CREATE TABLE new_t (id INT, full_name TEXT, note TEXT, note2 TEXT);\nINSERT INTO new_t (id, full_name, note, note2) SELECT id, upper(name), note, note FROM t;\nDROP TABLE t;\nALTER TABLE new_t RENAME TO t;",
    ],
    events: [
      "dataset-created main.t@1",
      "dataset-redefined main.t@1",
      "column-added main.t.full_name@1",
      "column-added main.t.note2@1",
      "column-dropped main.t.name@1",
    ],
  },
  {
    name: "sqlite: INSERT of data is no event and no finding",
    dialect: "sqlite",
    files: [
      "CREATE TABLE t (id INT, name TEXT);",
      "INSERT INTO t (id, name) VALUES (1, 'select');\nINSERT INTO t (id, name) SELECT id + 1, name FROM t;\nINSERT INTO t (id, name) SELECT a.id, b.name FROM t a JOIN t b ON a.id = b.id;",
    ],
    events: ["dataset-created main.t@1"],
  },
  {
    name: "sqlite: temporary backup tables leave no trace",
    dialect: "sqlite",
    files: [
      "CREATE TABLE t (a INT, b TEXT);",
      "CREATE TEMPORARY TABLE t_backup (a, b);\nINSERT INTO t_backup SELECT a, b FROM t;\nDROP TABLE t;\nCREATE TABLE t (a INT);\nINSERT INTO t SELECT a FROM t_backup;\nDROP TABLE t_backup;",
    ],
    events: ["dataset-created main.t@1", "dataset-redefined main.t@4", "column-dropped main.t.b@4"],
  },
  {
    name: "sqlite: drop then create in different files stays a drop and a create",
    dialect: "sqlite",
    files: ["CREATE TABLE t (a INT);", "DROP TABLE t;", "CREATE TABLE t (b INT);"],
    events: ["dataset-created main.t@1", "dataset-dropped main.t@1", "dataset-created main.t@1"],
  },
  {
    name: "mysql: CHANGE is a rename plus an alteration",
    dialect: "mysql",
    files: ["CREATE TABLE t (a int);", "ALTER TABLE t CHANGE a b bigint;"],
    events: ["dataset-created t@1", "column-renamed t.a->b@1", "column-altered t.b@1"],
  },
];

describe("replay: events", () => {
  it.each(eventCases)("$dialect: $name", async (c) => {
    const r = await run(c.dialect, ...c.files);
    expect(r.findings).toEqual([]);
    expect(r.events.map(ev)).toEqual(c.events);
  });

  it("events carry the file of the statement", async () => {
    const r = await run("postgres", "CREATE TABLE a (x int);", "ALTER TABLE a DROP COLUMN x;");
    expect(r.events.map((e) => e.location.file)).toEqual(["m1.sql", "m2.sql"]);
  });
});

describe("replay: Postgres enum columns", () => {
  const base = "CREATE TYPE mood AS ENUM ('sad', 'ok'); CREATE TABLE t (m mood, ms mood[]);";

  it("are strings with the enum's values, keeping the enum type's name", async () => {
    const { state } = await run("postgres", base);
    const [m, ms] = state.datasets.get("public.t")?.columns ?? [];
    expect(m?.type).toMatchObject({ family: "string", base: "mood", values: ["sad", "ok"] });
    expect(ms?.type).toMatchObject({ family: "string", base: "mood", array: true, values: ["sad", "ok"] });
  });

  const cases: Array<{ name: string; head: string; changes: string[] }> = [
    {
      name: "ADD VALUE adds a value",
      head: "ALTER TYPE mood ADD VALUE 'happy';",
      changes: ["enum-value-added m", "enum-value-added ms"],
    },
    {
      name: "a rebuilt enum without a value removes it",
      head: "ALTER TYPE mood RENAME TO mood_old; CREATE TYPE mood AS ENUM ('ok'); ALTER TABLE t ALTER COLUMN m TYPE mood USING m::text::mood; ALTER TABLE t DROP COLUMN ms; DROP TYPE mood_old;",
      changes: ["column-removed ms", "enum-value-removed m"],
    },
    {
      name: "another enum type with the same values is a type change",
      head: "CREATE TYPE feeling AS ENUM ('sad', 'ok'); ALTER TABLE t ALTER COLUMN m TYPE feeling USING m::text::feeling;",
      changes: ["column-type-changed m"],
    },
  ];
  it.each(cases)("$name", async (c) => {
    const before = await run("postgres", base);
    const after = await replay({
      files: [{ path: "m2.sql", content: c.head }],
      dialect: "postgres",
      initial: before.state,
    });
    expect(after.findings).toEqual([]);
    const changes = diffSchemas({ base: before.state, head: after.state, events: after.events });
    expect(changes.map((x) => `${x.kind} ${"column" in x ? x.column : ""}`).sort()).toEqual(c.changes);
  });
});

type FindingCase = { name: string; dialect: Dialect; files: string[]; findings: string[] };

const findingCases: FindingCase[] = [
  {
    name: "postgres syntax error at its line, replay continues",
    dialect: "postgres",
    files: [
      "CREATE TABLE a (x int);\nCREATE TABLE b (\n  y int,\n  z intt er\n);\nALTER TABLE a ADD COLUMN w int;",
    ],
    findings: ["m1.sql:4"],
  },
  {
    name: "postgres ALTER / DROP of an unknown table",
    dialect: "postgres",
    files: [
      "ALTER TABLE ghost ADD COLUMN x int;\nDROP TABLE ghost;\nDROP TABLE IF EXISTS ghost;\nALTER TABLE IF EXISTS ghost ADD COLUMN x int;",
    ],
    findings: ["m1.sql:1", "m1.sql:2"],
  },
  {
    name: "postgres unknown column",
    dialect: "postgres",
    files: [
      "CREATE TABLE a (x int);",
      "ALTER TABLE a DROP COLUMN y;\nALTER TABLE a RENAME COLUMN q TO r;\nALTER TABLE a DROP COLUMN IF EXISTS y;",
    ],
    findings: ["m2.sql:1", "m2.sql:2"],
  },
  {
    name: "mysql statement not understood, in a later file",
    dialect: "mysql",
    files: [
      "CREATE TABLE a (x int);",
      "SELECT 1;\nALTER TABLE a FROBNICATE x;\nALTER TABLE a ADD COLUMN y int;",
    ],
    findings: ["m2.sql:2"],
  },
  {
    name: "sqlite unterminated string stops the file but not the replay",
    dialect: "sqlite",
    files: ["CREATE TABLE a (x);\nINSERT INTO a VALUES ('oops);", "CREATE TABLE b (y);"],
    findings: ["m1.sql:2"],
  },
];

describe("replay: findings", () => {
  it.each(findingCases)("$dialect: $name", async (c) => {
    const r = await run(c.dialect, ...c.files);
    expect(r.findings.map((f) => `${f.file}:${f.line}`)).toEqual(c.findings);
    for (const f of r.findings) {
      expect(f.rule).toBe("sql-parse-error");
      expect(f.severity).toBe("warning");
      expect(f.message).toMatch(/continued/);
    }
  });

  it("keeps replaying after a bad statement", async () => {
    const r = await run(
      "postgres",
      "CREATE TABLE a (x int);\nCREATE TABLE (;\nALTER TABLE a ADD COLUMN w int;",
    );
    expect(shape(r.state, "public.a")).toEqual(["x integer", "w integer"]);
  });
});

describe("replay: state handling", () => {
  it("never mutates the initial state and continues from it", async () => {
    const base = await run("postgres", "CREATE TABLE a (x int);");
    const before = JSON.stringify(serializeSchemaState(base.state));
    const head = await replay({
      files: [{ path: "m2.sql", content: "ALTER TABLE a ADD COLUMN y int;" }],
      dialect: "postgres",
      initial: base.state,
    });
    expect(JSON.stringify(serializeSchemaState(base.state))).toBe(before);
    expect(shape(head.state, "public.a")).toEqual(["x integer", "y integer"]);
    expect(head.events.map(ev)).toEqual(["column-added public.a.y@1"]);
  });

  it("serializes to JSON and back", async () => {
    const r = await run(
      "postgres",
      "CREATE DOMAIN d AS text; CREATE TYPE e AS ENUM ('a'); CREATE TABLE a (x d, y e, PRIMARY KEY (x));",
    );
    const json = JSON.parse(JSON.stringify(serializeSchemaState(r.state)));
    const back = deserializeSchemaState(json);
    expect(back).toEqual(cloneSchemaState(r.state));
    const next = await replay({
      files: [{ path: "m2.sql", content: "CREATE TABLE b (z d);" }],
      dialect: "postgres",
      initial: back,
    });
    expect(shape(next.state, "public.b")).toEqual(["z text"]);
  });

  it("counts statements and bytes", async () => {
    const r = await run("postgres", "select 1; select 2;", "select 'é';");
    expect(r.statements).toBe(3);
    expect(r.bytes).toBe(31);
  });
});

describe("postgres statements parsed in batches", () => {
  // Statements are parsed many per parser call; a batch the parser reads differently from the
  // splitter (a string or comment running past a semicolon, a syntax error) is parsed statement
  // by statement, so every finding and position is the one a statement alone gives.
  const clean = [
    "CREATE TABLE a (id int);", // 1
    'CREATE TABLE "ü" (name text,', // 2
    "  -- a comment with ü and a ; in it", // 3
    "  x int, y int);", // 4
    "CREATE TABLE b (", // 5
    "  id int,", // 6
    "  y int CHECK (y > 0)", // 7
    ");", // 8
    "ALTER TABLE b", // 9
    "  ADD COLUMN w int;", // 10
  ].join("\n");
  const tricky = [
    "SELECT E'it\\'s; fine';", // 1
    "/* outer /* nested */ still comment */ ALTER TABLE a ADD COLUMN z int;", // 2
    "ALTER TABLE a", // 3
    "  ADD COLUMN v int;", // 4
  ].join("\n");
  const broken = [
    "ALTER TABLE b ADD COLUMN u int;",
    "CREATE TABLE bad (;",
    "ALTER TABLE b",
    "  ADD COLUMN t int;",
  ].join("\n");

  it("gives the same schema, lines and findings as one statement at a time", async () => {
    const r = await run("postgres", clean, tricky, broken);
    const at = (table: string) =>
      r.state.datasets.get(table)?.columns.map((c) => `${c.name}@${c.location?.file}:${c.location?.line}`);
    expect(at("public.ü")).toEqual(["name@m1.sql:2", "x@m1.sql:4", "y@m1.sql:4"]);
    expect(at("public.a")).toEqual(["id@m1.sql:1", "z@m2.sql:2", "v@m2.sql:4"]);
    expect(at("public.b")).toEqual(["id@m1.sql:6", "y@m1.sql:7", "w@m1.sql:10", "u@m3.sql:1", "t@m3.sql:4"]);
    expect(r.findings.map((f) => `${f.rule}@${f.file}:${f.line}`)).toEqual(["sql-parse-error@m3.sql:2"]);
  });

  it("parses a batch one statement at a time when the parser reads a string across statements", async () => {
    // As if a splitter had cut inside a string: alone, each part is a syntax error.
    await loadPostgresParser();
    const app = new Applier(emptySchemaState(), "postgres");
    const pg = new PostgresReplayer(app);
    const statements = [
      { sql: "CREATE TABLE t (a text DEFAULT 'x", file: "x.sql", line: 1, endLine: 1 },
      { sql: "y')", file: "x.sql", line: 2, endLine: 2 },
      { sql: "CREATE TABLE u (a int)", file: "x.sql", line: 3, endLine: 3 },
    ];
    app.beginFile("x.sql");
    pg.beginFile();
    pg.prepare(statements);
    for (const st of statements) pg.statement(st);
    app.endFile();
    expect(app.findings.map((f) => `${f.rule}@${f.line}`)).toEqual([
      "sql-parse-error@1",
      "sql-parse-error@2",
    ]);
    expect([...app.state.datasets.keys()]).toEqual(["public.u"]);
  });

  it("keeps lines right across many batches", async () => {
    const statements = Array.from(
      { length: 3000 },
      (_, i) =>
        `CREATE TABLE t${i} (\n  id bigint PRIMARY KEY,\n  note varchar(${(i % 200) + 1}) NOT NULL\n);`,
    );
    const r = await run("postgres", statements.join("\n"));
    expect(r.state.datasets.size).toBe(3000);
    expect(r.findings).toEqual([]);
    for (const i of [0, 1499, 2999]) {
      const t = r.state.datasets.get(`public.t${i}`);
      expect(t?.columns.map((c) => `${c.name} ${formatType(c.type)}@${c.location?.line}`)).toEqual([
        `id bigint@${4 * i + 2}`,
        `note varchar(${(i % 200) + 1})@${4 * i + 3}`,
      ]);
    }
  });
});

describe("DO blocks read without the SQL parser", () => {
  // `DO $tag$ … $tag$` skips the SQL parse; `DO LANGUAGE plpgsql …` and a body in quotes take it.
  // Both must give the same schema, findings and events, positions included.
  const body = [
    "\nDECLARE r RECORD;\nBEGIN",
    "  ALTER TABLE t ADD COLUMN b int;",
    "  FOR r IN SELECT * FROM t LOOP",
    "    UPDATE t SET a = my_fn(r.a);",
    "  END LOOP;",
    "  EXECUTE 'ALTER TABLE t ALTER COLUMN a SET NOT NULL';",
    "  EXECUTE 'ALTER TABLE ' || 't' || ' DROP COLUMN b';",
    "END\n",
  ].join("\n");
  const history = (doBlock: string) =>
    run("postgres", "CREATE TABLE t (a int);", `SELECT 1;\n\n${doBlock};\nALTER TABLE t ADD COLUMN c text;`);
  const outcome = async (doBlock: string) => {
    const r = await history(doBlock);
    return JSON.stringify({ state: serializeSchemaState(r.state), findings: r.findings, events: r.events });
  };

  it("gives what the parser's reading gives", async () => {
    const parsed = await outcome(`DO LANGUAGE plpgsql $f$${body}$f$`);
    expect(await outcome(`DO $f$${body}$f$`)).toBe(parsed);
    expect(await outcome(`do\t$$${body}$$`)).toBe(parsed);
    expect(parsed).toContain("my_fn");
    expect(parsed).toContain("EXECUTE of a computed string");
  });

  it("leaves to the parser what is not exactly one dollar-quoted body", async () => {
    const trailing = await history(`DO $f$${body}$f$ junk`);
    expect(trailing.findings.map((f) => `${f.rule} ${f.line}`)).toEqual(["sql-parse-error 13"]);
    const nested = await history(`DO $f$ BEGIN PERFORM $x$ a $x$; END $f$ LANGUAGE plpgsql`);
    expect(nested.findings).toEqual([]);
    const sql = await history(`DO $f$ BEGIN END $f$ LANGUAGE sql`);
    expect(sql.findings.map((f) => f.message)).toEqual([expect.stringContaining("a DO block in sql")]);
  });
});
