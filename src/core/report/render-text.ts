import type { Verdict } from "../model/violation.ts";
import { byContract, CONCLUSION_TITLE, countChanges, plural, where } from "./group.ts";

export type TextOptions = { color: boolean };

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
      lines.push(`  ${yellow(f.severity)} ${f.rule} ${where(f)}: ${f.message}`);
    lines.push("");
  }
  const counts = countChanges(verdict.changes);
  if (counts.length > 0) {
    lines.push(bold("schema changes"));
    for (const [kind, n] of counts) lines.push(`  ${kind}: ${n}`);
    lines.push("");
  }
  const errors = verdict.violations.filter((v) => v.severity === "error" && !v.waived).length;
  const warnings = verdict.violations.filter((v) => v.severity === "warning" && !v.waived).length;
  const verdictColor =
    verdict.conclusion === "failure" ? red : verdict.conclusion === "neutral" ? yellow : green;
  lines.push(
    `${verdictColor(`${verdict.conclusion}: ${CONCLUSION_TITLE[verdict.conclusion]}`)} — ${plural(errors, "error")}, ${plural(warnings, "warning")}, ${plural(verdict.changes.length, "change")}, ${plural(verdict.findings.length, "finding")}; score ${verdict.score} (${verdict.status})`,
  );
  return `${lines.join("\n")}\n`;
};
