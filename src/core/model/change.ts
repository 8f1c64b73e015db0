import type { Column, SourceLocation } from "./schema.ts";

/** Every kind of schema change the diff reports; the kinds share ids with the rules that judge them. */
export type ChangeKind =
  | "dataset-added"
  | "dataset-removed"
  | "dataset-renamed"
  | "column-added"
  | "column-removed"
  | "column-renamed"
  | "column-type-changed"
  | "column-type-widened"
  | "column-became-nullable"
  | "column-became-required"
  | "column-default-changed"
  | "primary-key-changed"
  | "unique-removed"
  | "unique-added"
  | "foreign-key-removed"
  | "foreign-key-added"
  | "enum-value-removed"
  | "enum-value-added"
  | "dbt-contract-changed"
  | "dbt-materialization-changed";

/** One difference between the base and the head schema of a dataset. */
export type Change = {
  kind: ChangeKind;
  dataset: string;
  column?: string;
  /** The new name, for renames. */
  to?: string;
  before?: string;
  after?: string;
  /** Column as it was at the base and is at the head, when relevant. */
  baseColumn?: Column;
  headColumn?: Column;
  /** Where the head (or, for removals, the removing statement) is. */
  location?: SourceLocation;
};
