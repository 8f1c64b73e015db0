import { CovenantError, type ErrorDetail } from "../errors.ts";
import type { Contract } from "../model/contract.ts";
import type { Dialect } from "../model/contract-levels.ts";
import { isKnownType, normalizeType } from "../model/normalize-type.ts";
import type { Violation } from "../model/violation.ts";
import {
  conformTable,
  type ObservedColumn,
  type ObservedTable,
  type SchemaDiff,
  toTableSchema,
} from "./conform.ts";
import { valueFitsType } from "./evaluate-rows.ts";
import { profileRows } from "./profile.ts";

/** A table's schema as a client describes it (DriftGuard's "observed schema"). */
export type ObservedSchemaInput = {
  columns: { name: string; type: string; nullable?: boolean; required?: boolean }[];
  /** Omitted: the key is unknown and not judged. `[]`: the table has none. */
  primary_key?: string[];
  /** How to read native type names (default postgres). */
  dialect?: Dialect;
};

export type CheckInput = { rows: readonly Record<string, unknown>[] } | { schema: ObservedSchemaInput };

export type CheckViolation = Pick<
  Violation,
  "rule" | "severity" | "column" | "message" | "help" | "expected" | "actual"
>;

export type CheckResult = {
  result: "pass" | "warning" | "breaking";
  /** DriftGuard score 0–100: the engine's weights (required column removed 40, optional 20, type change 30…), capped. */
  severity: number;
  diff: SchemaDiff;
  violations: CheckViolation[];
};

const invalid = (message: string, details: ErrorDetail[]): never => {
  throw new CovenantError("invalid_input", message, details);
};

/** The observed schema as a table, or invalid input naming the field. */
const schemaTable = (contract: Contract, schema: ObservedSchemaInput): ObservedTable => {
  const seen = new Map<string, number>();
  const columns = schema.columns.map((column, i): ObservedColumn => {
    const path = `schema.columns[${i}]`;
    if (column.name.trim() === "")
      invalid(`${path}.name is empty: give the column's name`, [
        { path: `${path}.name`, message: "must not be empty" },
      ]);
    const first = seen.get(column.name.toLowerCase());
    if (first !== undefined)
      invalid(`${path}.name duplicates column "${column.name}" of schema.columns[${first}]`, [
        { path: `${path}.name`, message: `duplicates schema.columns[${first}]` },
      ]);
    seen.set(column.name.toLowerCase(), i);
    if (!isKnownType(column.type, schema.dialect))
      invalid(
        `${path}.type "${column.type}" (column ${column.name}) is not a known type: use a family (string, integer, number, boolean, date, timestamp, json, binary, uuid) or a SQL type such as varchar(255)`,
        [{ path: `${path}.type`, message: "is not a known type" }],
      );
    if (column.nullable !== undefined && column.required !== undefined && column.nullable === column.required)
      invalid(
        `${path} says nullable: ${column.nullable} and required: ${column.required}: give one of them`,
        [{ path: `${path}.required`, message: "contradicts nullable" }],
      );
    // As in SQL, a column admits NULL unless it says otherwise.
    const nullable = column.nullable ?? (column.required === undefined ? true : !column.required);
    return { name: column.name, type: column.type, nullable };
  });
  schema.primary_key?.forEach((key, i) => {
    if (!seen.has(key.toLowerCase()))
      invalid(`schema.primary_key[${i}] names "${key}", which is not one of schema.columns`, [
        { path: `schema.primary_key[${i}]`, message: "is not a column" },
      ]);
  });
  return {
    name: contract.dataset.name,
    columns,
    ...(schema.primary_key ? { primaryKey: schema.primary_key } : {}),
  };
};

/**
 * The table sample rows describe: columns and nullability as profiled; a column whose every
 * value fits the contract's type takes that type (a UUID or a date is also a valid `string`, an
 * integer a valid `number`), otherwise the type inferred from the values is what is compared.
 */
const rowsTable = (contract: Contract, rows: readonly Record<string, unknown>[]): ObservedTable => {
  if (rows.length === 0)
    invalid("rows is empty: send at least one record", [{ path: "rows", message: "is empty" }]);
  const { table } = profileRows(rows, { name: contract.dataset.name });
  const declared = new Map(contract.schema.columns.map((c) => [c.name.toLowerCase(), c]));
  return {
    ...table,
    columns: table.columns.map((column) => {
      const contractColumn = declared.get(column.name.toLowerCase());
      if (!contractColumn) return column;
      const type = normalizeType(contractColumn.type);
      const fits = rows.every((row) => {
        const value = row[column.name];
        return value === null || value === undefined || valueFitsType(value, type);
      });
      return fits ? { ...column, type: contractColumn.type } : column;
    }),
  };
};

/**
 * DriftGuard's check: does this payload (sample rows, or a described schema) still honour the
 * contract? The engine's contract-* rules judge it, with their messages and the engine's score.
 */
export const checkPayload = (contract: Contract, input: CheckInput): CheckResult => {
  const table = "rows" in input ? rowsTable(contract, input.rows) : schemaTable(contract, input.schema);
  const dialect = "schema" in input ? (input.schema.dialect ?? "postgres") : "postgres";
  const conformance = conformTable(contract, toTableSchema(table, dialect));
  return {
    result: conformance.status,
    severity: conformance.score,
    diff: conformance.diff,
    violations: conformance.violations.map((v) => ({
      rule: v.rule,
      severity: v.severity,
      ...(v.column !== undefined ? { column: v.column } : {}),
      message: v.message,
      ...(v.help !== undefined ? { help: v.help } : {}),
      ...(v.expected !== undefined ? { expected: v.expected } : {}),
      ...(v.actual !== undefined ? { actual: v.actual } : {}),
    })),
  };
};
