import { cloneType } from "./clone-schema.ts";
import type { Dialect } from "./contract-levels.ts";
import { type NormalizedType, TYPE_FAMILIES, type TypeFamily } from "./type-family.ts";

/**
 * Type normalization: every spelling of a SQL, warehouse or portable type folds to one
 * `NormalizedType`, so diffs compare meaning rather than spelling.
 *
 * Decisions worth knowing:
 * - `integer`, `string`, `number`… without a dialect are portable family names (`familyOnly`);
 *   with a dialect they are that dialect's concrete type (`integer` in Postgres is 32 bits).
 * - Integer `precision` is the width in bits; Snowflake integers are all NUMBER(38,0), kept as
 *   base `number` with precision in decimal digits, family integer.
 * - `timestamp` -> `timestamptz` is a change, not a widening: Postgres reinterprets the stored
 *   values in the session time zone and readers receive offset-aware values.
 * - MySQL UNSIGNED and integer display widths are ignored; `tinyint(1)` is MySQL's boolean.
 */

type Spec = { family: TypeFamily; base: string; precision?: number; scale?: number; length?: number };

const int = (base: string, bits: number): Spec => ({ family: "integer", base, precision: bits });
const fam = (family: TypeFamily, base: string): Spec => ({ family, base });

const SMALLINT = int("smallint", 16);
const INTEGER = int("integer", 32);
const BIGINT = int("bigint", 64);
const TINYINT = int("tinyint", 8);
const SNOWFLAKE_INT: Spec = { family: "integer", base: "number", precision: 38, scale: 0 };
const REAL: Spec = { family: "number", base: "real", precision: 24 };
const DOUBLE: Spec = { family: "number", base: "double", precision: 53 };

