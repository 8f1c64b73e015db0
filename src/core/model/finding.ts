export type Severity = "error" | "warning" | "info";

/**
 * A plain value describing something Covenant noticed that is not a contract violation,
 * e.g. a statement that could not be parsed (`sql-parse-error`). Never thrown.
 */
export type Finding = {
  rule: string;
  severity: Severity;
  message: string;
  help?: string;
  file: string;
  line: number;
  endLine?: number;
  column?: number;
};

export const compareByPosition = <T extends { file?: string; line?: number }>(a: T, b: T): number =>
  // localeCompare is slow, and most comparisons are within one file.
  (a.file === b.file ? 0 : (a.file ?? "").localeCompare(b.file ?? "")) || (a.line ?? 0) - (b.line ?? 0);

/**
 * Something in a migration whose effect on the schema Covenant could not determine: a statement
 * that does not parse, code it cannot follow (DO blocks, EXECUTE, function calls), or text over
 * the analysis limits. Reported as its `finding`; when it may touch a contracted dataset the
 * rules turn it into a violation instead (fail closed).
 */
export type Unverified = {
  kind: "parse-error" | "dynamic" | "too-large" | "unknown-table";
  finding: Finding;
  /** Qualified names the text mentions, folded per dialect (see core/sql/names.ts). */
  names: string[][];
};
