import { createHash } from "node:crypto";
import semver from "semver";
import { Document, isMap, isScalar, isSeq, LineCounter, type Node, visit } from "yaml";
import { z } from "zod";
import { isCovenantError } from "../errors.ts";
import { checkRegexSafety } from "../validate/regex-safety.ts";
import { checkSqlExpression, checkSqlQuery } from "../validate/sql-guard.ts";
import { findBadText } from "./bad-text.ts";
import { parseBoundedYaml } from "./bounded-yaml.ts";
import {
  CONTRACT_STATUSES,
  type ContractStatus,
  type Dialect,
  ENFORCEMENT_LEVELS,
} from "./contract-levels.ts";
import { isKnownType } from "./normalize-type.ts";
import { importOdcs, isOdcsDocument } from "./odcs.ts";

// ---------------------------------------------------------------------------------------------
// Schema

const OWNER_PATTERN = /^@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\/[A-Za-z0-9][A-Za-z0-9_.-]*)?$/;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
// Bounds that keep every stored name indexable (a 900 KB name overflowed PostgreSQL's index row)
// and every contract cheap to validate and evaluate.
export const MAX_NAME_LENGTH = 200;
export const MAX_IDENTIFIER_LENGTH = 300;
export const MAX_TEXT_LENGTH = 10_000;
export const MAX_COLUMNS = 2_000;
export const MAX_QUALITY_RULES = 200;
const FAMILY_HINT = "string, integer, number, boolean, date, timestamp, json, binary, uuid";

const Owner = z
  .string()
  .max(MAX_NAME_LENGTH)
  .regex(OWNER_PATTERN, { error: "must be a GitHub team (@org/team) or user (@user)" });

/** A column the dataset promises to its consumers. */
export const ContractColumnSchema = z.strictObject({
  /** Column name as the database spells it. */
  name: z.string().min(1).max(MAX_IDENTIFIER_LENGTH),
  /**
   * A portable family (`string`, `integer`, `number`, `boolean`, `date`, `timestamp`, `json`,
   * `binary`, `uuid`) or a concrete SQL type (`bigint`, `varchar(255)`, `numeric(12,2)`).
   */
  type: z.string().refine((t) => isKnownType(t), {
    error: (issue) =>
      `"${String(issue.input)}" is not a known type: use a family (${FAMILY_HINT}) or a SQL type such as varchar(255)`,
  }),
  /** True when the column must never be null. */
  required: z.boolean().default(false),
  /** True when values must be unique. */
  unique: z.boolean().optional(),
  /** Personally identifiable information; a contract with `restrict_pii` forbids new PII columns. */
  pii: z.boolean().optional(),
  /** Free-form data classification, e.g. `confidential`. */
  classification: z.string().min(1).optional(),
  description: z.string().optional(),
  /** The only values the column may hold; removing one breaks readers. */
  accepted_values: z
    .array(z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v)))
    .min(1)
    .optional(),
});

export const QUALITY_RULE_TYPES = [
  "regex",
  "sql",
  "not_null",
  "unique",
  "accepted_values",
  "row_count",
  "range",
  "length",
  "custom",
] as const;

