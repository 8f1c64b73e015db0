import { levelActions } from "../enforce/judge.ts";
import type { Verdict } from "../model/violation.ts";
import { changesSummary, findingsSummary, violationTable } from "./render-check-run.ts";
import { impactMarkdown } from "./render-impact.ts";

export const PR_COMMENT_MARKER = "<!-- covenant:pr-comment -->";

const mention = (owner: string): string => (owner.startsWith("@") ? owner : `@${owner}`);

/**
 * The one sticky comment, found again by its hidden marker and updated in place. Only
 * violations at NOTIFY and above are listed; owners of ALERT/BLOCK contracts are mentioned.
 */
export const renderPrComment = (
  verdict: Verdict,
  { marker = PR_COMMENT_MARKER }: { marker?: string } = {},
): string => {
  const shown = verdict.violations.filter((v) => levelActions(v.enforcement).comment);
  const open = shown.filter((v) => !v.waived);
  if (open.length === 0) {
    const waived = shown.length - open.length;
    return [
      marker,
      "### ✅ Covenant: all clear",
      "",
      waived > 0
        ? `Every contract violation in this pull request is waived (${waived}).`
        : "No contract is broken by this pull request.",
      "",
      ...changesSummary(verdict),
      ...findingsSummary(verdict),
      ...impactMarkdown(verdict, { fold: true }),
      "",
    ].join("\n");
  }
  const owners = [
    ...new Set(open.filter((v) => levelActions(v.enforcement).requestReview).flatMap((v) => v.owners ?? [])),
  ];
  const heading =
    verdict.conclusion === "failure"
      ? "### ❌ Covenant: this pull request breaks a data contract"
      : "### ⚠️ Covenant: this pull request changes contracted data";
  return [
    marker,
    heading,
    "",
    ...(owners.length > 0 ? [`Contract owners: ${owners.map(mention).join(" ")} — please review.`, ""] : []),
    ...violationTable({ ...verdict, violations: shown }),
    ...changesSummary(verdict),
    ...findingsSummary(verdict),
    ...impactMarkdown(verdict, { fold: true }),
    "",
    "A contract owner can waive a violation with `/covenant waive <violation-id> <reason>`.",
    "",
    "<details><summary>Violation ids</summary>",
    "",
    ...shown.map((v) => `- \`${v.id}\` ${v.rule} ${v.dataset}${v.column ? `.${v.column}` : ""}`),
    "",
    "</details>",
    "",
  ].join("\n");
};
