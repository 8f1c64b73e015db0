import type { Verdict } from "../model/violation.ts";
import { RULES } from "../rules/index.ts";
import { impactJson } from "./render-impact.ts";
import { SARIF_LEVEL, sarifLocations, sarifLog, sarifRules } from "./sarif.ts";

/** SARIF 2.1.0, for GitHub code scanning and other viewers. */
export const renderSarif = (verdict: Verdict, version = "0.1.0"): string => {
  const results = [
    ...verdict.violations.map((v) => ({
      ruleId: v.rule,
      level: SARIF_LEVEL[v.severity],
      message: { text: v.help ? `${v.message} ${v.help}` : v.message },
      locations: sarifLocations(v.file, v.line),
      partialFingerprints: { covenantViolationId: v.id },
      properties: {
        contract: v.contract,
        enforcement: v.enforcement,
        dataset: v.dataset,
        column: v.column ?? null,
      },
      ...(v.waived
        ? { suppressions: [{ kind: "external", justification: `${v.waived.by}: ${v.waived.reason}` }] }
        : {}),
    })),
    ...verdict.findings.map((f) => ({
      ruleId: f.rule,
      level: SARIF_LEVEL[f.severity],
      message: { text: f.message },
      locations: sarifLocations(f.file, f.line),
    })),
  ];
  return sarifLog({
    version,
    rules: sarifRules(
      RULES,
      verdict.findings.map((f) => f.rule),
    ),
    results,
    ...(verdict.impact && verdict.impact.length > 0
      ? { properties: { impact: impactJson(verdict.impact) } }
      : {}),
  });
};
