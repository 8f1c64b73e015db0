import { REPO_CONFIG_PATH } from "../analyze.ts";
import { PROJECT_URL } from "./project-url.ts";
import { codeQualityFingerprint } from "./render-gitlab.ts";

export type CheckError = { code: string; message: string; details?: string[] };

/**
 * What `check` prints when it could not reach a verdict, in the requested format: conclusion
 * `error` (exit 2), so a script reading the output never takes a failed run for a pass.
 */
export const renderCheckError = (
  error: CheckError,
  format: "text" | "json" | "sarif" | "github" | "gitlab",
): string => {
  const text = [error.message, ...(error.details ?? [])].join("\n");
  switch (format) {
    case "json":
      return `${JSON.stringify(
        {
          conclusion: "error",
          error: { code: error.code, message: error.message, details: error.details ?? [] },
          violations: [],
          changes: [],
          findings: [],
        },
        null,
        2,
      )}\n`;
    case "sarif":
      return `${JSON.stringify(
        {
          $schema: "https://json.schemastore.org/sarif-2.1.0.json",
          version: "2.1.0",
          runs: [
            {
              tool: {
                driver: { name: "covenant", informationUri: PROJECT_URL },
              },
              invocations: [
                {
                  executionSuccessful: false,
                  toolExecutionNotifications: [{ level: "error", message: { text } }],
                },
              ],
              results: [],
            },
          ],
        },
        null,
        2,
      )}\n`;
    case "gitlab":
      // Still a report GitLab can read: the merge request shows why nothing was judged.
      return `${JSON.stringify(
        [
          {
            description: `Covenant could not judge this change: ${text}`,
            check_name: "covenant-error",
            fingerprint: codeQualityFingerprint("error", error.code, error.message),
            severity: "blocker",
            location: { path: REPO_CONFIG_PATH, lines: { begin: 1 } },
          },
        ],
        null,
        2,
      )}\n`;
    case "github":
      return `::error title=covenant::${text.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A")}\ncovenant: error\n`;
    default:
      return `covenant: ${[error.message, ...(error.details ?? [])].join("\n  ")}\n`;
  }
};
