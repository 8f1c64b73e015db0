import type { Finding, Severity } from "../model/finding.ts";
import { PROJECT_URL } from "./project-url.ts";

// Findings that are not a pull request's verdict (a contract file that does not validate, a data
// check that failed) rendered for the same consumers as `check`: SARIF viewers and GitHub Actions.

const SARIF_LEVEL = { error: "error", warning: "warning", info: "note" } as const;
const COMMAND = { error: "error", warning: "warning", info: "notice" } as const;

export type RuleDescription = { id: string; description: string; severity: Severity };

/** SARIF 2.1.0 with one result per finding, located at file:line:column where known. */
export const renderFindingsSarif = (
  findings: readonly Finding[],
  rules: readonly RuleDescription[],
  version = "0.1.0",
): string => {
  const described = new Set(rules.map((r) => r.id));
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
            rules: [
              ...rules.map((r) => ({
                id: r.id,
                name: r.id,
                shortDescription: { text: r.description },
                defaultConfiguration: { level: SARIF_LEVEL[r.severity] },
              })),
              ...[...new Set(findings.map((f) => f.rule))]
                .filter((id) => !described.has(id))
                .map((id) => ({ id, name: id, shortDescription: { text: id } })),
            ],
          },
        },
        results: findings.map((f) => ({
          ruleId: f.rule,
          level: SARIF_LEVEL[f.severity],
          message: { text: f.help ? `${f.message} ${f.help}` : f.message },
          locations: f.file
            ? [
                {
                  physicalLocation: {
                    artifactLocation: { uri: f.file },
                    region: {
                      startLine: Math.max(1, f.line),
                      ...(f.column !== undefined ? { startColumn: Math.max(1, f.column) } : {}),
                    },
                  },
                },
              ]
            : [],
        })),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
};

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
