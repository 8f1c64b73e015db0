import type { NormalizedType } from "./type-family.ts";

/** Where an object was defined or last changed: a repository-relative file and 1-based line. */
export type SourceLocation = { file: string; line: number };

export type Column = {
  name: string;
  type: NormalizedType;
  nullable: boolean;
  /** Default expression as SQL text, if any. */
  default?: string;
  /** Accepted values (enum type values or dbt accepted_values), when known. */
  acceptedValues?: string[];
  /** dbt: where the accepted_values test lists them (`values:`), the place a removed value is reported. */
  acceptedValuesLocation?: SourceLocation;
  /**
   * dbt: the column is only in the model's SELECT, not declared in YAML, so it is not part of the
   * model's declared (enforceable) contract.
   */
  undeclared?: boolean;
  /** Classification from the source (dbt meta, column comment), e.g. "pii". */
  classification?: string;
  /**
   * Postgres: the column's type is a NOT NULL domain, which keeps it NOT NULL whatever the column
   * itself says; `ownNotNull` is the column's own constraint, the one left after a change of type.
   */
  domainNotNull?: { ownNotNull: boolean };
  location?: SourceLocation;
};

export type ForeignKey = {
  name?: string;
  columns: string[];
  references: { dataset: string; columns: string[] };
  location?: SourceLocation;
};

export type UniqueConstraint = { name?: string; columns: string[]; location?: SourceLocation };

export type DatasetKind = "table" | "view" | "dbt_model";

/**
 * One table, view or dbt model. `name` is qualified and folded per dialect
 * (`public.orders` for Postgres, `main.orders` for SQLite, `db.orders` / `orders` for MySQL,
 * the model name for dbt).
 */
export type TableSchema = {
  name: string;
  kind: DatasetKind;
  columns: Column[];
  /** False when the column list is not fully known (`select *` in a dbt model): never report a column removed. */
  columnsKnown: boolean;
  primaryKey?: { name?: string; columns: string[]; location?: SourceLocation };
  /**
   * False when keys and constraints cannot be known (a CSV or Parquet file, a dbt model): the
   * absence of a primary key then says nothing.
   */
  keysKnown?: boolean;
  /**
   * A live SQLite table: a column declared with a bare storage class (TEXT, INTEGER, REAL,
   * NUMERIC, BLOB, or no type) may hold dates, times, booleans, UUIDs or JSON in it.
   */
  storageClasses?: boolean;
  uniques: UniqueConstraint[];
  foreignKeys: ForeignKey[];
  location?: SourceLocation;
  /** dbt: contract.enforced, materialization, deprecation_date, version. */
  dbt?: {
    contractEnforced: boolean;
    materialized?: string;
    version?: string;
    deprecationDate?: string;
    enabled: boolean;
    /** Where `enabled: false` / `config(enabled=false)` is written, for a disabled model. */
    disabledAt?: SourceLocation;
    /** The root of the dbt project the model belongs to. */
    project?: string;
    /** The `columns:` key of the model's YAML entry: where a column that left the YAML was. */
    columnsAt?: SourceLocation;
  };
};

export type EnumType = { name: string; values: string[]; location?: SourceLocation };

/** The replayed schema of one revision: every dataset by qualified name. */
export type SchemaState = {
  datasets: Map<string, TableSchema>;
  enums: Map<string, EnumType>;
  /** Postgres domains by qualified name: columns of a domain type take its base type and NOT NULL. */
  domains?: Map<string, { type: NormalizedType; nullable: boolean }>;
};

export const emptySchemaState = (): SchemaState => ({ datasets: new Map(), enums: new Map() });