/** A data quality rule, checked when data is verified (not on pull requests). */
export const QualityRuleSchema = z
  .strictObject({
    /** Stable identifier of the rule within the contract. */
    id: z
      .string()
      .max(MAX_NAME_LENGTH)
      .regex(NAME_PATTERN, { error: "must be an identifier (letters, digits, _ . -)" }),
    type: z.enum(QUALITY_RULE_TYPES),
    /** The column the rule is about; required by regex, not_null, unique, accepted_values, range, length. */
    column: z.string().min(1).optional(),
    /** regex: the pattern every non-null value must match. */
    pattern: z.string().min(1).optional(),
    /** sql: a boolean expression every row must satisfy, e.g. `amount_cents >= 0`. */
    expression: z.string().min(1).optional(),
    /** sql: a query returning a count that must be zero, when a row predicate is not enough. */
    query: z.string().min(1).optional(),
    /** accepted_values: the allowed values. */
    values: z
      .array(z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v)))
      .min(1)
      .optional(),
    /** row_count / range / length: inclusive bounds (length: characters of each non-null value). */
    min: z.number().optional(),
    max: z.number().optional(),
    /** custom: the engine that runs `implementation`. */
    engine: z.string().min(1).optional(),
    implementation: z.string().min(1).optional(),
    description: z.string().optional(),
  })
  .superRefine((rule, ctx) => {
    const need = (field: keyof typeof rule, why: string) => {
      if (rule[field] === undefined)
        ctx.addIssue({ code: "custom", path: [field], message: `is required ${why}` });
    };
    switch (rule.type) {
      case "regex":
        need("column", "for a regex rule");
        need("pattern", "for a regex rule");
        if (rule.pattern !== undefined) {
          const safety = checkRegexSafety(rule.pattern);
          if (!safety.ok) {
            // The message starts `pattern "…"`; the issue's path already says `pattern`.
            ctx.addIssue({
              code: "custom",
              path: ["pattern"],
              message: safety.message.replace(/^pattern /, ""),
            });
          }
        }
        break;
      case "sql":
        if (rule.expression === undefined && rule.query === undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["expression"],
            message: "is required for a sql rule (or give query)",
          });
        }
        if (rule.expression !== undefined && rule.query !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["query"],
            message: "cannot be given with expression: a sql rule has one or the other",
          });
        }
        // The text is run against real databases: only what the guard accepts gets there.
        if (rule.expression !== undefined) {
          const guard = checkSqlExpression(rule.expression);
          if (!guard.ok) ctx.addIssue({ code: "custom", path: ["expression"], message: guard.message });
        }
        if (rule.query !== undefined) {
          // Which table it may read is checked with the contract's dataset, below.
          const guard = checkSqlQuery(rule.query, { dataset: null });
          if (!guard.ok) ctx.addIssue({ code: "custom", path: ["query"], message: guard.message });
        }
        break;
      case "not_null":
      case "unique":
        need("column", `for a ${rule.type} rule`);
        break;
      case "accepted_values":
        need("column", "for an accepted_values rule");
        need("values", "for an accepted_values rule");
        break;
      case "range":
        need("column", "for a range rule");
        if (rule.min === undefined && rule.max === undefined) {
          ctx.addIssue({ code: "custom", path: ["min"], message: "min or max is required for a range rule" });
        }
        break;
      case "row_count":
        if (rule.min === undefined && rule.max === undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["min"],
            message: "min or max is required for a row_count rule",
          });
        }
        break;
      case "length":
        need("column", "for a length rule");
        if (rule.min === undefined && rule.max === undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["min"],
            message: "min or max is required for a length rule (the allowed number of characters)",
          });
        }
        for (const bound of ["min", "max"] as const) {
          const value = rule[bound];
          if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
            ctx.addIssue({
              code: "custom",
              path: [bound],
              message: `must be a whole number of characters, 0 or more, found ${value}`,
            });
          }
        }
        break;
      case "custom":
        need("implementation", "for a custom rule");
        break;
    }
    if (rule.min !== undefined && rule.max !== undefined && rule.min > rule.max) {
      ctx.addIssue({ code: "custom", path: ["max"], message: `must not be less than min (${rule.min})` });
    }
  });

const Version = z.preprocess(
  // YAML reads `version: 1.2` as a number; keep it so the message can quote what was written.
  (v) => (typeof v === "number" ? String(v) : v),
  z.string().refine((v) => semver.valid(v) === v, {
    error: (issue) =>
      `"${String(issue.input)}" is not a semantic version: write MAJOR.MINOR.PATCH, e.g. 1.2.0`,
  }),
);

