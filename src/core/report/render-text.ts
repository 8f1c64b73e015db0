import type { Change } from "../model/change.ts";
import type { Verdict } from "../model/violation.ts";
import { byContract, CONCLUSION_TITLE, countChanges, plural, printedCounts, where } from "./group.ts";
import { impactText } from "./render-impact.ts";

export type TextOptions = { color: boolean };

const MAX_CHANGE_LINES = 50;

/** `column-type-widened public.customers.phone: varchar(20) -> varchar(40) (db/0007.sql:6)` */
export const describeChange = (change: Change): string => {
  const subject = change.column === undefined ? change.dataset : `${change.dataset}.${change.column}`;
  const detail =
    change.to !== undefined
      ? ` -> ${change.to}`
      : change.before !== undefined && change.after !== undefined
        ? `: ${change.before} -> ${change.after}`
        : change.after !== undefined
          ? `: ${change.after}`
          : change.before !== undefined
            ? ` (was ${change.before})`
            : "";
  const at = change.location ? ` (${where(change.location)})` : "";
  return `${change.kind} ${subject}${detail}${at}`;
};

const paint = (on: boolean, code: string) => (text: string) =>
  on ? `\u001b[${code}m${text}\u001b[0m` : text;

export const renderText = (verdict: Verdict, { color }: TextOptions): string => {
  const red = paint(color, "31");
  const yellow = paint(color, "33");
  const green = paint(color, "32");
  const dim = paint(color, "2");
  const bold = paint(color, "1");
  const lines: string[] = [];
  for (const [contract, violations] of byContract(verdict.violations)) {
    const first = violations[0];
    lines.push(bold(`contract ${contract} (${first?.enforcement ?? ""})`));
    for (const v of violations) {
      const tag = v.severity === "error" ? red("error") : yellow("warning");
      lines.push(
        `  ${tag} ${v.rule}${v.waived ? dim(` [waived by ${v.waived.by}: ${v.waived.reason}]`) : ""}`,
      );
      if (where(v)) lines.push(`    at ${where(v)}`);
      lines.push(`    ${v.message}`);
      if (v.expected || v.actual)
        lines.push(dim(`    expected: ${v.expected ?? "-"}  actual: ${v.actual ?? "-"}`));
      if (v.help) lines.push(`    fix: ${v.help}`);
      lines.push(dim(`    id: ${v.id}`));
    }
    lines.push("");
  }
  if (verdict.findings.length > 0) {
    lines.push(bold("findings"));
    for (const f of verdict.findings)
      lines.push(
        `  ${(f.severity === "error" ? red : f.severity === "warning" ? yellow : dim)(f.severity)} ${f.rule} ${where(f)}: ${f.message}`,
      );
    lines.push("");
  }
  if (verdict.changes.length > 0) {
    // Each change on its own line: widenings and changes to tables without a contract are
    // reported nowhere else, and the reader wants to know which column, not how many.
    lines.push(bold("schema changes"));
    for (const change of verdict.changes.slice(0, MAX_CHANGE_LINES))
      lines.push(`  ${describeChange(change)}`);
    if (verdict.changes.length > MAX_CHANGE_LINES) {
      const rest = verdict.changes.slice(MAX_CHANGE_LINES);
      lines.push(
        dim(
          `  … and ${plural(rest.length, "more change")} (${countChanges(rest)
            .map(([kind, n]) => `${kind}: ${n}`)
            .join(", ")})`,
        ),
      );
    }
    lines.push("");
  }
  if ((verdict.impact ?? []).length > 0) {
    lines.push(bold("downstream impact"));
    lines.push(...impactText(verdict));
    lines.push("");
  }
  const verdictColor =
    verdict.conclusion === "failure" ? red : verdict.conclusion === "neutral" ? yellow : green;
  lines.push(
    `${verdictColor(`${verdict.conclusion}: ${CONCLUSION_TITLE[verdict.conclusion]}`)} — ${printedCounts(verdict)}; score ${verdict.score} (${verdict.status})`,
  );
  return `${lines.join("\n")}\n`;
};
