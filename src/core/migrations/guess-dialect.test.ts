import { describe, expect, it } from "vitest";
import { guessDialect } from "./guess-dialect.ts";

const one = (content: string) => guessDialect([{ path: "m/001.sql", content }]);

describe("guessDialect", () => {
  it.each([
    [
      "CREATE TABLE `orders` (id int NOT NULL AUTO_INCREMENT) ENGINE=InnoDB;",
      "mysql",
      "AUTO_INCREMENT in m/001.sql",
    ],
    ["CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT);", "sqlite", "AUTOINCREMENT in m/001.sql"],
    ["CREATE TABLE t (id bigserial PRIMARY KEY, doc jsonb);", "postgres", "SERIAL in m/001.sql"],
    ["UPDATE t SET x = y::text;", "postgres", ":: casts in m/001.sql"],
  ])("%s -> %s", (sql, dialect, evidence) => {
    expect(one(sql)).toEqual({ dialect, evidence });
  });

  it.each([
    ["plain SQL", "CREATE TABLE t (id integer PRIMARY KEY, name varchar(20) NOT NULL);"],
    ["a marker only in a comment", "-- was AUTO_INCREMENT before\nCREATE TABLE t (id integer);"],
    ["a tie", "CREATE TABLE t (id int AUTO_INCREMENT, doc jsonb);"],
  ])("%s tells nothing", (_, sql) => {
    expect(one(sql)).toBeUndefined();
  });

  it("counts markers across every file of the history", () => {
    expect(
      guessDialect([
        { path: "a.sql", content: "CREATE TABLE t (id int UNSIGNED NOT NULL);" },
        { path: "b.sql", content: "ALTER TABLE t ENGINE = InnoDB, ADD `x` int;" },
      ]),
    ).toEqual({ dialect: "mysql", evidence: "`backquoted` names in b.sql" });
  });
});