const NAMES: Record<string, Spec> = {
  // integers
  int2: SMALLINT,
  smallint: SMALLINT,
  smallserial: SMALLINT,
  serial2: SMALLINT,
  int: INTEGER,
  int4: INTEGER,
  integer: INTEGER,
  serial: INTEGER,
  serial4: INTEGER,
  int8: BIGINT,
  bigint: BIGINT,
  bigserial: BIGINT,
  serial8: BIGINT,
  int64: BIGINT,
  "unsigned big int": BIGINT,
  "big int": BIGINT,
  tinyint: TINYINT,
  int1: TINYINT,
  byteint: TINYINT,
  mediumint: int("mediumint", 24),
  int3: int("mediumint", 24),
  middleint: int("mediumint", 24),
  // exact and approximate numbers
  numeric: fam("number", "numeric"),
  decimal: fam("number", "numeric"),
  dec: fam("number", "numeric"),
  number: fam("number", "numeric"),
  fixed: fam("number", "numeric"),
  bignumeric: fam("number", "bignumeric"),
  bigdecimal: fam("number", "bignumeric"),
  real: REAL,
  float4: REAL,
  float: DOUBLE,
  float8: DOUBLE,
  float64: DOUBLE,
  double: DOUBLE,
  "double precision": DOUBLE,
  money: fam("number", "money"),
  smallmoney: fam("number", "money"),
  // strings
  varchar: fam("string", "varchar"),
  "character varying": fam("string", "varchar"),
  "char varying": fam("string", "varchar"),
  nvarchar: fam("string", "varchar"),
  "national character varying": fam("string", "varchar"),
  "national varchar": fam("string", "varchar"),
  varchar2: fam("string", "varchar"),
  nvarchar2: fam("string", "varchar"),
  "varying character": fam("string", "varchar"),
  "native character": fam("string", "char"),
  char: fam("string", "char"),
  character: fam("string", "char"),
  nchar: fam("string", "char"),
  "national character": fam("string", "char"),
  "national char": fam("string", "char"),
  bpchar: fam("string", "bpchar"),
  text: fam("string", "text"),
  clob: fam("string", "text"),
  ntext: fam("string", "text"),
  tinytext: fam("string", "tinytext"),
  mediumtext: fam("string", "mediumtext"),
  longtext: fam("string", "longtext"),
  citext: fam("string", "citext"),
  name: fam("string", "name"),
  string: fam("string", "string"),
  enum: fam("string", "enum"),
  set: fam("string", "set"),
  // booleans
  bool: fam("boolean", "boolean"),
  boolean: fam("boolean", "boolean"),
  // dates and times
  date: fam("date", "date"),
  timestamp: fam("timestamp", "timestamp"),
  "timestamp without time zone": fam("timestamp", "timestamp"),
  timestamp_ntz: fam("timestamp", "timestamp"),
  timestamptz: fam("timestamp", "timestamptz"),
  "timestamp with time zone": fam("timestamp", "timestamptz"),
  "timestamp with local time zone": fam("timestamp", "timestamptz"),
  timestamp_tz: fam("timestamp", "timestamptz"),
  timestamp_ltz: fam("timestamp", "timestamptz"),
  datetimeoffset: fam("timestamp", "timestamptz"),
  datetime: fam("timestamp", "datetime"),
  datetime2: fam("timestamp", "datetime"),
  smalldatetime: fam("timestamp", "datetime"),
  time: fam("other", "time"),
  "time without time zone": fam("other", "time"),
  timetz: fam("other", "timetz"),
  "time with time zone": fam("other", "timetz"),
  interval: fam("other", "interval"),
  year: fam("other", "year"),
  // semi-structured
  json: fam("json", "json"),
  jsonb: fam("json", "jsonb"),
  variant: fam("json", "variant"),
  object: fam("json", "object"),
  super: fam("json", "super"),
  // binary
  bytea: fam("binary", "bytea"),
  blob: fam("binary", "blob"),
  tinyblob: fam("binary", "tinyblob"),
  mediumblob: fam("binary", "mediumblob"),
  longblob: fam("binary", "longblob"),
  binary: fam("binary", "binary"),
  varbinary: fam("binary", "varbinary"),
  "binary varying": fam("binary", "varbinary"),
  bytes: fam("binary", "bytes"),
  image: fam("binary", "blob"),
  // identifiers
  uuid: fam("uuid", "uuid"),
  uniqueidentifier: fam("uuid", "uuid"),
  // recognised, but with no portable family
  inet: fam("other", "inet"),
  cidr: fam("other", "cidr"),
  macaddr: fam("other", "macaddr"),
  macaddr8: fam("other", "macaddr8"),
  xml: fam("other", "xml"),
  tsvector: fam("other", "tsvector"),
  tsquery: fam("other", "tsquery"),
  hstore: fam("other", "hstore"),
  oid: fam("other", "oid"),
  bit: fam("other", "bit"),
  "bit varying": fam("other", "varbit"),
  varbit: fam("other", "varbit"),
  geometry: fam("other", "geometry"),
  geography: fam("other", "geography"),
  point: fam("other", "point"),
  struct: fam("other", "struct"),
  record: fam("other", "struct"),
};

/** Postgres names its array types after the element with a leading underscore: `_int4` is `int4[]`. */
const PG_DIALECTS: ReadonlyArray<Dialect | undefined> = [undefined, "postgres"];

const DIALECT_OVERRIDES: Partial<Record<Dialect, Record<string, Spec>>> = {
  // BigQuery: every integer spelling is INT64; TIMESTAMP is an absolute point in time.
  bigquery: {
    int: BIGINT,
    integer: BIGINT,
    smallint: BIGINT,
    tinyint: BIGINT,
    byteint: BIGINT,
    timestamp: fam("timestamp", "timestamptz"),
    float: DOUBLE,
  },
  // Snowflake: integers are NUMBER(38,0), every float is 64-bit, text spellings are VARCHAR.
  snowflake: {
    int: SNOWFLAKE_INT,
    integer: SNOWFLAKE_INT,
    bigint: SNOWFLAKE_INT,
    smallint: SNOWFLAKE_INT,
    tinyint: SNOWFLAKE_INT,
    byteint: SNOWFLAKE_INT,
    real: DOUBLE,
    float: DOUBLE,
    float4: DOUBLE,
    string: fam("string", "varchar"),
    text: fam("string", "varchar"),
    datetime: fam("timestamp", "timestamp"),
    array: fam("json", "array"),
  },
  // MySQL: FLOAT is single precision and REAL means DOUBLE.
  mysql: { float: REAL, real: DOUBLE },
  mariadb: { float: REAL, real: DOUBLE },
  sqlite: { real: DOUBLE },
};

