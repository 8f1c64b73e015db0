import { describe, expect, it } from "vitest";
import type { Dialect } from "../model/contract-levels.ts";
import { splitStatements } from "./split.ts";

type Case = {
  name: string;
  dialect: Dialect;
  sql: string;
  expect: Array<[string, number]>;
  findings?: number[];
};

const cases: Case[] = [
  {
    name: "semicolons inside quotes and comments",
    dialect: "postgres",
    sql: "select 'a;b';\n-- c; d\nselect \"x;y\" /* ; */ from t;",
    expect: [
      ["select 'a;b'", 1],
      ['select "x;y" /* ; */ from t', 3],
    ],
  },
  {
    name: "postgres code between the characters that matter (a run is skipped at once)",
    dialect: "postgres",
    sql: "select a-b, c/d, x$y$z, f($1), E'\\';' from t -- ;\nwhere a/*;*/=1 ; select p$q$ ;\nselect\t$t$;$t$;",
    expect: [
      ["select a-b, c/d, x$y$z, f($1), E'\\';' from t -- ;\nwhere a/*;*/=1", 1],
      ["select p$q$", 2],
      ["select\t$t$;$t$", 3],
    ],
  },
  {
    name: "nested block comments in postgres",
    dialect: "postgres",
    sql: "/* a /* b; */ c; */ select 1;\nselect 2",
    expect: [
      ["select 1", 1],
      ["select 2", 2],
    ],
  },
  {
    name: "dollar quotes with and without tag",
    dialect: "postgres",
    sql: "create function f() returns int as $$ select 1; $$ language sql;\nDO $body$ begin perform 1; end $body$;\nselect $1;",
    expect: [
      ["create function f() returns int as $$ select 1; $$ language sql", 1],
      ["DO $body$ begin perform 1; end $body$", 2],
      ["select $1", 3],
    ],
  },
  {
    name: "E strings with backslash-escaped quotes",
    dialect: "postgres",
    sql: "select E'it\\'s; fine';\nselect 'plain\\';",
    expect: [
      ["select E'it\\'s; fine'", 1],
      ["select 'plain\\'", 2],
    ],
  },
  {
    name: "psql meta-commands and COPY data",
    dialect: "postgres",
    sql: "\\connect db\n\\set ON_ERROR_STOP on\nCOPY t (a) FROM stdin;\n1;2\n3;4\n\\.\ncreate table x (a int);",
    expect: [
      ["COPY t (a) FROM stdin", 3],
      ["create table x (a int)", 7],
    ],
  },
  {
    name: "sqlite dot-commands and trigger bodies",
    dialect: "sqlite",
    sql: ".headers on\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  UPDATE t SET a = CASE WHEN 1 THEN 2 END;\n  DELETE FROM u;\nEND;\nCREATE TABLE z (a);",
    expect: [
      [
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  UPDATE t SET a = CASE WHEN 1 THEN 2 END;\n  DELETE FROM u;\nEND",
        2,
      ],
      ["CREATE TABLE z (a)", 6],
    ],
  },
  {
    name: "sqlite BEGIN TRANSACTION is not a block",
    dialect: "sqlite",
    sql: "BEGIN TRANSACTION;\nCREATE TABLE a (x);\nCOMMIT;",
    expect: [
      ["BEGIN TRANSACTION", 1],
      ["CREATE TABLE a (x)", 2],
      ["COMMIT", 3],
    ],
  },
  {
    name: "mysql DELIMITER blocks, backticks, # comments and backslash escapes",
    dialect: "mysql",
    sql: "# hi;\nCREATE TABLE `a;b` (x varchar(3) DEFAULT 'it\\'s;');\nDELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END//\nDELIMITER ;\nSELECT 3;",
    expect: [
      ["CREATE TABLE `a;b` (x varchar(3) DEFAULT 'it\\'s;')", 2],
      ["CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END", 4],
      ["SELECT 3", 6],
    ],
  },
  {
    name: "mysql trigger body without DELIMITER stays one statement",
    dialect: "mysql",
    sql: "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN IF 1 THEN SET NEW.a = 1; END IF; END;\nSELECT 1;",
    expect: [
      ["CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN IF 1 THEN SET NEW.a = 1; END IF; END", 1],
      ["SELECT 1", 2],
    ],
  },
  {
    name: "mysql executable comments are code",
    dialect: "mysql",
    sql: "/*!40101 SET NAMES utf8 */;\n/*!50001 CREATE VIEW v AS SELECT 1 */;",
    expect: [
      ["/*!40101 SET NAMES utf8 */", 1],
      ["/*!50001 CREATE VIEW v AS SELECT 1 */", 2],
    ],
  },
  {
    name: "statement start line skips leading comments and blank lines; last statement without delimiter",
    dialect: "postgres",
    sql: "\n\n-- header\n\ncreate table a (\n  x int\n)",
    expect: [["create table a (\n  x int\n)", 5]],
  },
  {
    name: "unterminated string becomes a finding",
    dialect: "postgres",
    sql: "select 1;\nselect 'oops;\nselect 2;",
    expect: [["select 1", 1]],
    findings: [2],
  },
  {
    name: "unterminated dollar quote becomes a finding",
    dialect: "postgres",
    sql: "select 1;\n\ndo $$ begin",
    expect: [["select 1", 1]],
    findings: [3],
  },
];

describe("splitStatements", () => {
  it.each(cases)("$name", (c) => {
    const { statements, findings } = splitStatements(c.sql, c.dialect, "m.sql");
    expect(statements.map((s) => [s.sql, s.line])).toEqual(c.expect);
    expect(findings.map((f) => f.line)).toEqual(c.findings ?? []);
    for (const f of findings) expect(f.rule).toBe("sql-parse-error");
  });

  it("keeps end lines", () => {
    const { statements } = splitStatements("create table a (\n x int\n);\nselect 1;", "postgres", "m.sql");
    expect(statements.map((s) => [s.line, s.endLine])).toEqual([
      [1, 3],
      [4, 4],
    ]);
  });
});
