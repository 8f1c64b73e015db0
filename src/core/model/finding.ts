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
  (a.file ?? "").localeCompare(b.file ?? "") || (a.line ?? 0) - (b.line ?? 0);