/** The contract file: what a dataset promises its consumers. Keys are in the documented order. */
export const ContractSchema = z
  .strictObject({
    /** Unique per installation; letters, digits, `_`, `.`, `-`. */
    name: z.string().max(MAX_NAME_LENGTH).regex(NAME_PATTERN, {
      error: "must be a non-empty identifier of letters, digits, _ . - (e.g. orders)",
    }),
    /** Semantic version; a breaking edit of an active contract needs a new major. */
    version: Version,
    /** Lifecycle: draft -> active -> deprecated -> archived. */
    status: z.enum(CONTRACT_STATUSES).default("draft"),
    /** GitHub team(s) or user(s) who own the contract and approve waivers. */
    owner: z.union([Owner, z.array(Owner).min(1)], {
      error: "must be a GitHub team (@org/team) or user (@user), or a list of them",
    }),
    /** What happens on a violation. */
    enforcement: z.enum(ENFORCEMENT_LEVELS).default("RECORD"),
    description: z.string().max(MAX_TEXT_LENGTH).optional(),
    /** The table, view or dbt model the contract covers. */
    dataset: z.strictObject({
      type: z.enum(["table", "view", "dbt_model"]).default("table"),
      /** Postgres' `public` and SQLite's `main` schema may be omitted. */
      name: z.string().min(1).max(MAX_IDENTIFIER_LENGTH),
    }),
    /** When true, adding a column classified PII violates the contract. */
    restrict_pii: z.boolean().default(false),
    schema: z.strictObject({
      primary_key: z.array(z.string().min(1)).min(1).optional(),
      columns: z.array(ContractColumnSchema).min(1).max(MAX_COLUMNS),
    }),
    quality: z.array(QualityRuleSchema).max(MAX_QUALITY_RULES).optional(),
    sla: z
      .strictObject({
        freshness: z
          .strictObject({
            /** Timestamp column that tells when a row was last written. */
            column: z.string().min(1),
            max_lag_minutes: z.number().positive(),
          })
          .optional(),
        /** Share of rows with every required column filled, 0–100. */
        completeness_pct: z.number().min(0).max(100).optional(),
      })
      .optional(),
    /** Why the contract is deprecated and what replaces it. */
    deprecation: z
      .strictObject({
        reason: z.string().min(1),
        /** Name of the contract (or dataset) that replaces this one. */
        successor: z.string().min(1).optional(),
      })
      .optional(),
  })
  .superRefine((c, ctx) => {
    for (const issue of crossFieldIssues(c)) ctx.addIssue({ code: "custom", ...issue });
    c.quality?.forEach((rule, i) => {
      if (rule.query !== undefined && checkSqlQuery(rule.query, { dataset: null }).ok) {
        const scoped = checkSqlQuery(rule.query, { dataset: c.dataset.name });
        if (!scoped.ok)
          ctx.addIssue({ code: "custom", path: ["quality", i, "query"], message: scoped.message });
      }
    });
  });

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;

/**
 * What one part of a contract says about another: duplicate columns, a primary key, quality rule
 * or freshness column naming a column the contract does not declare, duplicate rule ids. Read from
 * the document as written, whatever else is wrong with it, so every problem is reported in one
 * round (zod runs an object's refinements only once its fields are valid).
 */
