import { CovenantError } from "../errors.ts";
import type { Dialect } from "../model/contract-levels.ts";
import { formatType, isKnownType, normalizeType } from "../model/normalize-type.ts";
import type { TypeFamily } from "../model/type-family.ts";
import {
  contractTypeOf,
  type DraftNote,
  defaultContractName,
  type QualityInput,
  renderContractDraft,
  type SkeletonColumn,
} from "../report/render-contract-skeleton.ts";
import { looksLikePii } from "../rules/pii.ts";
import type { ObservedColumn, ObservedTable } from "./conform.ts";
import { valueFitsFamily } from "./evaluate-rows.ts";
import { compileRegex } from "./regex-safety.ts";

// Profiling (counts, nulls, distinct values, lengths, ranges) and the contract suggestions drawn
// from it, as DriftGuard's and Soda's contract inference do. Live sources compute the same
// profile in SQL (src/sources/profile-source.ts); the suggestions are made here, once.

/**
 * What an email address looks like, for profiling and for the suggested regex rule: no `@` or
 * white space, a dot after the domain's first label. Matched by RE2 like the rule it suggests.
 */
export const EMAIL_PATTERN = String.raw`^[^@\s]+@[^@\s.]+\.[^@\s]+$`;
const EMAIL = compileRegex(EMAIL_PATTERN);

/** Distinct values are counted exactly up to this many; beyond, `distinctCapped` is set. */
export const DISTINCT_CAP = 100_000;
/** accepted_values are suggested for text with at most this many distinct values… */
export const LOW_CARDINALITY_MAX_DISTINCT = 10;
/** …each seen on average in at least this many rows (3 rows, 3 values is no evidence of a set)… */
export const LOW_CARDINALITY_MIN_ROWS_PER_VALUE = 3;
/** …and no longer than this (longer text is free text that happens to repeat). */
export const ACCEPTED_VALUE_MAX_LENGTH = 64;
/** `unique: true` is suggested for id-like columns only when at least this many rows were seen. */
export const UNIQUE_MIN_ROWS = 10;

export type ColumnProfile = {
  name: string;
  /** The source's native type, or the type inferred from the values. */
  type: string;
  family: TypeFamily;
  rows: number;
  /** Rows where the value is NULL (or, in JSON rows, the key is missing). */
  nulls: number;
  /** Distinct non-null values, exact up to DISTINCT_CAP; absent when values cannot be compared (json, arrays, geometric types). */
  distinct?: number;
  /** True when counting stopped at DISTINCT_CAP: `distinct` is a lower bound. */
  distinctCapped?: boolean;
  /** The values and their counts, most frequent first, for low-cardinality text only. */
  topValues?: { value: string; count: number }[];
  /** Non-null values that look like an email address. */
  emailLike: number;
  /** Text only: shortest and longest value, in characters. */
  minLength?: number;
  maxLength?: number;
  /** Numbers (as numbers) and dates/timestamps (as ISO text). */
  min?: number | string;
  max?: number | string;
  /** Something the profile could not decide (e.g. the type of an always-null column). */
  note?: string;
};

export type TableProfile = { table: ObservedTable; profiles: ColumnProfile[] };

const isNull = (value: unknown): boolean => value === null || value === undefined;

/** Text values, with at most this many distinct values, evenly enough represented to be a set. */
export const isLowCardinality = (profile: ColumnProfile): boolean => {
  const filled = profile.rows - profile.nulls;
  return (
    profile.family === "string" &&
    !profile.distinctCapped &&
    profile.distinct !== undefined &&
    profile.distinct >= 1 &&
    profile.distinct <= LOW_CARDINALITY_MAX_DISTINCT &&
    filled >= LOW_CARDINALITY_MIN_ROWS_PER_VALUE * profile.distinct &&
    (profile.maxLength ?? 0) <= ACCEPTED_VALUE_MAX_LENGTH
  );
};

export const looksLikeEmail = (value: string): boolean => EMAIL(value);

