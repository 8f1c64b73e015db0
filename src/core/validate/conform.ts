import { isUnknownType } from "../diff/diff-schemas.ts";
import { scoreStatus, violationScore } from "../enforce/judge.ts";
import { type Contract, contractOwners } from "../model/contract.ts";
import type { Dialect } from "../model/contract-levels.ts";
import { formatType, normalizeType, typeSatisfies } from "../model/normalize-type.ts";
import type { Column, TableSchema } from "../model/schema.ts";
import { type NormalizedType, TYPE_FAMILIES, type TypeFamily } from "../model/type-family.ts";
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
 * SQLite stores every integer in up to 8 bytes whatever the declared name (INTEGER, INT, BIGINT):
 * a live SQLite column holds what a `bigint` contract promises, so only its family is compared.
 */
const widthless = (type: NormalizedType, dialect: Dialect): boolean =>
  dialect === "sqlite" && type.family === "integer";

/**
 * The observed table as the engine's schema model. `dialect` folds native type names
 * (DuckDB's types are Postgres' for this purpose).
 */
export const toTableSchema = (table: ObservedTable, dialect: Dialect): TableSchema => ({
  name: table.name,
  kind: "table",
  columnsKnown: true,
  columns: table.columns.map((c): Column => {
    const type = normalizeType(c.type, dialect);
    return {
      name: c.name,
      type: c.values
        ? { ...type, family: "string", values: c.values }
        : table.inferredTypes || widthless(type, dialect)
          ? { ...type, familyOnly: true }
          : type,
      nullable: c.nullable,
    };
  }),
  ...(table.primaryKey ? { primaryKey: { columns: table.primaryKey } } : {}),
  keysKnown: table.primaryKey !== undefined,
  ...(dialect === "sqlite" ? { storageClasses: true } : {}),
  uniques: [],
  foreignKeys: [],
});

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
  const table = observed.storageClasses ? asDeclared(contract, observed) : observed;
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

/** The families SQLite keeps in each storage class (dates as text or numbers, booleans as 0/1). */
const STORAGE_CLASS_HOLDS: Record<string, readonly TypeFamily[]> = {
  TEXT: ["string", "date", "timestamp", "uuid", "json"],
  INTEGER: ["integer", "boolean", "date", "timestamp"],
  REAL: ["number", "date", "timestamp"],
  NUMERIC: ["number", "integer", "boolean", "date", "timestamp"],
  BLOB: ["binary", "uuid"],
  "": [...TYPE_FAMILIES],
};

/**
 * A SQLite column declared with a bare storage class holds what the contract declares when the
 * class can store that family: its type is then the contract's family (the row-level type check
 * judges the values themselves).
 */
const asDeclared = (contract: Contract, table: TableSchema): TableSchema => {
  const declared = new Map(contract.schema.columns.map((c) => [c.name.toLowerCase(), normalizeType(c.type)]));
  return {
    ...table,
    columns: table.columns.map((column) => {
      const expected = declared.get(column.name.toLowerCase());
      const holds = STORAGE_CLASS_HOLDS[column.type.raw.trim().toUpperCase()];
      if (!expected || !holds?.includes(expected.family) || expected.family === column.type.family)
        return column;
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
