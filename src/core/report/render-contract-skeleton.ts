import { isNode, parseDocument } from "yaml";
import { CovenantError } from "../errors.ts";
import { type ContractInput, serializeContract, validateContract } from "../model/contract.ts";
import { formatType, isKnownType } from "../model/normalize-type.ts";
import type { TableSchema } from "../model/schema.ts";
import type { NormalizedType } from "../model/type-family.ts";
import { isPiiColumn } from "../rules/pii.ts";

export type SkeletonOptions = { name?: string; owner?: string; header?: string[] };

export type SkeletonColumn = ContractInput["schema"]["columns"][number];

/**
 * A contract skeleton (Covenant YAML) from a replayed table or dbt model, as Soda's skeleton and
 * DriftGuard's infer do. It starts as a draft at RECORD: publishing it is a human decision.
 */
export const renderContractSkeleton = (dataset: TableSchema, options: SkeletonOptions = {}): string =>
  renderContractDraft({
    name: options.name ?? defaultContractName(dataset.name),
    owner: options.owner,
    ...(options.header ? { header: options.header } : {}),
    dataset: { type: dataset.kind, name: dataset.name },
    primaryKey: dataset.primaryKey?.columns,
    columns: dataset.columns.map((column) => ({
      name: column.name,
      type: contractTypeOf(column.type),
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
export const contractTypeOf = (type: NormalizedType): string => {
  if (type.base === "unknown" || type.values !== undefined) return "string";
  const concrete = formatType(type);
  return isKnownType(concrete) || type.family === "other" ? concrete : type.family;
};

export type QualityInput = NonNullable<ContractInput["quality"]>[number];

/** A YAML comment saying why a suggestion was made, attached to the node at `path`. */
export type DraftNote = {
  /** Path of the node in the contract (`["schema", "columns", 2, "required"]`). */
  path: (string | number)[];
  comment: string;
  /** Above the node (a list item) rather than at the end of its line. */
  before?: boolean;
};

export type DraftInput = {
  name: string;
  owner: string | undefined;
  dataset: { type: TableSchema["kind"]; name: string };
  primaryKey: string[] | undefined;
  columns: SkeletonColumn[];
  quality?: QualityInput[];
  /** Comment lines at the top of the document. */
  header?: string[];
  notes?: DraftNote[];
};

/**
 * The one renderer of draft contracts (replayed tables, samples, profiled sources): a draft at
 * RECORD, validated, serialized like any saved contract, with comments where suggestions were made.
 */
export const renderContractDraft = (input: DraftInput): string => {
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
    ...(input.quality && input.quality.length > 0 ? { quality: input.quality } : {}),
  };
  const result = validateContract(draft);
  if (!result.ok) {
    throw new CovenantError(
      "invalid_input",
      `the inferred contract does not validate: ${result.errors[0]?.message ?? "see details"}`,
      result.errors.map((e) => ({ path: e.path, message: e.message })),
    );
  }
  const yaml = serializeContract(result.contract);
  if (!input.header?.length && !input.notes?.length) return yaml;
  const doc = parseDocument(yaml);
  if (input.header?.length) doc.commentBefore = input.header.map((line) => ` ${line}`).join("\n");
  for (const note of input.notes ?? []) {
    const node = doc.getIn(note.path, true);
    if (!isNode(node)) throw new Error(`no node at ${note.path.join(".")} to comment`);
    if (note.before) node.commentBefore = ` ${note.comment}`;
    else node.comment = ` ${note.comment}`;
  }
  return doc.toString({ lineWidth: 0 });
};

const FILE_EXTENSION = /\.(csv|tsv|jsonl|ndjson|json|parquet)(\.(gz|zst))?$/i;

/** A contract name for a dataset: its last part (`public.orders` -> `orders`, `orders.csv` -> `orders`). */
export const defaultContractName = (dataset: string): string => {
  const base = dataset.replace(FILE_EXTENSION, "");
  const last =
    base
      .split(/[./\\]/)
      .filter((part) => part !== "")
      .pop() ?? base;
  const name = last.replace(/[^A-Za-z0-9_.-]/g, "_").replace(/^[^A-Za-z0-9]+/, "");
  return name === "" ? "dataset" : name;
};