// ---------------------------------------------------------------------------------------------
// Profiling JSON rows

/** Types inferred from JSON values; each is also a contract type. */
type InferredType =
  | "integer"
  | "bigint"
  | "number"
  | "boolean"
  | "date"
  | "timestamp"
  | "uuid"
  | "json"
  | "string";

const INT32_MAX = 2 ** 31 - 1;

const typeOfValue = (value: unknown): InferredType | undefined => {
  if (isNull(value)) return undefined;
  if (typeof value === "boolean") return "boolean";
  if (typeof value === "bigint") return "bigint";
  if (typeof value === "number") {
    if (!Number.isInteger(value)) return "number";
    return Math.abs(value) > INT32_MAX ? "bigint" : "integer";
  }
  if (typeof value === "string") {
    if (valueFitsFamily(value, "date")) return "date";
    // Date.parse rolls 2024-02-30 over to March: the date part must be a real date too.
    if (valueFitsFamily(value, "timestamp") && valueFitsFamily(value.slice(0, 10), "date"))
      return "timestamp";
    if (valueFitsFamily(value, "uuid")) return "uuid";
    return "string";
  }
  return "json";
};

const NUMERIC = new Set<InferredType>(["integer", "bigint", "number"]);

/** The narrowest type holding both; unrelated types fall back to string. */
const mergeTypes = (a: InferredType | undefined, b: InferredType): InferredType => {
  if (a === undefined || a === b) return b;
  if (NUMERIC.has(a) && NUMERIC.has(b)) {
    if (a === "number" || b === "number") return "number";
    return "bigint";
  }
  if ((a === "date" && b === "timestamp") || (a === "timestamp" && b === "date")) return "timestamp";
  return "string";
};

const FAMILY_OF: Record<InferredType, TypeFamily> = {
  integer: "integer",
  bigint: "integer",
  number: "number",
  boolean: "boolean",
  date: "date",
  timestamp: "timestamp",
  uuid: "uuid",
  json: "json",
  string: "string",
};

const JSON_KIND: Record<InferredType, string> = {
  integer: "number",
  bigint: "number",
  number: "number",
  boolean: "boolean",
  date: "string",
  timestamp: "string",
  uuid: "string",
  string: "string",
  json: "object",
};

const valueKey = (value: unknown): string =>
  typeof value === "object" ? `o:${JSON.stringify(value)}` : `${typeof value}:${String(value)}`;

type Accumulator = {
  name: string;
  nulls: number;
  type: InferredType | undefined;
  /** Every type seen, to say why a column fell back to string. */
  seen: Set<InferredType>;
  counts: Map<string, { value: unknown; count: number }>;
  capped: boolean;
  emailLike: number;
  minLength?: number;
  maxLength?: number;
  minNumber?: number;
  maxNumber?: number;
  minTime?: { at: number; text: string };
  maxTime?: { at: number; text: string };
};

const observe = (acc: Accumulator, value: unknown): void => {
  const type = typeOfValue(value);
  if (type === undefined) {
    acc.nulls++;
    return;
  }
  acc.seen.add(type);
  acc.type = mergeTypes(acc.type, type);
  const key = valueKey(value);
  const entry = acc.counts.get(key);
  if (entry) entry.count++;
  else if (acc.counts.size < DISTINCT_CAP) acc.counts.set(key, { value, count: 1 });
  else acc.capped = true;
  if (typeof value === "string") {
    const length = [...value].length;
    acc.minLength = Math.min(acc.minLength ?? length, length);
    acc.maxLength = Math.max(acc.maxLength ?? length, length);
    if (looksLikeEmail(value)) acc.emailLike++;
    if (type === "date" || type === "timestamp") {
      const at = Date.parse(type === "date" ? `${value}T00:00:00Z` : value.replace(" ", "T"));
      if (acc.minTime === undefined || at < acc.minTime.at) acc.minTime = { at, text: value };
      if (acc.maxTime === undefined || at > acc.maxTime.at) acc.maxTime = { at, text: value };
    }
  } else if (typeof value === "number" && Number.isFinite(value)) {
    acc.minNumber = Math.min(acc.minNumber ?? value, value);
    acc.maxNumber = Math.max(acc.maxNumber ?? value, value);
  }
};

