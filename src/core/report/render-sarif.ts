import type { Verdict } from "../model/violation.ts";
import { RULES } from "../rules/index.ts";
import { PROJECT_URL } from "./project-url.ts";
import { impactJson } from "./render-impact.ts";

const LEVEL = { error: "error", warning: "warning", info: "note" } as const;

/** SARIF 2.1.0, for GitHub code scanning and other viewers. */
export const renderSarif = (verdict: Verdict, version = "0.1.0"): string => {
  const knownIds = new Set(RULES.map((rule) => rule.id));
  const extraRules = [...new Set(verdict.findings.map((f) => f.rule))].filter((id) => !knownIds.has(id));
  const rules = [
    ...RULES.map((rule) => ({
      id: rule.id,
      name: rule.id,
      shortDescription: { text: rule.description },
      defaultConfiguration: { level: LEVEL[rule.severity] },
    })),
    ...extraRules.map((id) => ({ id, name: id, shortDescription: { text: id } })),
  ];
  const location = (file: string | undefined, line: number | undefined) =>
    file
      ? [
          {
            physicalLocation: {
              artifactLocation: { uri: file },
              region: { startLine: Math.max(1, line ?? 1) },
            },
          },
        ]
      : [];
  const results = [
    ...verdict.violations.map((v) => ({
      ruleId: v.rule,
      level: LEVEL[v.severity],
      message: { text: v.help ? `${v.message} ${v.help}` : v.message },
      locations: location(v.file, v.line),
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
      level: LEVEL[f.severity],
      message: { text: f.message },
      locations: location(f.file, f.line),
    })),
  ];
  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "covenant",
            version,
            informationUri: PROJECT_URL,
            rules,
          },
        },
        results,
        ...(verdict.impact && verdict.impact.length > 0
          ? { properties: { impact: impactJson(verdict.impact) } }
          : {}),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
};
