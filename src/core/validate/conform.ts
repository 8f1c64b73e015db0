import { isUnknownType } from "../diff/diff-schemas.ts";
import { scoreStatus, violationScore } from "../enforce/judge.ts";
import { type Contract, contractOwners } from "../model/contract.ts";
import type { Dialect } from "../model/contract-levels.ts";
import { formatType, normalizeType, typeSatisfies } from "../model/normalize-type.ts";
import type { Column, TableSchema } from "../model/schema.ts";
import type { NormalizedType, TypeFamily } from "../model/type-family.ts";
import type { Violation } from "../model/violation.ts";
import type { ContractBinding } from "../rules/rule.ts";
import { runRules } from "../rules/run-rules.ts";

/** A column as a live source describes it: its native type and whether it admits NULL. */
export type ObservedColumn = {
  name: string;
  type: string;
  nullable: boolean;
  /** The labels of an enum type (a Postgres `CREATE TYPE … AS ENUM`), whose name says nothing of its family. */
  values?: string[];
};

/** A table as a live source describes it. */
export type ObservedTable = {
  /** Qualified as the source spells it (`public.orders`, `main.orders`, `orders.parquet`). */
  name: string;
  columns: ObservedColumn[];
  /** Empty when the table has none; undefined when the source cannot have keys (files). */
  primaryKey?: string[];
  /**
   * True when the types are inferred from the data (CSV, JSON lines, sample rows) rather than
   * declared: only their family can then be compared (an inferred BIGINT may be a declared int).
   */
  inferredTypes?: boolean;
};

/**
 * A live column's type in the engine's model. SQLite enforces no declared length, precision or
 * width (an INTEGER holds 8 bytes whatever its name), and file types are inferred from the
 * values: both are compared by family only.
 */
const observedType = (c: ObservedColumn, table: ObservedTable, dialect: Dialect): NormalizedType => {
  const type = normalizeType(c.type, dialect);
  if (c.values) return { ...type, family: "string", values: c.values };
  return table.inferredTypes || dialect === "sqlite" ? { ...type, familyOnly: true } : type;
};

/**
 * The observed table as the engine's schema model. `dialect` folds native type names
 * (DuckDB's types are Postgres' for this purpose).
 */
export const toTableSchema = (table: ObservedTable, dialect: Dialect): TableSchema => ({
  name: table.name,
  kind: "table",
  columnsKnown: true,
  columns: table.columns.map(
    (c): Column => ({ name: c.name, type: observedType(c, table, dialect), nullable: c.nullable }),
  ),
  ...(table.primaryKey ? { primaryKey: { columns: table.primaryKey } } : {}),
  keysKnown: table.primaryKey !== undefined,
  ...(dialect === "sqlite" ? { storageClasses: true } : {}),
  uniques: [],
  foreignKeys: [],
});

/**
 * How a live column keeps the type its contract declares: the one judgement behind both the
 * schema results (`contract-type-mismatch`) and the column type rule (`column:<name>:type`), so
 * they never disagree, whatever the source.
 * - `kept`: the column's type enforces the contract's (a PostgreSQL or file column of that type);
 * - `values`: the column can hold the contract's values without enforcing them, so only the
 *   values tell, and the type rule judges them: a SQLite column (SQLite enforces no declared type,
 *   length or width), a file column of the right family for a type with a length (`char(3)`);
 * - `broken`: it cannot hold them, a schema mismatch (a PostgreSQL `text` for a `char(3)` or an
 *   `integer`, a SQLite TEXT column for numbers, which SQLite turns into text).
 */
export type TypeKeeping = "kept" | "values" | "broken";

export const typeKeeping = (
  expected: NormalizedType,
  actual: NormalizedType,
  storageClasses: boolean,
): TypeKeeping => {
  if (storageClasses && !expected.array && !actual.array) {
    const turnedToText = sqliteAffinity(actual.raw) === "TEXT" && NUMERIC_FAMILIES.has(expected.family);
    return turnedToText ? "broken" : "values";
  }
  if (!typeSatisfies(expected, actual)) return "broken";
  const lengthUnenforced =
    actual.familyOnly === true && expected.family === "string" && expected.length !== undefined;
  return lengthUnenforced && !expected.array ? "values" : "kept";
};