const crossFieldIssues = (data: unknown): Array<{ path: PathSegment[]; message: string }> => {
  const issues: Array<{ path: PathSegment[]; message: string }> = [];
  const root = asRecord(data);
  const schema = asRecord(root?.schema);
  const columns = Array.isArray(schema?.columns) ? schema.columns : undefined;
  const seen = new Map<string, number>();
  columns?.forEach((col, i) => {
    const name = asRecord(col)?.name;
    if (typeof name !== "string" || name === "") return;
    const first = seen.get(name.toLowerCase());
    if (first !== undefined) {
      issues.push({
        path: ["schema", "columns", i, "name"],
        message: `duplicates column "${name}" declared at schema.columns[${first}]: remove or rename one`,
      });
    } else seen.set(name.toLowerCase(), i);
  });
  // Without a list of columns there is nothing to check names against (that is reported already).
  const known = (name: unknown): boolean =>
    columns === undefined || typeof name !== "string" || seen.has(name.toLowerCase());
  const notAColumn = (name: unknown) => `names "${String(name)}", which is not a column of schema.columns`;
  if (Array.isArray(schema?.primary_key)) {
    schema.primary_key.forEach((pk, i) => {
      if (!known(pk)) issues.push({ path: ["schema", "primary_key", i], message: notAColumn(pk) });
    });
  }
  const ids = new Map<string, number>();
  (Array.isArray(root?.quality) ? root.quality : []).forEach((item, i) => {
    const rule = asRecord(item);
    if (typeof rule?.id === "string") {
      const first = ids.get(rule.id);
      if (first !== undefined) {
        issues.push({
          path: ["quality", i, "id"],
          message: `duplicates quality rule id "${rule.id}" of quality[${first}]: rule ids must be unique`,
        });
      } else ids.set(rule.id, i);
    }
    if (rule?.column !== undefined && !known(rule.column))
      issues.push({ path: ["quality", i, "column"], message: notAColumn(rule.column) });
  });
  const freshness = asRecord(asRecord(root?.sla)?.freshness);
  if (freshness?.column !== undefined && !known(freshness.column)) {
    issues.push({
      path: ["sla", "freshness", "column"],
      message: `${notAColumn(freshness.column)}: the freshness column must be a declared timestamp column`,
    });
  }
  return issues;
};

/** Schema issues, plus the cross-field ones the schema could not reach, without repeats. */
const allRawIssues = (issues: readonly z.core.$ZodIssue[], data: unknown): RawIssue[] => {
  const raw = toRawIssues(issues);
  const reported = new Set(raw.map((r) => `${formatPath(r.path)} ${r.message}`));
  for (const extra of crossFieldIssues(data)) {
    if (!reported.has(`${formatPath(extra.path)} ${extra.message}`)) raw.push(extra);
  }
  return raw;
};

export type Contract = z.output<typeof ContractSchema>;
export type ContractInput = z.input<typeof ContractSchema>;
export type ContractColumn = z.output<typeof ContractColumnSchema>;
export type QualityRule = z.output<typeof QualityRuleSchema>;

/** Top-level keys in their documented order; serialization follows it. */
export const CONTRACT_KEYS = Object.keys(ContractSchema.shape) as Array<keyof Contract>;

// ---------------------------------------------------------------------------------------------
// Parsing with positions

export type ContractIssue = { file: string; line: number; column: number; path: string; message: string };

/**
 * Where the parts of a contract file are (1-based lines), so findings about an edit of the
 * contract point at what was edited. Keys are absent when the file does not write them.
 */
export type ContractLines = {
  version?: number;
  status?: number;
  enforcement?: number;
  dataset?: number;
  /** The `columns:` key of `schema`. */
  columns?: number;
  /** Each declared column's entry, by lower-cased name. */
  column: Record<string, number>;
  primaryKey?: number;
  quality?: number;
  /** Each quality rule's entry, by id. */
  rule?: Record<string, number>;
  sla?: number;
};

export type ParseContractResult =
  | { ok: true; contract: Contract; format: "covenant" | "odcs"; lines: ContractLines }
  | { ok: false; errors: ContractIssue[] };

const keyPair = (node: unknown, key: string) =>
  isMap(node) ? node.items.find((pair) => isScalar(pair.key) && String(pair.key.value) === key) : undefined;

/** The line of `key:` in a mapping node. */
const keyLine = (node: unknown, key: string, lines: LineCounter): number | undefined => {
  const offset = (keyPair(node, key)?.key as Node | undefined)?.range?.[0];
  return offset === undefined ? undefined : lines.linePos(offset).line;
};

