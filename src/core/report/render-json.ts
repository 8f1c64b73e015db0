import type { Verdict } from "../model/violation.ts";
import { impactJson } from "./render-impact.ts";

/** The stable machine-readable shape documented for `covenant check --format json`. */
export type VerdictJson = {
  conclusion: Verdict["conclusion"];
  score: number;
  status: Verdict["status"];
  violations: Array<{
    id: string;
    rule: string;
    severity: string;
    contract: string;
    enforcement: string;
    dataset: string;
    column: string | null;
    file: string | null;
    line: number | null;
    message: string;
    expected: string | null;
    actual: string | null;
    help?: string;
    waived?: { by: string; reason: string; at: string };
  }>;
  changes: Array<{
    kind: string;
    dataset: string;
    column: string | null;
    file: string | null;
    line: number | null;
    to?: string;
    before?: string;
    after?: string;
  }>;
  findings: Array<{ rule: string; severity: string; file: string; line: number; message: string }>;
  /** The blast radius of each change through the lineage; absent when nothing is downstream. */
  impact?: ReturnType<typeof impactJson>;
};

export const toVerdictJson = (verdict: Verdict): VerdictJson => ({
  conclusion: verdict.conclusion,
  score: verdict.score,
  status: verdict.status,
  violations: verdict.violations.map((v) => ({
    id: v.id,
    rule: v.rule,
    severity: v.severity,
    contract: v.contract,
    enforcement: v.enforcement,
    dataset: v.dataset,
    column: v.column ?? null,
    file: v.file ?? null,
    line: v.line ?? null,
    message: v.message,
    expected: v.expected ?? null,
    actual: v.actual ?? null,
    ...(v.help ? { help: v.help } : {}),
    ...(v.waived ? { waived: v.waived } : {}),
  })),
  changes: verdict.changes.map((c) => ({
    kind: c.kind,
    dataset: c.dataset,
    column: c.column ?? null,
    file: c.location?.file ?? null,
    line: c.location?.line ?? null,
    ...(c.to ? { to: c.to } : {}),
    ...(c.before ? { before: c.before } : {}),
    ...(c.after ? { after: c.after } : {}),
  })),
  findings: verdict.findings.map((f) => ({
    rule: f.rule,
    severity: f.severity,
    file: f.file,
    line: f.line,
    message: f.message,
  })),
  ...(verdict.impact && verdict.impact.length > 0 ? { impact: impactJson(verdict.impact) } : {}),
});

export const renderJson = (verdict: Verdict): string =>
  `${JSON.stringify(toVerdictJson(verdict), null, 2)}\n`;
