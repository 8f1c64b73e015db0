import { describe, expect, it } from "vitest";
import type { Dialect } from "./contract-levels.ts";
import { compareTypes, formatType, isKnownType, normalizeType, typeSatisfies } from "./normalize-type.ts";
import type { NormalizedType } from "./type-family.ts";

type Expect = Partial<Omit<NormalizedType, "raw">>;

const cases: Array<[string, Dialect | undefined, Expect]> = [
  // PostgreSQL integers and aliases
  ["int2", "postgres", { family: "integer", base: "smallint", precision: 16 }],
  ["SMALLINT", "postgres", { family: "integer", base: "smallint", precision: 16 }],
  ["int4", "postgres", { family: "integer", base: "integer", precision: 32 }],
  ["integer", "postgres", { family: "integer", base: "integer", precision: 32 }],
  ["INT", undefined, { family: "integer", base: "integer", precision: 32 }],
  ["serial", "postgres", { family: "integer", base: "integer", precision: 32 }],
  ["int8", "postgres", { family: "integer", base: "bigint", precision: 64 }],
  ["bigserial", "postgres", { family: "integer", base: "bigint", precision: 64 }],
  ['"int4"', "postgres", { family: "integer", base: "integer", precision: 32 }],
  ["pg_catalog.int8", "postgres", { family: "integer", base: "bigint", precision: 64 }],
  ['"pg_catalog"."int8"', "postgres", { family: "integer", base: "bigint", precision: 64 }],
  // exact / approximate numbers
  ["numeric(12,2)", "postgres", { family: "number", base: "numeric", precision: 12, scale: 2 }],
  ["DECIMAL(10, 2)", "postgres", { family: "number", base: "numeric", precision: 10, scale: 2 }],
  ["numeric(10)", "postgres", { family: "number", base: "numeric", precision: 10, scale: 0 }],
  ["numeric", "postgres", { family: "number", base: "numeric" }],
  ["real", "postgres", { family: "number", base: "real" }],
  ["float4", "postgres", { family: "number", base: "real" }],
  ["double precision", "postgres", { family: "number", base: "double" }],
  ["float8", "postgres", { family: "number", base: "double" }],
  ["float", "postgres", { family: "number", base: "double" }],
  ["float(10)", "postgres", { family: "number", base: "real" }],
  // strings
  ["varchar(20)", "postgres", { family: "string", base: "varchar", length: 20 }],
  ["character varying(20)", "postgres", { family: "string", base: "varchar", length: 20 }],
  ["CHARACTER VARYING", "postgres", { family: "string", base: "varchar" }],
  ["char(3)", "postgres", { family: "string", base: "char", length: 3 }],
  ["character", "postgres", { family: "string", base: "char", length: 1 }],
  ["bpchar", "postgres", { family: "string", base: "char" }],
  ["text", "postgres", { family: "string", base: "text" }],
  ["citext", "postgres", { family: "string", base: "citext" }],
  ["name", "postgres", { family: "string", base: "name" }],
  // booleans, dates, times
  ["bool", "postgres", { family: "boolean", base: "boolean" }],
  ["date", "postgres", { family: "date", base: "date" }],
  ["timestamp", "postgres", { family: "timestamp", base: "timestamp" }],
  ["timestamp without time zone", "postgres", { family: "timestamp", base: "timestamp" }],
  ["timestamp(3) without time zone", "postgres", { family: "timestamp", base: "timestamp", precision: 3 }],
  ["timestamptz", "postgres", { family: "timestamp", base: "timestamptz" }],
  ["TIMESTAMP WITH TIME ZONE", "postgres", { family: "timestamp", base: "timestamptz" }],
  ["time", "postgres", { family: "other", base: "time" }],
  ["timetz", "postgres", { family: "other", base: "timetz" }],
  ["time with time zone", "postgres", { family: "other", base: "timetz" }],
  ["interval", "postgres", { family: "other", base: "interval" }],
  // others
  ["json", "postgres", { family: "json", base: "json" }],
  ["jsonb", "postgres", { family: "json", base: "jsonb" }],
  ["bytea", "postgres", { family: "binary", base: "bytea" }],
  ["uuid", "postgres", { family: "uuid", base: "uuid" }],
  ["inet", "postgres", { family: "other", base: "inet" }],
  ["cidr", "postgres", { family: "other", base: "cidr" }],
  ["macaddr", "postgres", { family: "other", base: "macaddr" }],
  // arrays
  ["text[]", "postgres", { family: "string", base: "text", array: true }],
  ["int[][]", "postgres", { family: "integer", base: "integer", array: true }],
  ["integer[3]", "postgres", { family: "integer", base: "integer", array: true }],
  ["_int4", "postgres", { family: "integer", base: "integer", precision: 32, array: true }],
  ["_text", undefined, { family: "string", base: "text", array: true }],
  ["integer ARRAY", "postgres", { family: "integer", base: "integer", array: true }],
  ["varchar(10)[]", "postgres", { family: "string", base: "varchar", length: 10, array: true }],
  // MySQL / MariaDB
  ["tinyint(1)", "mysql", { family: "boolean", base: "boolean" }],
  ["TINYINT(1)", "mariadb", { family: "boolean", base: "boolean" }],
  ["tinyint(4)", "mysql", { family: "integer", base: "tinyint", precision: 8 }],
  ["tinyint", "mysql", { family: "integer", base: "tinyint", precision: 8 }],
  ["smallint(6) unsigned", "mysql", { family: "integer", base: "smallint", precision: 16 }],
  ["mediumint", "mysql", { family: "integer", base: "mediumint", precision: 24 }],
  ["int(11)", "mysql", { family: "integer", base: "integer", precision: 32 }],
  ["INT(10) UNSIGNED ZEROFILL", "mysql", { family: "integer", base: "integer", precision: 32 }],
  ["bigint(20) unsigned", "mysql", { family: "integer", base: "bigint", precision: 64 }],
  ["decimal(10,2)", "mysql", { family: "number", base: "numeric", precision: 10, scale: 2 }],
  ["float", "mysql", { family: "number", base: "real" }],
  ["double", "mysql", { family: "number", base: "double" }],
  ["real", "mysql", { family: "number", base: "double" }],
  ["varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", "mysql", { base: "varchar", length: 255 }],
  ["char(2)", "mysql", { family: "string", base: "char", length: 2 }],
  ["tinytext", "mysql", { family: "string", base: "tinytext" }],
  ["mediumtext", "mysql", { family: "string", base: "mediumtext" }],
  ["longtext", "mysql", { family: "string", base: "longtext" }],
  [
    "enum('new','paid','it''s')",
    "mysql",
    { family: "string", base: "enum", values: ["new", "paid", "it's"] },
  ],
  ["ENUM('a,b', 'c')", "mysql", { family: "string", base: "enum", values: ["a,b", "c"] }],
  ["set('x','y')", "mysql", { family: "string", base: "set", values: ["x", "y"] }],
  ["datetime", "mysql", { family: "timestamp", base: "datetime" }],
  ["datetime(6)", "mysql", { family: "timestamp", base: "datetime", precision: 6 }],
  ["timestamp", "mysql", { family: "timestamp", base: "timestamp" }],
  ["json", "mysql", { family: "json", base: "json" }],
  ["blob", "mysql", { family: "binary", base: "blob" }],
  ["longblob", "mysql", { family: "binary", base: "longblob" }],
  ["binary(16)", "mysql", { family: "binary", base: "binary", length: 16 }],
  ["varbinary(255)", "mysql", { family: "binary", base: "varbinary", length: 255 }],
  ["`int`", "mysql", { family: "integer", base: "integer" }],
  // SQLite: declared names, then affinity
  ["INTEGER", "sqlite", { family: "integer", base: "integer" }],
  ["VARCHAR(64)", "sqlite", { family: "string", base: "varchar", length: 64 }],
  ["TEXT", "sqlite", { family: "string", base: "text" }],
  ["REAL", "sqlite", { family: "number", base: "double" }],
  ["DOUBLE", "sqlite", { family: "number", base: "double" }],
  ["BLOB", "sqlite", { family: "binary", base: "blob" }],
  ["NUMERIC", "sqlite", { family: "number", base: "numeric" }],
  ["BOOLEAN", "sqlite", { family: "boolean", base: "boolean" }],
  ["DATE", "sqlite", { family: "date", base: "date" }],
  ["DATETIME", "sqlite", { family: "timestamp", base: "datetime" }],
  ["UNSIGNED BIG INT", "sqlite", { family: "integer", base: "bigint" }],
  ["NATIVE CHARACTER(70)", "sqlite", { family: "string", base: "char", length: 70 }],
  ["VARYING CHARACTER(255)", "sqlite", { family: "string", base: "varchar", length: 255 }],
  ["MEDIUMINTEGER", "sqlite", { family: "integer", base: "mediuminteger" }],
  ["CHARACTERS(9)", "sqlite", { family: "string", base: "characters", length: 9 }],
  // SQLite documents this quirk: "POINT" contains "INT", so the affinity is INTEGER.
  ["FLOATING POINT", "sqlite", { family: "integer", base: "floating point" }],
  ["STUFF", "sqlite", { family: "number", base: "stuff" }],
  ["", "sqlite", { family: "other", base: "any" }],
  // BigQuery
  ["STRING", "bigquery", { family: "string", base: "string" }],
  ["STRING(10)", "bigquery", { family: "string", base: "string", length: 10 }],
  ["INT64", "bigquery", { family: "integer", base: "bigint", precision: 64 }],
  ["INTEGER", "bigquery", { family: "integer", base: "bigint", precision: 64 }],
  ["FLOAT64", "bigquery", { family: "number", base: "double" }],
  ["BOOL", "bigquery", { family: "boolean", base: "boolean" }],
  ["BYTES", "bigquery", { family: "binary", base: "bytes" }],
  ["TIMESTAMP", "bigquery", { family: "timestamp", base: "timestamptz" }],
  ["DATETIME", "bigquery", { family: "timestamp", base: "datetime" }],
  ["NUMERIC(10, 2)", "bigquery", { family: "number", base: "numeric", precision: 10, scale: 2 }],
  ["BIGNUMERIC", "bigquery", { family: "number", base: "bignumeric" }],
  ["ARRAY<STRING>", "bigquery", { family: "string", base: "string", array: true }],
  ["ARRAY<INT64>", "bigquery", { family: "integer", base: "bigint", array: true }],
  ["STRUCT<a INT64, b STRING>", "bigquery", { family: "other", base: "struct" }],
  ["JSON", "bigquery", { family: "json", base: "json" }],
  // Snowflake
  ["NUMBER(38,0)", "snowflake", { family: "integer", base: "number", precision: 38, scale: 0 }],
  ["NUMBER", "snowflake", { family: "integer", base: "number", precision: 38, scale: 0 }],
  ["INTEGER", "snowflake", { family: "integer", base: "number", precision: 38, scale: 0 }],
  ["NUMBER(10,2)", "snowflake", { family: "number", base: "numeric", precision: 10, scale: 2 }],
  ["VARCHAR(16777216)", "snowflake", { family: "string", base: "varchar", length: 16777216 }],
  ["STRING", "snowflake", { family: "string", base: "varchar" }],
  ["TEXT", "snowflake", { family: "string", base: "varchar" }],
  ["FLOAT", "snowflake", { family: "number", base: "double" }],
  ["VARIANT", "snowflake", { family: "json", base: "variant" }],
  ["OBJECT", "snowflake", { family: "json", base: "object" }],
  ["ARRAY", "snowflake", { family: "json", base: "array" }],
  ["TIMESTAMP_NTZ", "snowflake", { family: "timestamp", base: "timestamp" }],
  ["TIMESTAMP_NTZ(9)", "snowflake", { family: "timestamp", base: "timestamp", precision: 9 }],
  ["TIMESTAMP_LTZ", "snowflake", { family: "timestamp", base: "timestamptz" }],
  ["TIMESTAMP_TZ", "snowflake", { family: "timestamp", base: "timestamptz" }],
  ["BOOLEAN", "snowflake", { family: "boolean", base: "boolean" }],
  ["BINARY", "snowflake", { family: "binary", base: "binary" }],
  // dbt / no dialect
  ["number(38,0)", undefined, { family: "integer", base: "number", precision: 38 }],
  ["number(10,2)", undefined, { family: "number", base: "numeric", precision: 10, scale: 2 }],
  // portable family names
  ["string", undefined, { family: "string", base: "string", familyOnly: true }],
  ["integer", undefined, { family: "integer", base: "integer", familyOnly: true }],
  ["number", undefined, { family: "number", base: "number", familyOnly: true }],
  ["Boolean", undefined, { family: "boolean", base: "boolean", familyOnly: true }],
  ["date", undefined, { family: "date", base: "date", familyOnly: true }],
  ["timestamp", undefined, { family: "timestamp", base: "timestamp", familyOnly: true }],
  ["json", undefined, { family: "json", base: "json", familyOnly: true }],
  ["binary", undefined, { family: "binary", base: "binary", familyOnly: true }],
  ["uuid", undefined, { family: "uuid", base: "uuid", familyOnly: true }],
  ["string[]", undefined, { family: "string", array: true, familyOnly: true }],
  // unknown
  ["mood", "postgres", { family: "other", base: "mood" }],
  ["public.Mood", "postgres", { family: "other", base: "public.mood" }],
  ["geometry(Point, 4326)", "postgres", { family: "other", base: "geometry(point, 4326)" }],
  ["tsvector", "postgres", { family: "other", base: "tsvector" }],
];