const FAMILY_NAMES = new Set<string>(TYPE_FAMILIES.filter((f) => f !== "other"));

/** Trailing words that qualify a type without changing what it stores (MySQL attributes). */
const IGNORED_WORDS = new Set(["unsigned", "signed", "zerofill"]);

const stripIdentifierQuotes = (s: string): string => s.replace(/["`[\]]/g, "");

/** Index of the `)` that closes the `(` at `open`, skipping quoted text; -1 when unbalanced. */
const closingParen = (s: string, open: number): number => {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) {
        if (s[i + 1] === quote) i++;
        else quote = undefined;
      }
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "(") depth++;
    else if (c === ")") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
};

/** Splits `a, 'b,c', d` on commas outside quotes. */
const splitParams = (s: string): string[] => {
  const parts: string[] = [];
  let current = "";
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (quote) {
      current += c;
      if (c === quote) {
        if (s[i + 1] === quote) {
          current += c;
          i++;
        } else quote = undefined;
      }
    } else if (c === "'" || c === '"') {
      quote = c;
      current += c;
    } else if (c === ",") {
      parts.push(current.trim());
      current = "";
    } else current += c;
  }
  if (current.trim() !== "" || parts.length > 0) parts.push(current.trim());
  return parts;
};

const unquoteValue = (s: string): string => {
  const q = s[0];
  if ((q === "'" || q === '"') && s.endsWith(q) && s.length >= 2) {
    return s.slice(1, -1).replaceAll(q + q, q);
  }
  return s;
};

const toInt = (s: string | undefined): number | undefined => {
  if (s === undefined) return undefined;
  const n = Number.parseInt(s, 10);
  return Number.isFinite(n) ? n : undefined;
};

/** SQLite's documented affinity rules, for declared names we do not know. */
const sqliteAffinity = (name: string): TypeFamily => {
  const upper = name.toUpperCase();
  if (upper.includes("INT")) return "integer";
  if (upper.includes("CHAR") || upper.includes("CLOB") || upper.includes("TEXT")) return "string";
  if (upper.includes("BLOB")) return "binary";
  if (upper.includes("REAL") || upper.includes("FLOA") || upper.includes("DOUB")) return "number";
  return "number";
};

const withArray = (t: NormalizedType, array: boolean): NormalizedType => (array ? { ...t, array: true } : t);

/**
 * Replaying a history normalizes the same few spellings thousands of times (every column of
 * every CREATE TABLE), and the regular expressions below were a tenth of the replay's time.
 * Results are remembered per dialect and spelling; callers get their own copy, so one that
 * edits its type (an enum's values) cannot change another's.
 */
const normalized = new Map<string, NormalizedType>();
const NORMALIZED_MAX = 10_000;

/**
 * Folds a type spelling from any supported dialect (or a portable family name) into a
 * `NormalizedType`. Never throws: an unknown type becomes family `other` with its lower-cased name.
 */
export const normalizeType = (raw: string, dialect?: Dialect): NormalizedType => {
  const key = `${dialect ?? ""}\u0000${raw}`;
  let t = normalized.get(key);
  if (!t) {
    if (normalized.size >= NORMALIZED_MAX) normalized.clear();
    t = normalizeTypeUncached(raw, dialect);
    normalized.set(key, t);
  }
  return cloneType(t);
};