const toProfile = (acc: Accumulator, rows: number): ColumnProfile => {
  const type = acc.type ?? "string";
  const family = FAMILY_OF[type];
  const profile: ColumnProfile = {
    name: acc.name,
    type,
    family,
    rows,
    nulls: acc.nulls,
    distinct: acc.counts.size,
    ...(acc.capped ? { distinctCapped: true } : {}),
    emailLike: acc.emailLike,
  };
  if (acc.type === undefined) {
    profile.note =
      rows === 0
        ? "no rows: type unknown, string assumed"
        : `always null in ${count(rows)}: type unknown, string assumed`;
  } else {
    const kinds = new Set([...acc.seen].map((t) => JSON_KIND[t]));
    if (kinds.size > 1)
      profile.note = `values of several JSON types (${[...kinds].sort().join(", ")}): string assumed`;
  }
  if (family === "string" && acc.minLength !== undefined) {
    profile.minLength = acc.minLength;
    profile.maxLength = acc.maxLength;
  }
  if ((family === "integer" || family === "number") && acc.minNumber !== undefined) {
    profile.min = acc.minNumber;
    profile.max = acc.maxNumber;
  }
  if ((family === "date" || family === "timestamp") && acc.minTime && acc.maxTime) {
    profile.min = acc.minTime.text;
    profile.max = acc.maxTime.text;
  }
  if (isLowCardinality(profile)) {
    profile.topValues = [...acc.counts.values()]
      .map(({ value, count }) => ({ value: String(value), count }))
      .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  }
  return profile;
};

/**
 * Profiles sample records (JSON objects): the observed table (columns in order of first
 * appearance, types inferred from the values, a column nullable when a row has null or lacks the
 * key) and each column's profile.
 */
export const profileRows = (
  rows: readonly Record<string, unknown>[],
  options: { name?: string } = {},
): TableProfile => {
  const columns = new Map<string, Accumulator>();
  rows.forEach((row, index) => {
    if (typeof row !== "object" || row === null || Array.isArray(row)) {
      throw new CovenantError(
        "invalid_input",
        `rows[${index}] is not a JSON object: send one object per record`,
        [{ path: `rows[${index}]`, message: "must be an object" }],
      );
    }
    for (const name of Object.keys(row)) {
      if (!columns.has(name)) {
        // Rows before this one lack the key: they count as nulls.
        columns.set(name, {
          name,
          nulls: index,
          type: undefined,
          seen: new Set(),
          counts: new Map(),
          capped: false,
          emailLike: 0,
        });
      }
    }
    for (const acc of columns.values()) observe(acc, row[acc.name]);
  });
  const profiles = [...columns.values()].map((acc) => toProfile(acc, rows.length));
  return {
    table: {
      name: options.name ?? "sample",
      columns: profiles.map(
        (p): ObservedColumn => ({ name: p.name, type: p.type, nullable: p.nulls > 0 || p.rows === 0 }),
      ),
      inferredTypes: true,
    },
    profiles,
  };
};

/** A JSON sample (one object or a list of them) as rows; anything else is invalid input. */
export const sampleRows = (sample: unknown): Record<string, unknown>[] => {
  const rows = Array.isArray(sample) ? sample : [sample];
  const bad = rows.findIndex((row) => typeof row !== "object" || row === null || Array.isArray(row));
  if (bad >= 0 || rows.length === 0) {
    throw new CovenantError(
      "invalid_input",
      rows.length === 0
        ? "the sample is an empty list: give at least one JSON object"
        : `the sample must be a JSON object or a list of objects; item ${bad} is ${describe(rows[bad])}`,
    );
  }
  return rows as Record<string, unknown>[];
};