const contractLines = (root: Node | null, lines: LineCounter): ContractLines => {
  const schema = keyPair(root, "schema")?.value;
  const columns = keyPair(schema, "columns")?.value;
  const column: Record<string, number> = {};
  if (isSeq(columns)) {
    for (const item of columns.items) {
      const name = keyPair(item, "name")?.value;
      const offset = (item as Node | null)?.range?.[0];
      if (isScalar(name) && offset !== undefined) {
        column[String(name.value).toLowerCase()] ??= lines.linePos(offset).line;
      }
    }
  }
  const rule: Record<string, number> = {};
  const quality = keyPair(root, "quality")?.value;
  if (isSeq(quality)) {
    for (const item of quality.items) {
      const id = keyPair(item, "id")?.value;
      const offset = (item as Node | null)?.range?.[0];
      if (isScalar(id) && offset !== undefined) rule[String(id.value)] ??= lines.linePos(offset).line;
    }
  }
  const entry = (name: Exclude<keyof ContractLines, "column" | "rule">, node: unknown, key: string) => {
    const line = keyLine(node, key, lines);
    return line === undefined ? {} : { [name]: line };
  };
  return {
    ...entry("version", root, "version"),
    ...entry("status", root, "status"),
    ...entry("enforcement", root, "enforcement"),
    ...entry("dataset", root, "dataset"),
    ...entry("columns", schema, "columns"),
    column,
    ...entry("primaryKey", schema, "primary_key"),
    ...entry("quality", root, "quality"),
    ...(Object.keys(rule).length > 0 ? { rule } : {}),
    ...entry("sla", root, "sla"),
  };
};

/** `contracts/orders.yaml:3:14 enforcement must be one of INACTIVE, RECORD, NOTIFY, ALERT, BLOCK` */
export const formatContractIssue = (issue: ContractIssue): string =>
  `${issue.file}:${issue.line}:${issue.column} ${issue.message}`;

export type PathSegment = string | number;

/** `schema.columns[1].type` */
export const formatPath = (path: readonly PathSegment[]): string =>
  path.reduce<string>(
    (out, seg) => (typeof seg === "number" ? `${out}[${seg}]` : out === "" ? seg : `${out}.${seg}`),
    "",
  );

/** Inverse of `formatPath`, for paths carried as strings in error details. */
export const parsePath = (path: string): PathSegment[] =>
  [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) =>
    m[2] !== undefined ? Number(m[2]) : (m[1] as string),
  );

const levenshtein = (a: string, b: string): number => {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number;
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      prev = tmp;
    }
  }
  return row[b.length] as number;
};

/** The keys a strict object at `path` accepts, for "did you mean" hints. */
const knownKeysAt = (path: readonly PathSegment[]): string[] => {
  const keys = path.filter((s): s is string => typeof s === "string").join(".");
  switch (keys) {
    case "":
      return [...CONTRACT_KEYS];
    case "dataset":
      return ["type", "name"];
    case "schema":
      return ["primary_key", "columns"];
    case "schema.columns":
      return Object.keys(ContractColumnSchema.shape);
    case "quality":
      return [
        "id",
        "type",
        "column",
        "pattern",
        "expression",
        "query",
        "values",
        "min",
        "max",
        "engine",
        "implementation",
        "description",
      ];
    case "sla":
      return ["freshness", "completeness_pct"];
    case "sla.freshness":
      return ["column", "max_lag_minutes"];
    case "deprecation":
      return ["reason", "successor"];
    default:
      return [];
  }
};

const suggest = (key: string, known: string[]): string => {
  const best = known.map((k) => ({ k, d: levenshtein(key.toLowerCase(), k) })).sort((a, b) => a.d - b.d)[0];
  return best && best.d <= Math.max(2, Math.floor(key.length / 3)) ? ` (did you mean "${best.k}"?)` : "";
};