const normalizeTypeUncached = (raw: string, dialect?: Dialect): NormalizedType => {
  let s = raw.trim();
  if (s === "") return { family: "other", base: "any", raw };

  let array = false;
  // Postgres `text[]`, `int[3][3]`, `integer ARRAY`
  for (;;) {
    const m = /^(.*?)\s*\[\s*\d*\s*\]$/s.exec(s);
    if (m && m[1] !== undefined && m[1] !== "") {
      s = m[1];
      array = true;
      continue;
    }
    const a = /^(.*\S)\s+array(\s*\[\s*\d*\s*\])?$/is.exec(s);
    if (a?.[1]) {
      s = a[1];
      array = true;
      continue;
    }
    break;
  }
  // BigQuery / Spark `ARRAY<T>`
  const generic = /^array\s*<(.*)>$/is.exec(s);
  if (generic?.[1] !== undefined) {
    return { ...normalizeType(generic[1], dialect), array: true, raw };
  }
  if (/^(struct|record|map|object)\s*</i.test(s)) {
    const base = /^(\w+)/.exec(s)?.[1]?.toLowerCase() ?? "struct";
    return withArray({ family: "other", base: base === "record" ? "struct" : base, raw }, array);
  }

  // Separate the parameter list, which Postgres allows mid-name: `timestamp(3) with time zone`.
  let params: string[] = [];
  const open = s.indexOf("(");
  if (open >= 0) {
    const close = closingParen(s, open);
    if (close > open) {
      params = splitParams(s.slice(open + 1, close));
      s = `${s.slice(0, open)} ${s.slice(close + 1)}`;
    }
  }

  let name = stripIdentifierQuotes(s).toLowerCase().replace(/\s+/g, " ").trim();
  // MySQL column attributes that can trail the type.
  name = name.replace(/\s+(character set|charset|collate)\s+\S+/g, "").trim();
  const words = name.split(" ").filter((w) => !IGNORED_WORDS.has(w));
  name = words.join(" ");
  if (name.startsWith("pg_catalog.")) name = name.slice("pg_catalog.".length);
  if (name === "") return withArray({ family: "other", base: "any", raw }, array);

  if (
    dialect === undefined &&
    FAMILY_NAMES.has(name) &&
    params.length === 0 &&
    // `binary`/`integer` etc. are portable here; only bare family names count.
    words.length === 1
  ) {
    return withArray({ family: name as TypeFamily, base: name, familyOnly: true, raw }, array);
  }

  let spec = DIALECT_OVERRIDES[dialect as Dialect]?.[name] ?? NAMES[name];
  if (!spec && name.startsWith("_") && PG_DIALECTS.includes(dialect)) {
    const element = NAMES[name.slice(1)];
    if (element) {
      spec = element;
      array = true;
    }
  }
  if (!spec) {
    if (dialect === "sqlite") {
      const family = sqliteAffinity(name);
      return withArray({ family, base: name, raw, ...lengthOrPrecision(family, params.map(toInt)) }, array);
    }
    const base = stripIdentifierQuotes(raw.trim()).toLowerCase().replace(/\s+/g, " ");
    return withArray(
      { family: "other", base: base.replace(/^pg_catalog\./, "").replace(/(\[\d*\])+$/, ""), raw },
      array,
    );
  }

  return withArray(applyParams(spec, name, params, dialect, raw), array);
};

const lengthOrPrecision = (family: TypeFamily, nums: Array<number | undefined>): Partial<NormalizedType> => {
  const [a, b] = nums;
  if (a === undefined) return {};
  if (family === "string" || family === "binary") return { length: a };
  if (family === "number") return b === undefined ? { precision: a } : { precision: a, scale: b };
  return {};
};

