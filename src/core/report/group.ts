import type { Change } from "../model/change.ts";
import type { Violation } from "../model/violation.ts";

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
