import { createHash } from "node:crypto";
import { REPO_CONFIG_PATH } from "../analyze.ts";
import { isBlocking } from "../enforce/judge.ts";
import type { Verdict, Violation } from "../model/violation.ts";

/** One issue of a GitLab Code Quality report (the CodeClimate subset GitLab reads). */
export type CodeQualityIssue = {
  description: string;
  check_name: string;
  fingerprint: string;
  severity: "info" | "minor" | "major" | "critical" | "blocker";
  location: { path: string; lines: { begin: number } };
};

// GitLab shows blocker and critical issues first; blocker is kept for what fails the check, as
// the App keeps "failure" annotations for it.
const violationSeverity = (v: Violation): CodeQualityIssue["severity"] =>
  isBlocking(v)
    ? "blocker"
    : v.severity === "error"
      ? "critical"
      : v.severity === "warning"
        ? "major"
        : "info";

const FINDING_SEVERITY = { error: "critical", warning: "minor", info: "info" } as const;

const hash = (...parts: string[]): string => createHash("sha256").update(parts.join("\u0000")).digest("hex");

/** A fingerprint of Covenant's own, made of the parts that identify an issue. */
export const codeQualityFingerprint = (...parts: string[]): string => hash("covenant", ...parts);

/**
 * GitLab Code Quality report: a JSON array GitLab collects with `artifacts: reports: codequality`
 * and shows in the merge request widget and diff. GitLab tells new issues from fixed ones by
 * comparing fingerprints between the base's report and the MR's, so a fingerprint must stay the
 * same when unrelated lines move: a violation's is its stable id (rule, contract, dataset,
 * column), a finding's its rule, file and message; never a line number. Waived violations are
 * not issues and are left out. A violation without a file (a contract registered through the
 * API) is placed on the repository configuration, the file that binds the repository to it.
 */
export const gitlabCodeQuality = (verdict: Verdict): CodeQualityIssue[] => {
  const seen = new Map<string, number>();
  const unique = (fingerprint: string): string => {
    const n = seen.get(fingerprint) ?? 0;
    seen.set(fingerprint, n + 1);
    return n === 0 ? fingerprint : hash(fingerprint, String(n));
  };
  return [
    ...verdict.violations
      .filter((v) => !v.waived)
      .map((v) => ({
        description: `${v.contract} (${v.enforcement}): ${v.message}${v.help ? ` Fix: ${v.help}` : ""}`,
        check_name: v.rule,
        fingerprint: unique(codeQualityFingerprint("violation", v.id)),
        severity: violationSeverity(v),
        location: { path: v.file ?? REPO_CONFIG_PATH, lines: { begin: Math.max(1, v.line ?? 1) } },
      })),
    ...verdict.findings.map((f) => ({
      description: f.message,
      check_name: f.rule,
      fingerprint: unique(codeQualityFingerprint("finding", f.rule, f.file, f.message)),
      severity: FINDING_SEVERITY[f.severity],
      location: { path: f.file, lines: { begin: Math.max(1, f.line) } },
    })),
  ];
};

export const renderGitlab = (verdict: Verdict): string =>
  `${JSON.stringify(gitlabCodeQuality(verdict), null, 2)}\n`;