const applyParams = (
  spec: Spec,
  name: string,
  params: string[],
  dialect: Dialect | undefined,
  raw: string,
): NormalizedType => {
  const t: NormalizedType = { ...spec, raw };
  const nums = params.map(toInt);
  const [p0, p1] = nums;
  const isMysql = dialect === "mysql" || dialect === "mariadb";

  switch (spec.family) {
    case "integer": {
      if (spec.base === "tinyint" && p0 === 1 && params.length === 1 && (isMysql || dialect === undefined)) {
        return { family: "boolean", base: "boolean", raw };
      }
      // Display widths (`int(11)`) do not change what is stored.
      return t;
    }
    case "number": {
      if (spec.base === "numeric" || spec.base === "bignumeric") {
        if (p0 !== undefined) {
          t.precision = p0;
          t.scale = p1 ?? 0;
        }
        // Snowflake (and Oracle-style NUMBER(p,0)) spell integers as exact numbers with no scale.
        const integral =
          dialect === "snowflake"
            ? t.scale === undefined || t.scale === 0
            : name === "number" && t.scale === 0;
        if (integral)
          return { family: "integer", base: "number", precision: t.precision ?? 38, scale: 0, raw };
        return t;
      }
      if ((name === "float" || name === "double") && p0 !== undefined && params.length === 1) {
        // SQL's float(p): p is binary digits of mantissa.
        return { ...(p0 <= 24 ? REAL : DOUBLE), raw };
      }
      return t;
    }
    case "string": {
      if (spec.base === "enum" || spec.base === "set") {
        t.values = params.map(unquoteValue);
        return t;
      }
      if (p0 !== undefined) t.length = p0;
      else if (spec.base === "char" && params.length === 0) t.length = 1;
      if (spec.base === "bpchar") t.base = "char";
      return t;
    }
    case "binary": {
      if (p0 !== undefined) t.length = p0;
      else if (spec.base === "binary" && params.length === 0) t.length = 1;
      return t;
    }
    case "timestamp":
    case "other": {
      if (p0 !== undefined && params.length === 1) t.precision = p0;
      else if (params.length > 0 && spec.family === "other")
        t.base = `${spec.base}(${params.join(", ").toLowerCase()})`;
      if (spec.base === "bit" || spec.base === "varbit") {
        t.precision = undefined;
        if (p0 !== undefined) t.length = p0;
        else if (spec.base === "bit") t.length = 1;
      }
      return dropUndefined(t);
    }
    default:
      return t;
  }
};

const dropUndefined = (t: NormalizedType): NormalizedType => {
  const out = { ...t };
  for (const key of Object.keys(out) as Array<keyof NormalizedType>) {
    if (out[key] === undefined) delete out[key];
  }
  return out;
};

// ---------------------------------------------------------------------------------------------
// Comparison

export type TypeComparison = "same" | "widened" | "changed";

const DEFAULT_INT_BITS: Record<string, number> = {
  tinyint: 8,
  smallint: 16,
  mediumint: 24,
  integer: 32,
  bigint: 64,
};

/** Width in bits; Snowflake's NUMBER(p,0) counts decimal digits, converted so widths compare. */
const intBits = (t: NormalizedType): number | undefined => {
  if (t.base === "number") return Math.ceil((t.precision ?? 38) * Math.log2(10)) + 1;
  return t.precision ?? DEFAULT_INT_BITS[t.base];
};

const MYSQL_TEXT_CAPACITY: Record<string, number> = {
  tinytext: 255,
  text: 65_535,
  mediumtext: 16_777_215,
  longtext: 4_294_967_295,
  tinyblob: 255,
  blob: 65_535,
  mediumblob: 16_777_215,
  longblob: 4_294_967_295,
};
const MYSQL_SIZED = new Set(["tinytext", "mediumtext", "longtext", "tinyblob", "mediumblob", "longblob"]);

/**
 * How many characters (or bytes) a string/binary type holds. Plain `text`/`blob` are unbounded
 * unless the other side is one of MySQL's sized variants, which only ever meet MySQL's `text`.
 */
const capacity = (t: NormalizedType, other: NormalizedType): number => {
  if (t.length !== undefined) return t.length;
  if (t.base === "name") return 63;
  const sized = MYSQL_TEXT_CAPACITY[t.base];
  if (sized !== undefined && (MYSQL_SIZED.has(t.base) || MYSQL_SIZED.has(other.base))) return sized;
  return Number.POSITIVE_INFINITY;
};

const sameValues = (a: string[] | undefined, b: string[] | undefined): boolean =>
  (a ?? []).length === (b ?? []).length && (a ?? []).every((v, i) => b?.[i] === v);

const isSuperset = (head: string[], base: string[]): boolean => base.every((v) => head.includes(v));

