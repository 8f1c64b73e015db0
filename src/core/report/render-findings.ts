import type { Finding } from "../model/finding.ts";
import { type RuleDescription, SARIF_LEVEL, sarifLocations, sarifLog, sarifRules } from "./sarif.ts";

// Findings that are not a pull request's verdict (a contract file that does not validate, a data
// check that failed) rendered for the same consumers as `check`: SARIF viewers and GitHub Actions.

const COMMAND = { error: "error", warning: "warning", info: "notice" } as const;

export type { RuleDescription };

/** SARIF 2.1.0 with one result per finding, located at file:line:column where known. */
export const renderFindingsSarif = (
  findings: readonly Finding[],
  rules: readonly RuleDescription[],
  version = "0.1.0",
): string =>
  sarifLog({
    version,
    rules: sarifRules(
      rules,
      findings.map((f) => f.rule),
    ),
    results: findings.map((f) => ({
      ruleId: f.rule,
      level: SARIF_LEVEL[f.severity],
      message: { text: f.help ? `${f.message} ${f.help}` : f.message },
      locations: sarifLocations(f.file, f.line, f.column),
    })),
  });

// Workflow command escaping, as the Actions toolkit does it.
const escapeData = (s: string): string =>
  s.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
const escapeProperty = (s: string): string => escapeData(s).replaceAll(":", "%3A").replaceAll(",", "%2C");

/** One GitHub Actions annotation (`::error file=…,line=…,col=…,title=…::message`) per finding. */
export const renderFindingsGithub = (findings: readonly Finding[], summary?: string): string => {
  const lines = findings.map((f) => {
    const props = [
      ...(f.file ? [`file=${escapeProperty(f.file)}`] : []),
      ...(f.file && f.line > 0 ? [`line=${f.line}`] : []),
      ...(f.file && f.line > 0 && f.column !== undefined ? [`col=${f.column}`] : []),
      `title=${escapeProperty(f.rule)}`,
    ];
    const message = f.help ? `${f.message}\n${f.help}` : f.message;
    return `::${COMMAND[f.severity]} ${props.join(",")}::${escapeData(message)}`;
  });
  if (summary !== undefined) lines.push(summary);
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
};