describe("normalizeType", () => {
  it.each(cases)("%s (%s)", (raw, dialect, expected) => {
    const t = normalizeType(raw, dialect);
    expect(t).toMatchObject(expected);
    expect(t.raw).toBe(raw);
  });

  it("keeps concrete names concrete when a dialect is given", () => {
    expect(normalizeType("integer", "postgres").familyOnly).toBeUndefined();
    expect(normalizeType("int4").familyOnly).toBeUndefined();
    expect(normalizeType("varchar(20)").familyOnly).toBeUndefined();
  });

  it("ignores display width: int(11) equals int", () => {
    expect(normalizeType("int(11)", "mysql").precision).toBe(32);
    expect(normalizeType("int(11)", "mysql").length).toBeUndefined();
  });

  it("never throws on garbage", () => {
    for (const raw of ["(", "varchar(", ")))", "array<", "[]", "enum('a", "  "]) {
      expect(() => normalizeType(raw, "postgres")).not.toThrow();
    }
  });
});

const pg = (raw: string) => normalizeType(raw, "postgres");
const my = (raw: string) => normalizeType(raw, "mysql");

/** A column typed with a Postgres enum, as the replay builds it; no values: compared as a type alone. */
const pgEnum = (name: string, ...values: string[]): NormalizedType => ({
  family: "string",
  base: name,
  raw: name,
  ...(values.length > 0 ? { values } : {}),
});