const describeType = (value: unknown): string => {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${JSON.stringify(value)}`;
};

const EXPECTED_WORDS: Record<string, string> = {
  string: "a string",
  number: "a number",
  boolean: "true or false",
  array: "a list",
  object: "a mapping",
};

type RawIssue = { path: PathSegment[]; message: string; keyNode?: boolean };

/** Turns zod issues into sentences that start after the path: "must be one of …". */
const toRawIssues = (issues: readonly z.core.$ZodIssue[]): RawIssue[] =>
  issues.flatMap((issue): RawIssue[] => {
    const path = issue.path.filter((p): p is PathSegment => typeof p !== "symbol");
    switch (issue.code) {
      case "unrecognized_keys":
        return issue.keys.map((key) => ({
          path: [...path, key],
          keyNode: true,
          message: `is not a known key${suggest(key, knownKeysAt(path))}`,
        }));
      case "invalid_type":
        if (issue.input === undefined) return [{ path, message: "is required" }];
        return [
          {
            path,
            message: `must be ${EXPECTED_WORDS[issue.expected] ?? issue.expected}, found ${describeType(issue.input)}`,
          },
        ];
      case "invalid_value":
        return [{ path, message: `must be one of ${issue.values.map(String).join(", ")}` }];
      case "too_small":
        if (issue.origin === "string") return [{ path, message: "must not be empty" }];
        if (issue.origin === "array") {
          return [
            {
              path,
              message: `must list at least ${issue.minimum} item${Number(issue.minimum) === 1 ? "" : "s"}`,
            },
          ];
        }
        return [
          { path, message: `must be ${issue.inclusive ? "at least" : "greater than"} ${issue.minimum}` },
        ];
      case "too_big":
        return [{ path, message: `must be ${issue.inclusive ? "at most" : "less than"} ${issue.maximum}` }];
      default:
        if (issue.code === "invalid_union" && issue.input === undefined)
          return [{ path, message: "is required" }];
        return [{ path, message: issue.message }];
    }
  });

type Position = { line: number; column: number };

/**
 * Finds where `path` is in the YAML: the value node, the key node for unknown keys, or the
 * closest existing ancestor when the key is missing.
 */
const locate = (
  root: Node | null | undefined,
  path: readonly PathSegment[],
  keyNode: boolean,
  lines: LineCounter,
): Position => {
  let node: Node | null | undefined = root;
  let offset = node?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const key = pair.key as Node;
      const value = pair.value as Node | null;
      if (last && keyNode) {
        offset = key.range?.[0] ?? offset;
        break;
      }
      // A key with no value (`owner:`) has nothing to point at but its key.
      offset = value?.range?.[0] ?? key.range?.[0] ?? offset;
      if (value?.range && value.range[0] === value.range[1] && key.range) offset = key.range[0];
      node = value;
    } else if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  const pos = lines.linePos(offset);
  return { line: pos.line, column: pos.col };
};

/** 1-based line and column of an offset in the text. */
const offsetPosition = (text: string, offset: number): { line: number; column: number } => {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
};

export type ParseContractOptions = {
  /**
   * The status of a contract that states none. The schema's default is `draft` (what the API
   * creates); a file committed to a repository is enforced unless it says otherwise.
   */
  missingStatus?: ContractStatus;
};

/** Parses a contract file (Covenant or ODCS v3 YAML), reporting every problem with its line and column. */
export const parseContract = (
  text: string,
  file = "<input>",
  { missingStatus }: ParseContractOptions = {},
): ParseContractResult => {
  const lines = new LineCounter();
  const parsed = parseBoundedYaml(text, { lineCounter: lines });
  if (!parsed.ok) {
    return {
      ok: false,
      errors: parsed.problems.map((problem) => {
        const pos = offsetPosition(text, problem.offset);
        return { file, line: pos.line, column: pos.column, path: "", message: problem.message };
      }),
    };
  }
  const { doc, data: raw } = parsed;
  const data =
    missingStatus !== undefined && isPlainObject(raw) && raw.status === undefined
      ? { ...raw, status: missingStatus }
      : raw;
  const root = doc.contents as Node | null;
  const issue = (raw: RawIssue, prefixPath = true): ContractIssue => {
    const at = locate(root, raw.path, raw.keyNode ?? false, lines);
    const where = formatPath(raw.path);
    const message = where === "" || !prefixPath ? raw.message : `${where} ${raw.message}`;
    return { file, ...at, path: where, message };
  };
  if (data === null || data === undefined) {
    return {
      ok: false,
      errors: [
        issue({
          path: [],
          message: "contract is empty: expected a mapping with name, version, owner, dataset and schema",
        }),
      ],
    };
  }
  if (typeof data !== "object" || Array.isArray(data)) {
    return {
      ok: false,
      errors: [issue({ path: [], message: `contract must be a mapping, found ${describeType(data)}` })],
    };
  }
  const bad = findBadText(data);
  if (bad) return { ok: false, errors: [issue({ path: bad.path, message: bad.message })] };

  if (isOdcsDocument(data)) {
    try {
      // ODCS files are laid out otherwise: only the version's line is known.
      const version = keyLine(root, "version", lines);
      return {
        ok: true,
        contract: importOdcs(data),
        format: "odcs",
        lines: { column: {}, ...(version === undefined ? {} : { version }) },
      };
    } catch (error) {
      if (!isCovenantError(error)) throw error;
      const details = error.details.length > 0 ? error.details : [{ message: error.message }];
      return {
        ok: false,
        // Import messages name the Covenant field; the position points at the ODCS node.
        errors: details.map((d) => issue({ path: parsePath(d.path ?? ""), message: d.message }, false)),
      };
    }
  }

  const result = ContractSchema.safeParse(data, { reportInput: true });
  if (result.success)
    return { ok: true, contract: result.data, format: "covenant", lines: contractLines(root, lines) };
  const errors = allRawIssues(result.error.issues, data)
    .map((r) => issue(r))
    .sort((a, b) => a.line - b.line || a.column - b.column);
  return { ok: false, errors };
};

/** A contract file of a repository: one without `status` is active (DESIGN.md, "Fail closed"). */
export const parseRepositoryContract = (text: string, file: string): ParseContractResult =>
  parseContract(text, file, { missingStatus: "active" });

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Validates an already-parsed object (API bodies); issues carry paths but no positions. */
export const validateContract = (
  data: unknown,
): { ok: true; contract: Contract } | { ok: false; errors: Array<{ path: string; message: string }> } => {
  const result = ContractSchema.safeParse(data, { reportInput: true });
  if (result.success) return { ok: true, contract: result.data };
  return {
    ok: false,
    errors: allRawIssues(result.error.issues, data).map((r) => {
      const path = formatPath(r.path);
      return { path, message: path === "" ? r.message : `${path} ${r.message}` };
    }),
  };
};

/** Zod issues of a failed contract validation as `{ path, message }`, for importers. */
export const describeContractIssues = (
  issues: readonly z.core.$ZodIssue[],
): Array<{ path: string; message: string }> =>
  toRawIssues(issues).map((r) => {
    const path = formatPath(r.path);
    return { path, message: path === "" ? r.message : `${path} ${r.message}` };
  });

// ---------------------------------------------------------------------------------------------
// Serialization

const COLUMN_KEYS = Object.keys(ContractColumnSchema.shape) as Array<keyof ContractColumn>;
const QUALITY_KEYS = knownKeysAt(["quality"]) as Array<keyof QualityRule>;

const ordered = <T extends object>(value: T, keys: ReadonlyArray<keyof T>): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (value[key] !== undefined) out[key as string] = value[key];
  return out;
};

/** Stable YAML with keys in the documented order, so a saved contract diffs cleanly. */
export const serializeContract = (contract: Contract): string => {
  const body = ordered(contract, CONTRACT_KEYS);
  body.dataset = ordered(contract.dataset, ["type", "name"]);
  body.schema = {
    ...(contract.schema.primary_key ? { primary_key: contract.schema.primary_key } : {}),
    columns: contract.schema.columns.map((c) => ordered(c, COLUMN_KEYS)),
  };
  if (contract.quality) body.quality = contract.quality.map((q) => ordered(q, QUALITY_KEYS));
  if (contract.sla) {
    body.sla = ordered(contract.sla, ["freshness", "completeness_pct"]);
    if (contract.sla.freshness) {
      (body.sla as Record<string, unknown>).freshness = ordered(contract.sla.freshness, [
        "column",
        "max_lag_minutes",
      ]);
    }
  }
  if (contract.deprecation) body.deprecation = ordered(contract.deprecation, ["reason", "successor"]);
  const doc = new Document(body);
  // Short lists of names (primary_key, accepted_values) read best on one line, as in the docs.
  visit(doc, {
    Seq(_, seq) {
      if (seq.items.every((item) => isScalar(item))) seq.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0 });
};

/**
 * sha256 of the contract text with presentation noise removed (BOM, CRLF, trailing spaces and
 * blank lines), so re-saving a file unchanged keeps its checksum while any real edit changes it.
 */
export const contractChecksum = (text: string): string => {
  const normalized = text
    .replace(/^\uFEFF/, "")
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .map((line) => line.replace(/[ \t]+$/, ""))
    .join("\n")
    .replace(/\n+$/, "");
  return createHash("sha256").update(`${normalized}\n`, "utf8").digest("hex");
};

// ---------------------------------------------------------------------------------------------
// Datasets and owners

/** Splits `a."B.c".d` on dots outside double quotes or backticks, remembering which parts were quoted. */
const splitQualifiedName = (name: string): Array<{ text: string; quoted: boolean }> => {
  const parts: Array<{ text: string; quoted: boolean }> = [];
  let text = "";
  let quoted = false;
  let quote: string | undefined;
  for (const c of name.trim()) {
    if (quote) {
      if (c === quote) quote = undefined;
      else text += c;
    } else if (c === '"' || c === "`" || c === "[") {
      quote = c === "[" ? "]" : c;
      quoted = true;
    } else if (c === ".") {
      parts.push({ text, quoted });
      text = "";
      quoted = false;
    } else text += c;
  }
  parts.push({ text, quoted });
  return parts.map((p) => ({ text: p.quoted ? p.text : p.text.trim(), quoted: p.quoted }));
};

