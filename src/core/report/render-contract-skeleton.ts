import { CovenantError } from "../errors.ts";
import { type ContractInput, serializeContract, validateContract } from "../model/contract.ts";
import { formatType, isKnownType } from "../model/normalize-type.ts";
import type { TableSchema } from "../model/schema.ts";
import type { NormalizedType } from "../model/type-family.ts";
import { isPiiColumn } from "../rules/pii.ts";

export type SkeletonOptions = { name?: string; owner?: string };

type SkeletonColumn = ContractInput["schema"]["columns"][number];

/**
 * A contract skeleton (Covenant YAML) from a replayed table or dbt model, as Soda's skeleton and
 * DriftGuard's infer do. It starts as a draft at RECORD: publishing it is a human decision.
 */
export const renderContractSkeleton = (dataset: TableSchema, options: SkeletonOptions = {}): string =>
  skeleton({
    name: options.name ?? (dataset.name.split(".").pop() ?? dataset.name).replace(/[^A-Za-z0-9_.-]/g, "_"),
    owner: options.owner,
    dataset: { type: dataset.kind, name: dataset.name },
    primaryKey: dataset.primaryKey?.columns,
    columns: dataset.columns.map((column) => ({
      name: column.name,
      type: contractType(column.type),
      required: !column.nullable,
      ...(dataset.uniques.some((u) => u.columns.length === 1 && u.columns[0] === column.name)
        ? { unique: true }
        : {}),
      ...(isPiiColumn(column) ? { pii: true } : {}),
      ...((column.acceptedValues ?? column.type.values)
        ? { accepted_values: column.acceptedValues ?? column.type.values }
        : {}),
    })),
  });

/**
 * The type a contract can state for a replayed column: the concrete SQL type when contracts know
 * it, else its family. An enum becomes `string` (its labels go to accepted_values), and a dbt
 * column without data_type `string`, which every contract accepts.
 */
const contractType = (type: NormalizedType): string => {
  if (type.base === "unknown" || type.values !== undefined) return "string";
  const concrete = formatType(type);
  return isKnownType(concrete) || type.family === "other" ? concrete : type.family;
};

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const typeOf = (value: JsonValue): string | undefined => {
  if (value === null) return undefined;
  if (typeof value === "boolean") return "boolean";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  if (typeof value === "string") {
    if (DATE.test(value)) return "date";
    if (TIMESTAMP.test(value)) return "timestamp";
    if (UUID.test(value)) return "uuid";
    return "string";
  }
  return "json";
};

const merge = (a: string | undefined, b: string | undefined): string | undefined => {
  if (a === undefined) return b;
  if (b === undefined || a === b) return a;
  if ((a === "integer" && b === "number") || (a === "number" && b === "integer")) return "number";
  if ((a === "date" && b === "timestamp") || (a === "timestamp" && b === "date")) return "timestamp";
  return "string";
};

/**
 * Columns from a sample JSON payload (one object or a list of them), as DriftGuard infers: a
 * field is required when every sample has a non-null value for it.
 */
export const inferColumnsFromSample = (sample: unknown): SkeletonColumn[] => {
  const rows = (Array.isArray(sample) ? sample : [sample]).filter(
    (row): row is Record<string, JsonValue> => typeof row === "object" && row !== null && !Array.isArray(row),
  );
  if (rows.length === 0)
    throw new CovenantError("invalid_input", "the sample must be a JSON object or a list of objects");
  const names = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  return names.map((name) => {
    const values = rows.map((row) => row[name]);
    const type = values.reduce<string | undefined>(
      (acc, v) => (v === undefined ? acc : merge(acc, typeOf(v))),
      undefined,
    );
    const required = values.every((v) => v !== undefined && v !== null);
    return { name, type: type ?? "string", required };
  });
};

export const renderSampleSkeleton = (
  sample: unknown,
  options: SkeletonOptions & { dataset: string },
): string =>
  skeleton({
    name: options.name ?? options.dataset.split(".").pop() ?? options.dataset,
    owner: options.owner,
    dataset: { type: "table", name: options.dataset },
    primaryKey: undefined,
    columns: inferColumnsFromSample(sample),
  });

const skeleton = (input: {
  name: string;
  owner: string | undefined;
  dataset: { type: TableSchema["kind"]; name: string };
  primaryKey: string[] | undefined;
  columns: SkeletonColumn[];
}): string => {
  const draft: ContractInput = {
    name: input.name,
    version: "0.1.0",
    status: "draft",
    owner: input.owner ?? "@your-org/your-team",
    enforcement: "RECORD",
    dataset: input.dataset,
    restrict_pii: false,
    schema: {
      ...(input.primaryKey && input.primaryKey.length > 0 ? { primary_key: input.primaryKey } : {}),
      columns: input.columns,
    },
  };
  const result = validateContract(draft);
  if (!result.ok) {
    throw new CovenantError(
      "invalid_input",
      "the inferred contract does not validate",
      result.errors.map((e) => ({ path: e.path, message: e.message })),
    );
  }
  return serializeContract(result.contract);
};