const sameParams = (a: NormalizedType, b: NormalizedType): boolean =>
  a.length === b.length && a.precision === b.precision && (a.scale ?? 0) === (b.scale ?? 0);

const isSame = (a: NormalizedType, b: NormalizedType): boolean => {
  if (a.family !== b.family || Boolean(a.array) !== Boolean(b.array)) return false;
  if (a.familyOnly && b.familyOnly) return true;
  if (a.family === "integer") return a.base === b.base && intBits(a) === intBits(b);
  if (a.base !== b.base) return false;
  if (!sameValues(a.values, b.values)) return false;
  return sameParams(a, b);
};

const compareNumbers = (base: NormalizedType, head: NormalizedType): TypeComparison => {
  const exact = new Set(["numeric", "bignumeric"]);
  if (exact.has(base.base) && exact.has(head.base)) {
    if (base.base === "bignumeric" && head.base === "numeric") return "changed";
    if (head.precision === undefined) return "widened";
    if (base.precision === undefined) return "changed";
    const bs = base.scale ?? 0;
    const hs = head.scale ?? 0;
    const ok = head.precision >= base.precision && hs >= bs && head.precision - hs >= base.precision - bs;
    return ok ? "widened" : "changed";
  }
  if (base.base === "real" && head.base === "double") return "widened";
  return "changed";
};

/** MySQL `enum(…)` / `set(…)`, or a Postgres enum type (its base is the type's own name). */
const isEnumLike = (t: NormalizedType): boolean =>
  t.base === "enum" || t.base === "set" || t.values !== undefined;

const compareStrings = (base: NormalizedType, head: NormalizedType): TypeComparison => {
  // Two names no built-in type has (Postgres enum types compared without their values, SQLite
  // declared names): another name is another type.
  if (base.base !== head.base && !STRING_BASES.has(base.base) && !STRING_BASES.has(head.base))
    return "changed";
  const bEnum = isEnumLike(base);
  const hEnum = isEnumLike(head);
  if (bEnum || hEnum) {
    if (base.base === head.base && isSuperset(head.values ?? [], base.values ?? [])) return "widened";
    if (bEnum && !hEnum && base.base !== "set" && head.base !== "citext") {
      const longest = Math.max(0, ...(base.values ?? []).map((v) => v.length));
      return capacity(head, base) >= longest ? "widened" : "changed";
    }
    return "changed";
  }
  // citext compares case-insensitively: a different contract for readers either way.
  if (base.base === "citext" || head.base === "citext") return "changed";
  // char pads with spaces; a padded value read as varchar differs.
  if (head.base === "char" && base.base !== "char") return "changed";
  return capacity(head, base) >= capacity(base, head) ? "widened" : "changed";
};

const compareBinary = (base: NormalizedType, head: NormalizedType): TypeComparison => {
  if (head.base === "binary" && base.base !== "binary") return "changed";
  return capacity(head, base) >= capacity(base, head) ? "widened" : "changed";
};

/**
 * Compares a column's type at the base with its type at the head. Spelling variants are `same`;
 * a type of the same family that holds everything the old one held is `widened`; anything else
 * (narrowing, a change of family, of array-ness, timestamp <-> timestamptz) is `changed`.
 */
export const compareTypes = (base: NormalizedType, head: NormalizedType): TypeComparison => {
  if (isSame(base, head)) return "same";
  if (base.family !== head.family || Boolean(base.array) !== Boolean(head.array)) return "changed";
  // A family-only spelling on one side (dbt without a dialect) carries no width to compare.
  if (base.familyOnly || head.familyOnly) return "same";
  switch (base.family) {
    case "integer": {
      const b = intBits(base);
      const h = intBits(head);
      return b !== undefined && h !== undefined && h > b ? "widened" : "changed";
    }
    case "number":
      return compareNumbers(base, head);
    case "string":
      return compareStrings(base, head);
    case "binary":
      return compareBinary(base, head);
    case "json":
      // jsonb accepts every valid json document; the reverse loses jsonb operators.
      return base.base === "json" && head.base === "jsonb" ? "widened" : "changed";
    case "timestamp":
    case "other": {
      if (base.base !== head.base) return "changed";
      if (base.values && head.values) return isSuperset(head.values, base.values) ? "widened" : "changed";
      if (base.length !== undefined || head.length !== undefined) {
        return (head.length ?? Number.POSITIVE_INFINITY) >= (base.length ?? Number.POSITIVE_INFINITY)
          ? "widened"
          : "changed";
      }
      // Fractional-second precision: timestamp(3) -> timestamp(6) keeps every value.
      const bp = base.precision ?? 6;
      const hp = head.precision ?? 6;
      return hp > bp ? "widened" : hp === bp ? "same" : "changed";
    }
    default:
      return "changed";
  }
};