/**
 * Folds a dataset name to the form schema replay produces: Postgres lower-cases unquoted names
 * and defaults the schema to `public`; SQLite defaults to `main`; MySQL, BigQuery and Snowflake
 * keep what was written, lower-cased; dbt keeps the model name.
 */
export const qualifyDatasetName = (name: string, dialect: Dialect | "dbt"): string => {
  if (dialect === "dbt") return name.trim();
  const parts = splitQualifiedName(name);
  const fold = (p: { text: string; quoted: boolean }) =>
    dialect === "postgres" && p.quoted ? p.text : p.text.toLowerCase();
  const folded = parts.map(fold);
  if (folded.length === 1) {
    if (dialect === "postgres") return `public.${folded[0]}`;
    if (dialect === "sqlite") return `main.${folded[0]}`;
  }
  return folded.join(".");
};

/**
 * True when a contract's dataset name designates `datasetName`. `orders` matches `public.orders`
 * in Postgres; where the database part is optional (MySQL, BigQuery, Snowflake) an unqualified
 * contract name matches the table in any database.
 */
export const datasetMatches = (
  contractDatasetName: string,
  datasetName: string,
  dialect: Dialect | "dbt",
): boolean => {
  const a = qualifyDatasetName(contractDatasetName, dialect);
  const b = qualifyDatasetName(datasetName, dialect);
  if (a === b) return true;
  if (dialect === "dbt" || dialect === "postgres" || dialect === "sqlite") return false;
  const as = a.split(".");
  const bs = b.split(".");
  if (as.length >= bs.length) return false;
  return bs.slice(bs.length - as.length).join(".") === a;
};

/** The owners as a list, without duplicates. */
export const contractOwners = (contract: Pick<Contract, "owner">): string[] => [
  ...new Set(Array.isArray(contract.owner) ? contract.owner : [contract.owner]),
];
