import type { Verdict } from "../model/violation.ts";
import { findingAnnotationLevel, violationAnnotationLevel } from "./annotation-level.ts";
import { byContract, CONCLUSION_TITLE, countChanges, plural } from "./group.ts";
import { impactMarkdown } from "./render-impact.ts";

export type CheckRunOutput = {
  title: string;
  summary: string;
  annotations: Array<{
    path: string;
    start_line: number;
    end_line: number;
    annotation_level: "failure" | "warning" | "notice";
    title: string;
    message: string;
  }>;
};

/** Cells of a markdown table must not break the table. */
export const cell = (s: string): string => s.replaceAll("|", "\\|").replaceAll("\n", " ");

export const violationTable = (verdict: Verdict): string[] => {
  const lines: string[] = [];
  for (const [contract, violations] of byContract(verdict.violations)) {
    lines.push(`### Contract \`${contract}\` (${violations[0]?.enforcement ?? ""})`, "");
    lines.push("| | Rule | Where | What breaks | Fix |", "| --- | --- | --- | --- | --- |");
    for (const v of violations) {
      const icon = v.waived ? "✅" : v.severity === "error" ? "❌" : "⚠️";
      const at = v.file ? `\`${v.file}${v.line ? `:${v.line}` : ""}\`` : "";
      const waived = v.waived ? ` _(waived by ${v.waived.by}: ${v.waived.reason})_` : "";
      lines.push(
        `| ${icon} | \`${v.rule}\` | ${cell(at)} | ${cell(v.message)}${cell(waived)} | ${cell(v.help ?? "")} |`,
      );
    }
    lines.push("");
  }
  return lines;
};

export const changesSummary = (verdict: Verdict): string[] => {
  const counts = countChanges(verdict.changes);
  if (counts.length === 0) return ["No schema changes."];
  return [
    `**Schema changes** (${verdict.changes.length}): ${counts.map(([kind, n]) => `${kind} × ${n}`).join(", ")}`,
  ];
};

export const findingsSummary = (verdict: Verdict): string[] =>
  verdict.findings.length === 0
    ? []
    : [
        "",
        `**Findings** (${verdict.findings.length}, informational):`,
        ...verdict.findings.map((f) => `- \`${f.file}:${f.line}\` ${f.rule}: ${f.message}`),
      ];

/** GitHub's check-run name for the level workflow commands call error. */
const CHECK_RUN_LEVEL = { error: "failure", warning: "warning", notice: "notice" } as const;

/** GitHub caps annotations per request; the App pages through them 50 at a time. */
export const renderCheckRun = (verdict: Verdict): CheckRunOutput => {
  const open = verdict.violations.filter((v) => !v.waived);
  const title =
    open.length === 0
      ? CONCLUSION_TITLE.success!
      : `${CONCLUSION_TITLE[verdict.conclusion]}: ${plural(open.length, "violation")}`;
  const summary = [
    `**${verdict.conclusion}** · score ${verdict.score}/100 (${verdict.status})`,
    "",
    ...violationTable(verdict),
    ...changesSummary(verdict),
    ...findingsSummary(verdict),
    ...impactMarkdown(verdict, { fold: false }),
  ].join("\n");
  const annotations = [
    ...open
      .filter((v) => v.file)
      .map((v) => ({
        path: v.file!,
        start_line: v.line ?? 1,
        end_line: v.line ?? 1,
        annotation_level: CHECK_RUN_LEVEL[violationAnnotationLevel(v)],
        title: `${v.rule} (${v.contract}, ${v.enforcement})`,
        message: v.help ? `${v.message}\n\n${v.help}` : v.message,
      })),
    // A finding about a contract registered through the API has no file to annotate.
    ...verdict.findings
      .filter((f) => f.file)
      .map((f) => ({
        path: f.file,
        start_line: f.line,
        end_line: f.endLine ?? f.line,
        annotation_level: CHECK_RUN_LEVEL[findingAnnotationLevel(f)],
        title: f.rule,
        message: f.message,
      })),
  ];
  return { title, summary, annotations };
};