/**
 * Contract conformance: does a column of type `actual` satisfy the contract's `expected` type?
 * A family-only type (`string`) accepts any type of its family (`number` also accepts integers,
 * as JSON Schema does); a concrete type needs the same base and every parameter it states.
 */
export const typeSatisfies = (expected: NormalizedType, actual: NormalizedType): boolean => {
  if (Boolean(expected.array) !== Boolean(actual.array)) return false;
  if (expected.familyOnly) {
    if (expected.family === actual.family) return true;
    // Every engine reads and writes enum labels as strings, so a `string` column may be an enum.
    if (expected.family === "string" && actual.values !== undefined) return true;
    return expected.family === "number" && actual.family === "integer";
  }
  // A contract naming a Postgres enum type (`mood`) cannot know it is an enum: match it by name.
  if (expected.family === "other" && actual.family === "string" && actual.values !== undefined)
    return expected.base === actual.base && expected.values === undefined;
  if (expected.family !== actual.family) return false;
  if (actual.familyOnly) return true;
  if (expected.family === "integer")
    return expected.base === actual.base && intBits(expected) === intBits(actual);
  if (expected.base !== actual.base) return false;
  if (expected.length !== undefined && expected.length !== actual.length) return false;
  if (expected.precision !== undefined && expected.precision !== actual.precision) return false;
  if (expected.scale !== undefined && expected.scale !== (actual.scale ?? 0)) return false;
  if (expected.values !== undefined && !sameValues(expected.values, actual.values)) return false;
  return true;
};

const quoteValue = (v: string): string => `'${v.replaceAll("'", "''")}'`;

/** Canonical display: `varchar(255)`, `numeric(12,2)`, `integer[]`, `enum('a','b')`. */
export const formatType = (t: NormalizedType): string => {
  const suffix = t.array ? "[]" : "";
  if (t.familyOnly) return t.family + suffix;
  let params = "";
  if (t.values) params = `(${t.values.map(quoteValue).join(",")})`;
  else if (t.family === "integer")
    params = t.base === "number" ? `(${t.precision ?? 38},${t.scale ?? 0})` : "";
  else if (t.family === "number") {
    if ((t.base === "numeric" || t.base === "bignumeric") && t.precision !== undefined) {
      params = `(${t.precision},${t.scale ?? 0})`;
    }
  } else if (t.length !== undefined) params = `(${t.length})`;
  else if ((t.family === "timestamp" || t.family === "other") && t.precision !== undefined) {
    params = `(${t.precision})`;
  }
  return t.base + params + suffix;
};

const STRING_BASES = new Set(
  Object.values(NAMES)
    .filter((s) => s.family === "string")
    .map((s) => s.base),
);

const KNOWN_OTHER_BASES = new Set([
  "any",
  "array",
  "map",
  ...Object.values(NAMES)
    .filter((s) => s.family === "other")
    .map((s) => s.base),
]);

/**
 * False when `raw` is not a type Covenant recognises (a typo such as `strng`), so a contract can
 * reject it instead of silently comparing against an unknown type.
 */
export const isKnownType = (raw: string, dialect?: Dialect): boolean => {
  if (raw.trim() === "") return false;
  const t = normalizeType(raw, dialect);
  if (t.family !== "other") return true;
  return KNOWN_OTHER_BASES.has(t.base.replace(/\(.*$/s, ""));
};