const describe = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "a list" : `a ${typeof value}`;

// ---------------------------------------------------------------------------------------------
// Suggestions

const count = (n: number, unit = "row"): string =>
  `${n.toLocaleString("en-US")} ${unit}${n === 1 ? "" : "s"}`;

const ID_LIKE = /^(id|uuid|guid)$|(_id|_uuid|_guid|_key)$|[a-z0-9](Id|ID|Uuid|UUID)$/;

const isIdLike = (name: string, family: TypeFamily): boolean =>
  family === "uuid" || ((family === "integer" || family === "string") && ID_LIKE.test(name));

/** A rule id from a column name: the contract's identifier syntax, unique within the contract. */
const ruleId = (column: string, suffix: string, taken: Set<string>): string => {
  const base = `${column.replace(/[^A-Za-z0-9_.-]/g, "_").replace(/^[^A-Za-z0-9]+/, "") || "column"}_${suffix}`;
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}_${n}`;
  taken.add(id);
  return id;
};

export type SuggestOptions = {
  name?: string;
  owner?: string;
  /** The dataset the contract covers (default: the table's name). */
  dataset?: string;
  /** Where the data was read (a redacted location), for the header comment. */
  source?: string;
  /** Dialect of the table's native types (DuckDB: postgres); ignored for inferred types. */
  dialect?: Dialect;
  /** The rows were a sample of at most this many. */
  sampleLimit?: number;
};

const contractType = (
  column: ObservedColumn,
  table: ObservedTable,
  dialect: Dialect | undefined,
): { type: string; note?: string } => {
  // An enum's labels are its accepted values; its type name says nothing portable.
  if (column.values) return { type: "string" };
  const normalized = normalizeType(column.type, dialect);
  // Inferred types are only good for their family (an inferred BIGINT may well be an int).
  if (table.inferredTypes && normalized.family !== "other")
    return { type: normalized.array ? `${normalized.family}[]` : normalized.family };
  // A type without a portable family (a DuckDB STRUCT, an interval) is stated as the source
  // spells it, so the draft still conforms to its own source.
  const type = table.inferredTypes ? formatType(normalized) : contractTypeOf(normalized);
  if (isKnownType(type)) return { type };
  return {
    type: "any",
    note: `type ${column.type} is not one contracts know: any assumed, state what readers expect`,
  };
};

/**
 * A draft contract (YAML) for a profiled table: draft, version 0.1.0, RECORD, with suggestions
 * drawn from the profile, each with a comment saying why. Nothing is published: a human reads it.
 *
 * - required: declared NOT NULL; or, for inferred types (files, samples), never null. A column
 *   that admits NULL in a database but held none gets a `not_null` check instead, so the draft
 *   does not contradict the schema it was drawn from.
 * - accepted_values: low-cardinality text (see isLowCardinality).
 * - a regex rule (EMAIL_PATTERN) and `pii: true` for text whose every value looks like an email.
 * - unique: an id-like column whose values are all distinct and non-null, over UNIQUE_MIN_ROWS+ rows.
 * - primary_key: the source's, when it declares one.
 */
export const suggestContract = (
  table: ObservedTable,
  profiles: readonly ColumnProfile[],
  options: SuggestOptions = {},
): string => {
  if (table.columns.length === 0)
    throw new CovenantError(
      "invalid_input",
      `${options.source ?? table.name} has no columns: there is nothing to infer a contract from`,
    );
  const byName = new Map(profiles.map((p) => [p.name.toLowerCase(), p]));
  const rows = profiles.reduce((most, p) => Math.max(most, p.rows), 0);
  const primaryKey = table.primaryKey && table.primaryKey.length > 0 ? table.primaryKey : undefined;
  const notes: DraftNote[] = [];
  const quality: QualityInput[] = [];
  const ids = new Set<string>();

  const columns = table.columns.map((column, index): SkeletonColumn => {
    const at = (key: string): (string | number)[] => ["schema", "columns", index, key];
    const profile = byName.get(column.name.toLowerCase());
    const { type, note } = contractType(column, table, options.dialect);
    const out: SkeletonColumn = { name: column.name, type, required: false };
    const typeNote = note ?? profile?.note;
    if (typeNote) notes.push({ path: at("type"), comment: typeNote });
    if (column.values) {
      out.accepted_values = column.values;
      notes.push({ path: at("accepted_values"), comment: `the labels of enum type ${column.type}` });
    }
    if (!profile) {
      out.required = !column.nullable && !table.inferredTypes;
      return out;
    }
    const filled = profile.rows - profile.nulls;
    const neverNull = profile.rows > 0 && profile.nulls === 0;

    if (!table.inferredTypes && !column.nullable) {
      out.required = true;
      notes.push({ path: at("required"), comment: "NOT NULL in the source" });
    } else if (neverNull && table.inferredTypes) {
      out.required = true;
      notes.push({ path: at("required"), comment: `never null in ${count(profile.rows)}` });
    } else if (neverNull) {
      const id = ruleId(column.name, "not_null", ids);
      notes.push({
        path: ["quality", quality.length],
        before: true,
        comment: `${column.name} was never null in ${count(profile.rows)}, but the column admits NULL: declare it NOT NULL, then make it required`,
      });
      quality.push({ id, type: "not_null", column: column.name });
    }

    const singleKey = primaryKey?.length === 1 && primaryKey[0]?.toLowerCase() === column.name.toLowerCase();
    if (
      !singleKey &&
      neverNull &&
      profile.rows >= UNIQUE_MIN_ROWS &&
      !profile.distinctCapped &&
      profile.distinct === profile.rows &&
      isIdLike(column.name, profile.family)
    ) {
      out.unique = true;
      notes.push({ path: at("unique"), comment: `all ${count(profile.rows, "value")} distinct` });
    }

    const allEmails = profile.family === "string" && filled > 0 && profile.emailLike === filled;
    if (allEmails) {
      out.pii = true;
      notes.push({ path: at("pii"), comment: "values are email addresses" });
    } else if (looksLikePii(column.name) && profile.family !== "boolean") {
      out.pii = true;
      notes.push({ path: at("pii"), comment: "the name suggests personal data" });
    }

    if (
      !column.values &&
      !allEmails &&
      isLowCardinality(profile) &&
      profile.topValues &&
      profile.topValues.length > 0
    ) {
      out.accepted_values = profile.topValues.map((v) => v.value).sort();
      notes.push({
        path: at("accepted_values"),
        comment: `${count(profile.topValues.length, "distinct value")} in ${count(filled, "non-null row")}`,
      });
    }

    if (allEmails) {
      notes.push({
        path: ["quality", quality.length],
        before: true,
        comment:
          filled === 1
            ? `the one non-null value of ${column.name} looks like an email address`
            : `all ${count(filled, "non-null value")} of ${column.name} look like email addresses`,
      });
      quality.push({
        id: ruleId(column.name, "format", ids),
        type: "regex",
        column: column.name,
        pattern: EMAIL_PATTERN,
      });
    }
    return out;
  });

  if (primaryKey) notes.push({ path: ["schema", "primary_key"], comment: "the source's primary key" });
  const dataset = options.dataset ?? table.name;
  const sampled = options.sampleLimit !== undefined && rows >= options.sampleLimit;
  return renderContractDraft({
    name: options.name ?? defaultContractName(dataset),
    owner: options.owner,
    dataset: { type: "table", name: dataset },
    primaryKey,
    columns,
    quality,
    header: [
      `Draft inferred by profiling ${count(rows)}${sampled ? ` (a sample of at most ${options.sampleLimit?.toLocaleString("en-US")})` : ""} of ${options.source ?? table.name}.`,
      rows === 0
        ? "The table is empty: only the schema could be read. Review it before publishing."
        : "Each suggestion says why in a comment: review them before publishing.",
    ],
    notes,
  });
};
