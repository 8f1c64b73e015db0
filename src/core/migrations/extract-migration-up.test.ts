import { describe, expect, it } from "vitest";
import { extractMigrationUp } from "./extract-migration-up.ts";

describe("extractMigrationUp", () => {
  const dbmate = [
    "-- migrate:up",
    "create table orders (",
    "  id bigint primary key",
    ");",
    "",
    "-- migrate:down",
    "drop table orders;",
    "",
  ].join("\n");

  it.each([
    [
      "dbmate: the down part is blanked, lines stay",
      dbmate,
      "dbmate",
      ["", "create table orders (", "  id bigint primary key", ");", "", "", "", ""],
    ],
    [
      "text before the up marker is not replayed",
      "-- header\n-- migrate:up transaction:false\nselect 1;\n",
      "dbmate",
      ["", "", "select 1;", ""],
    ],
    [
      "down before up",
      "-- migrate:down\ndrop table t;\n-- migrate:up\ncreate table t (a int);",
      "numbered",
      ["", "", "", "create table t (a int);"],
    ],
    [
      "CRLF keeps its line ends",
      "-- migrate:up\r\nselect 1;\r\n-- migrate:down\r\nselect 2;\r\n",
      "dbmate",
      ["\r", "select 1;\r", "\r", "\r", ""],
    ],
    [
      "plain files are returned whole",
      "create table t (a int);\n",
      "golang-migrate",
      ["create table t (a int);", ""],
    ],
    [
      "Flyway never has dbmate sections",
      "-- migrate:down is a comment here\nselect 1;",
      "flyway",
      ["-- migrate:down is a comment here", "select 1;"],
    ],
  ] as const)("%s", (_name, content, tool, expected) => {
    const result = extractMigrationUp(content, tool);
    expect(result.split("\n")).toEqual(expected);
    expect(result.split("\n")).toHaveLength(content.split("\n").length);
  });
});