/** The same judgement for a column as a source describes it (the planner's view). */
export const observedTypeKeeping = (
  declared: string,
  column: ObservedColumn,
  table: ObservedTable,
  dialect: Dialect,
): TypeKeeping =>
  typeKeeping(normalizeType(declared), observedType(column, table, dialect), dialect === "sqlite");

const NUMERIC_FAMILIES: ReadonlySet<TypeFamily> = new Set(["integer", "number", "boolean"]);

/** SQLite's type affinity of a declared type name, by its documented rules. */
const sqliteAffinity = (raw: string): "INTEGER" | "TEXT" | "BLOB" | "REAL" | "NUMERIC" => {
  const name = raw.toUpperCase();
  if (name.includes("INT")) return "INTEGER";
  if (name.includes("CHAR") || name.includes("CLOB") || name.includes("TEXT")) return "TEXT";
  if (name.includes("BLOB") || name.trim() === "") return "BLOB";
  if (name.includes("REAL") || name.includes("FLOA") || name.includes("DOUB")) return "REAL";
  return "NUMERIC";
};

export type SchemaDiff = {
  /** Declared by the contract, absent from the observed table. */
  removed: { name: string; type: string; required: boolean }[];
  /** Present in the observed table, not declared by the contract. */
  added: { name: string; type: string; nullable: boolean }[];
  /** Present in both, with a type that does not satisfy the declared one. */
  type_changed: { name: string; expected: string; actual: string }[];
  /** Declared required, but the observed column admits NULL. */
  nullability_changed: { name: string; expected: "required"; actual: "nullable" }[];
};

export type Conformance = {
  /** The engine's contract-vs-schema violations (contract-column-missing, -type-mismatch, …). */
  violations: Violation[];
  diff: SchemaDiff;
  /** DriftGuard score 0–100, the engine's weights. */
  score: number;
  status: "pass" | "warning" | "breaking";
};

/**
 * Judges an observed table against a contract with the same rules, messages and score the pull
 * request analysis uses, whatever the contract's lifecycle status (a draft can be checked too).
 */
export const conformTable = (contract: Contract, observed: TableSchema): Conformance => {
  const table = asDeclared(contract, observed);
  const binding: ContractBinding = {
    contract,
    origin: "head",
    enforcement: contract.enforcement,
    owners: contractOwners(contract),
    headDataset: table,
    changes: [],
  };
  const violations = runRules({ bindings: [binding], invalidContracts: [] });
  const score = Math.min(
    100,
    violations.reduce((sum, v) => sum + violationScore(v), 0),
  );
  return { violations, diff: diffTable(contract, table), score, status: scoreStatus(score) };
};

/**
 * A column whose values alone can tell whether it keeps the contract's type takes that type here
 * (the column type rule judges the values), so the schema results report only what no value can
 * fix.
 */
const asDeclared = (contract: Contract, table: TableSchema): TableSchema => {
  const declared = new Map(contract.schema.columns.map((c) => [c.name.toLowerCase(), normalizeType(c.type)]));
  return {
    ...table,
    columns: table.columns.map((column) => {
      const expected = declared.get(column.name.toLowerCase());
      if (!expected || isUnknownType(column.type)) return column;
      if (typeKeeping(expected, column.type, table.storageClasses === true) !== "values") return column;
      return { ...column, type: { ...expected, familyOnly: true, raw: column.type.raw } };
    }),
  };
};

const diffTable = (contract: Contract, table: TableSchema): SchemaDiff => {
  const observed = new Map(table.columns.map((c) => [c.name.toLowerCase(), c]));
  const declared = new Set(contract.schema.columns.map((c) => c.name.toLowerCase()));
  const diff: SchemaDiff = { removed: [], added: [], type_changed: [], nullability_changed: [] };
  for (const column of contract.schema.columns) {
    const actual = observed.get(column.name.toLowerCase());
    if (!actual) {
      diff.removed.push({ name: column.name, type: column.type, required: column.required });
      continue;
    }
    if (!isUnknownType(actual.type) && !typeSatisfies(normalizeType(column.type), actual.type))
      diff.type_changed.push({ name: column.name, expected: column.type, actual: formatType(actual.type) });
    if (column.required && actual.nullable)
      diff.nullability_changed.push({ name: column.name, expected: "required", actual: "nullable" });
  }
  for (const column of table.columns) {
    if (!declared.has(column.name.toLowerCase()))
      diff.added.push({ name: column.name, type: formatType(column.type), nullable: column.nullable });
  }
  return diff;
};
