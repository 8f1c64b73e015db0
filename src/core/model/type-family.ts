/**
 * Portable type families shared by contracts, SQL replay and dbt. A concrete SQL type is
 * normalized to a family plus parameters, so that widening (varchar(3) -> varchar(4),
 * int -> bigint) can be told apart from narrowing or a change of family, and alias spellings
 * (int4 / integer, CHARACTER VARYING / varchar) are not changes at all.
 */
export const TYPE_FAMILIES = [
  "string",
  "integer",
  "number",
  "boolean",
  "date",
  "timestamp",
  "json",
  "binary",
  "uuid",
  "other",
] as const;

export type TypeFamily = (typeof TYPE_FAMILIES)[number];

export type NormalizedType = {
  family: TypeFamily;
  /** Canonical base name, lower case, aliases folded: `integer`, `bigint`, `varchar`, `numeric`, `timestamptz`… */
  base: string;
  /** Character / binary length, when the type has one (varchar(255) -> 255). */
  length?: number;
  /** Numeric precision (numeric(12,2) -> 12); for integers the width in bits (16, 32, 64). */
  precision?: number;
  scale?: number;
  /** Array of the element type (Postgres `text[]`). */
  array?: boolean;
  /** Enum values, when the type is an enum known to the replay. */
  values?: string[];
  /**
   * True when the source named only a portable family (`string`, `integer`…) with no dialect:
   * a contract saying `integer` accepts any integer width, while `int4` asks for exactly 32 bits.
   */
  familyOnly?: boolean;
  /** The spelling the source used, for messages. */
  raw: string;
};