describe("compareTypes", () => {
  const table: Array<[string, NormalizedType, NormalizedType, "same" | "widened" | "changed"]> = [
    ["int4 / integer", pg("int4"), pg("integer"), "same"],
    ["int / serial", pg("int"), pg("serial"), "same"],
    ["character varying(20) / varchar(20)", pg("character varying(20)"), pg("VARCHAR(20)"), "same"],
    ["numeric(10) / numeric(10,0)", pg("numeric(10)"), pg("numeric(10,0)"), "same"],
    ["int(11) / int", my("int(11)"), my("int"), "same"],
    ["float8 / double precision", pg("float8"), pg("double precision"), "same"],
    ["timestamp with time zone / timestamptz", pg("timestamp with time zone"), pg("timestamptz"), "same"],
    ["varchar(20) -> varchar(40)", pg("varchar(20)"), pg("varchar(40)"), "widened"],
    ["varchar(40) -> varchar(20)", pg("varchar(40)"), pg("varchar(20)"), "changed"],
    ["varchar(20) -> text", pg("varchar(20)"), pg("text"), "widened"],
    ["varchar(20) -> varchar", pg("varchar(20)"), pg("varchar"), "widened"],
    ["text -> varchar(20)", pg("text"), pg("varchar(20)"), "changed"],
    ["char(3) -> varchar(3)", pg("char(3)"), pg("varchar(3)"), "widened"],
    ["varchar(3) -> char(3)", pg("varchar(3)"), pg("char(3)"), "changed"],
    ["text -> citext", pg("text"), pg("citext"), "changed"],
    ["integer -> bigint", pg("integer"), pg("bigint"), "widened"],
    ["smallint -> integer", pg("smallint"), pg("integer"), "widened"],
    ["bigint -> integer", pg("bigint"), pg("integer"), "changed"],
    ["tinyint -> mediumint", my("tinyint"), my("mediumint"), "widened"],
    ["numeric(10,2) -> numeric(12,2)", pg("numeric(10,2)"), pg("numeric(12,2)"), "widened"],
    ["numeric(10,2) -> numeric(12,4)", pg("numeric(10,2)"), pg("numeric(12,4)"), "widened"],
    [
      "numeric(10,2) -> numeric(10,4): integer digits lost",
      pg("numeric(10,2)"),
      pg("numeric(10,4)"),
      "changed",
    ],
    ["numeric(12,2) -> numeric(12,1): scale lost", pg("numeric(12,2)"), pg("numeric(12,1)"), "changed"],
    ["numeric(12,2) -> numeric(10,2)", pg("numeric(12,2)"), pg("numeric(10,2)"), "changed"],
    ["numeric(12,2) -> numeric", pg("numeric(12,2)"), pg("numeric"), "widened"],
    ["numeric -> numeric(12,2)", pg("numeric"), pg("numeric(12,2)"), "changed"],
    ["float4 -> float8", pg("float4"), pg("float8"), "widened"],
    ["float8 -> float4", pg("float8"), pg("float4"), "changed"],
    ["numeric -> double", pg("numeric"), pg("double precision"), "changed"],
    ["timestamp -> timestamptz", pg("timestamp"), pg("timestamptz"), "changed"],
    ["timestamptz -> timestamp", pg("timestamptz"), pg("timestamp"), "changed"],
    ["timestamp(3) -> timestamp(6)", pg("timestamp(3)"), pg("timestamp(6)"), "widened"],
    ["timestamp(6) -> timestamp", pg("timestamp(6)"), pg("timestamp"), "same"],
    ["json -> jsonb", pg("json"), pg("jsonb"), "widened"],
    ["jsonb -> json", pg("jsonb"), pg("json"), "changed"],
    ["integer -> text (family)", pg("integer"), pg("text"), "changed"],
    ["integer -> numeric (family)", pg("integer"), pg("numeric"), "changed"],
    ["text -> text[] (array)", pg("text"), pg("text[]"), "changed"],
    ["int[] -> bigint[]", pg("int[]"), pg("bigint[]"), "widened"],
    ["tinytext -> text", my("tinytext"), my("text"), "widened"],
    ["text -> mediumtext", my("text"), my("mediumtext"), "widened"],
    ["longtext -> text", my("longtext"), my("text"), "changed"],
    ["varchar(300) -> tinytext", my("varchar(300)"), my("tinytext"), "changed"],
    ["blob -> longblob", my("blob"), my("longblob"), "widened"],
    ["enum add value", my("enum('a','b')"), my("enum('a','b','c')"), "widened"],
    ["enum remove value", my("enum('a','b')"), my("enum('a')"), "changed"],
    ["enum -> varchar(10)", my("enum('new','paid')"), my("varchar(10)"), "widened"],
    ["enum -> varchar(2)", my("enum('new','paid')"), my("varchar(2)"), "changed"],
    ["varchar(10) -> enum", my("varchar(10)"), my("enum('a')"), "changed"],
    ["binary(16) -> varbinary(16)", my("binary(16)"), my("varbinary(16)"), "widened"],
    ["varbinary(16) -> binary(16)", my("varbinary(16)"), my("binary(16)"), "changed"],
    [
      "int -> snowflake number",
      normalizeType("INT", "snowflake"),
      normalizeType("NUMBER(38,0)", "snowflake"),
      "same",
    ],
    [
      "snowflake number(9,0) -> number(18,0)",
      normalizeType("NUMBER(9,0)", "snowflake"),
      normalizeType("NUMBER(18,0)", "snowflake"),
      "widened",
    ],
    ["postgres enum add value", pgEnum("mood", "a", "b"), pgEnum("mood", "a", "b", "c"), "widened"],
    ["postgres enum remove value", pgEnum("mood", "a", "b"), pgEnum("mood", "a"), "changed"],
    ["postgres enum same values", pgEnum("mood", "a"), pgEnum("mood", "a"), "same"],
    ["postgres enum -> another enum type", pgEnum("mood", "a"), pgEnum("feeling", "a"), "changed"],
    ["postgres enum types without values", pgEnum("mood"), pgEnum("feeling"), "changed"],
    ["postgres enum -> text", pgEnum("mood", "sad"), pg("text"), "widened"],
    ["text -> postgres enum", pg("text"), pgEnum("mood", "sad"), "changed"],
    ["unknown same", pg("mood"), pg("MOOD"), "same"],
    ["unknown different", pg("mood"), pg("feeling"), "changed"],
    ["tinyint(1) -> tinyint(4)", my("tinyint(1)"), my("tinyint(4)"), "changed"],
  ];
  it.each(table)("%s", (_label, base, head, expected) => {
    expect(compareTypes(base, head)).toBe(expected);
  });
});

