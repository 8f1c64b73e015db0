import type { Severity } from "../model/finding.ts";
import { PROJECT_URL } from "./project-url.ts";

// The parts of a SARIF 2.1.0 log that `check` (a verdict) and `validate` (findings) share.

export const SARIF_LEVEL = { error: "error", warning: "warning", info: "note" } as const;

export type RuleDescription = { id: string; description: string; severity: Severity };

/** The tool's rules: the described ones, then any other rule a result names, by id alone. */
export const sarifRules = (described: readonly RuleDescription[], used: readonly string[]) => {
  const known = new Set(described.map((r) => r.id));
  return [
    ...described.map((r) => ({
      id: r.id,
      name: r.id,
      shortDescription: { text: r.description },
      defaultConfiguration: { level: SARIF_LEVEL[r.severity] },
    })),
    ...[...new Set(used)]
      .filter((id) => !known.has(id))
      .map((id) => ({ id, name: id, shortDescription: { text: id } })),
  ];
};

/** A result's locations: none without a file, else the file at its line (and column when known). */
export const sarifLocations = (file: string | undefined, line: number | undefined, column?: number) =>
  file
    ? [
        {
          physicalLocation: {
            artifactLocation: { uri: file },
            region: {
              startLine: Math.max(1, line ?? 1),
              ...(column !== undefined ? { startColumn: Math.max(1, column) } : {}),
            },
          },
        },
      ]
    : [];

/** The whole log, one run of Covenant, as the text written out. */
export const sarifLog = ({
  version,
  rules,
  results,
  properties,
}: {
  version: string;
  rules: unknown[];
  results: unknown[];
  properties?: Record<string, unknown>;
}): string => {
  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: { driver: { name: "covenant", version, informationUri: PROJECT_URL, rules } },
        results,
        ...(properties ? { properties } : {}),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
};
