import type { Change } from "../model/change.ts";
import type { Verdict, Violation } from "../model/violation.ts";

export const byContract = (violations: readonly Violation[]): Map<string, Violation[]> => {
  const groups = new Map<string, Violation[]>();
  for (const violation of violations) {
    const list = groups.get(violation.contract) ?? [];
    list.push(violation);
    groups.set(violation.contract, list);
  }
  return groups;
};

export const where = (item: { file?: string; line?: number }): string =>
  item.file ? `${item.file}${item.line ? `:${item.line}` : ""}` : "";

export const countChanges = (changes: readonly Change[]): Array<[string, number]> => {
  const counts = new Map<string, number>();
  for (const change of changes) counts.set(change.kind, (counts.get(change.kind) ?? 0) + 1);
  return [...counts.entries()].sort(([a], [b]) => a.localeCompare(b));
};

export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

export const CONCLUSION_TITLE: Record<string, string> = {
  failure: "Contract violations block this change",
  neutral: "Contract violations to review",
  success: "No blocking contract violations",
};

/**
 * The counts of a summary line, of what the report prints: open violations and findings alike
 * (a printed warning finding is a warning), waived violations apart.
 */
export const printedCounts = (verdict: Verdict): string => {
  const open = verdict.violations.filter((v) => !v.waived);
  const count = (severity: string) =>
    open.filter((v) => v.severity === severity).length +
    verdict.findings.filter((f) => f.severity === severity).length;
  const waived = verdict.violations.length - open.length;
  const notes = count("info");
  return [
    plural(count("error"), "error"),
    plural(count("warning"), "warning"),
    ...(notes > 0 ? [plural(notes, "note")] : []),
    ...(waived > 0 ? [`${waived} waived`] : []),
    plural(verdict.changes.length, "change"),
  ].join(", ");
};