describe("typeSatisfies", () => {
  const c = (raw: string) => normalizeType(raw);
  const table: Array<[string, NormalizedType, NormalizedType, boolean]> = [
    ["string accepts varchar(20)", c("string"), pg("varchar(20)"), true],
    ["string accepts text", c("string"), pg("text"), true],
    ["string accepts enum", c("string"), my("enum('a')"), true],
    [
      "string accepts a Postgres enum type",
      c("string"),
      { family: "other", base: "order_status", values: ["new", "paid"], raw: "order_status" },
      true,
    ],
    [
      "integer rejects a Postgres enum type",
      c("integer"),
      { family: "other", base: "e", values: ["1"], raw: "e" },
      false,
    ],
    ["string accepts a replayed Postgres enum", c("string"), pgEnum("mood", "a"), true],
    ["a contract naming the enum type accepts it", c("mood"), pgEnum("mood", "a"), true],
    ["a contract naming another enum type rejects it", c("feeling"), pgEnum("mood", "a"), false],
    ["text rejects a Postgres enum", c("text"), pgEnum("mood", "a"), false],
    ["string rejects integer", c("string"), pg("integer"), false],
    ["integer accepts bigint", c("integer"), pg("bigint"), true],
    ["integer accepts smallint", c("integer"), pg("smallint"), true],
    ["integer accepts snowflake number", c("integer"), normalizeType("NUMBER(38,0)", "snowflake"), true],
    ["number accepts numeric(12,2)", c("number"), pg("numeric(12,2)"), true],
    ["number accepts double", c("number"), pg("float8"), true],
    ["number accepts integer", c("number"), pg("int"), true],
    ["timestamp accepts timestamptz", c("timestamp"), pg("timestamptz"), true],
    ["boolean accepts tinyint(1)", c("boolean"), my("tinyint(1)"), true],
    ["uuid rejects text", c("uuid"), pg("text"), false],
    ["bigint accepts int8", c("bigint"), pg("int8"), true],
    ["bigint rejects integer", c("bigint"), pg("integer"), false],
    ["int4 accepts integer", c("int4"), pg("integer"), true],
    ["int accepts mysql int(11)", c("int"), my("int(11)"), true],
    ["varchar(255) accepts character varying(255)", c("varchar(255)"), pg("character varying(255)"), true],
    ["varchar(255) rejects varchar(100)", c("varchar(255)"), pg("varchar(100)"), false],
    ["varchar(255) rejects text", c("varchar(255)"), pg("text"), false],
    ["numeric(12,2) accepts decimal(12,2)", c("numeric(12,2)"), pg("decimal(12,2)"), true],
    ["numeric(12,2) rejects numeric(12,3)", c("numeric(12,2)"), pg("numeric(12,3)"), false],
    ["text accepts mysql text", c("text"), my("text"), true],
    ["timestamptz rejects timestamp", c("timestamptz"), pg("timestamp"), false],
    ["string[] accepts text[]", c("string[]"), pg("text[]"), true],
    ["string rejects text[]", c("string"), pg("text[]"), false],
    ["integer[] accepts _int4", c("integer[]"), pg("_int4"), true],
  ];
  it.each(table)("%s", (_label, expected, actual, result) => {
    expect(typeSatisfies(expected, actual)).toBe(result);
  });
});

