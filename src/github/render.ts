// Check-run output and PR comment for a verdict. Kept minimal here; the shared renderers of
// src/core/report replace these once they exist (same shapes).
import type { Finding } from "../core/model/finding.ts";
import type { Verdict, Violation } from "../core/model/violation.ts";

export type Annotation = {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: "failure" | "warning" | "notice";
  title: string;
  message: string;
};

export type CheckRunOutput = { title: string; summary: string; annotations: Annotation[] };

const levelOf = (severity: string): Annotation["annotation_level"] =>
  severity === "error" ? "failure" : severity === "warning" ? "warning" : "notice";

const cell = (text: string | undefined): string => (text ?? "").replace(/\|/g, "\\|").replace(/\n/g, " ");

const violationRows = (violations: readonly Violation[]): string[] => [
  "| contract | rule | where | what | fix |",
  "| --- | --- | --- | --- | --- |",
  ...violations.map(
    (v) =>
      `| ${cell(v.contract)} (${v.enforcement}) | \`${v.rule}\` id \`${v.id}\`${v.waived ? ` (waived by @${v.waived.by}: ${cell(v.waived.reason)})` : ""} | ${cell(v.file ? `${v.file}:${v.line ?? 1}` : v.dataset)} | ${cell(v.message)} | ${cell(v.help)} |`,
  ),
];

export const renderCheckRun = (verdict: Verdict): CheckRunOutput => {
  const open = verdict.violations.filter((v) => !v.waived);
  const title =
    open.length === 0
      ? `No contract violations (${verdict.changes.length} schema changes)`
      : `${open.length} contract violation${open.length === 1 ? "" : "s"} (score ${verdict.score})`;
  const summary = [
    `**${verdict.violations.length}** violations (${open.length} open), **${verdict.changes.length}** schema changes, **${verdict.findings.length}** findings.`,
    "",
    ...(verdict.violations.length > 0 ? violationRows(verdict.violations) : []),
    "",
    ...verdict.findings.map((f) => `- ${f.rule} at ${f.file}:${f.line}: ${f.message}`),
  ].join("\n");
  const annotations: Annotation[] = [
    ...verdict.violations
      .filter((v) => v.file)
      .map((v) => ({
        path: v.file!,
        start_line: v.line ?? 1,
        end_line: v.line ?? 1,
        annotation_level: v.waived ? ("notice" as const) : levelOf(v.severity),
        title: `${v.rule}: ${v.contract} (id ${v.id})`,
        message: [v.message, v.help ? `Fix: ${v.help}` : ""].filter(Boolean).join("\n"),
      })),
    ...verdict.findings.map((f: Finding) => ({
      path: f.file,
      start_line: f.line,
      end_line: f.endLine ?? f.line,
      annotation_level: levelOf(f.severity === "error" ? "warning" : f.severity),
      title: f.rule,
      message: f.message,
    })),
  ];
  return { title, summary, annotations };
};

export const renderPrComment = (verdict: Verdict, { marker }: { marker: string }): string => {
  const shown = verdict.violations.filter((v) => v.enforcement !== "RECORD");
  if (shown.filter((v) => !v.waived).length === 0) {
    return `${marker}\n### Covenant: all clear\n\nNo open data contract violations on this pull request.`;
  }
  const owners = [
    ...new Set(
      shown
        .filter((v) => v.enforcement === "ALERT" || v.enforcement === "BLOCK")
        .flatMap((v) => v.owners ?? []),
    ),
  ];
  return [
    marker,
    `### Covenant: ${shown.length} data contract violation${shown.length === 1 ? "" : "s"}`,
    "",
    ...violationRows(shown),
    "",
    ...(owners.length > 0
      ? [`Contract owners: ${owners.map((o) => (o.startsWith("@") ? o : `@${o}`)).join(", ")}`, ""]
      : []),
    "An owner can waive a violation for this PR with `/covenant waive <violation-id> <reason>`, or by approving the PR.",
  ].join("\n");
};