describe("formatType", () => {
  const table: Array<[string, Dialect | undefined, string]> = [
    ["character varying(255)", "postgres", "varchar(255)"],
    ["DECIMAL(12, 2)", "postgres", "numeric(12,2)"],
    ["int4[]", "postgres", "integer[]"],
    ["_int8", "postgres", "bigint[]"],
    ["int(11) unsigned", "mysql", "integer"],
    ["timestamp(3) with time zone", "postgres", "timestamptz(3)"],
    ["enum('a','it''s')", "mysql", "enum('a','it''s')"],
    ["string", undefined, "string"],
    ["NUMBER(38,0)", "snowflake", "number(38,0)"],
    ["tinyint(1)", "mysql", "boolean"],
    ["bpchar", "postgres", "char"],
    ["double precision", "postgres", "double"],
  ];
  it.each(table)("%s (%s) -> %s", (raw, dialect, out) => {
    expect(formatType(normalizeType(raw, dialect))).toBe(out);
  });

  it("round-trips: a formatted type normalizes to the same type", () => {
    for (const raw of ["varchar(20)", "numeric(12,2)", "bigint[]", "timestamptz", "enum('a','b')", "text"]) {
      const t = normalizeType(raw, "postgres");
      expect(compareTypes(t, normalizeType(formatType(t), "postgres"))).toBe("same");
    }
  });
});

describe("isKnownType", () => {
  const table: Array<[string, boolean]> = [
    ["string", true],
    ["varchar(255)", true],
    ["numeric(12,2)", true],
    ["interval", true],
    ["geometry(Point, 4326)", true],
    ["STRUCT<a INT64>", true],
    ["strng", false],
    ["integr", false],
    ["", false],
  ];
  it.each(table)("%s -> %s", (raw, known) => {
    expect(isKnownType(raw)).toBe(known);
  });
});
