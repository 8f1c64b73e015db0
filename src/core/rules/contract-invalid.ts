import type { Rule } from "./rule.ts";
import { violationId } from "./rule.ts";

export const contractInvalid: Rule = {
  id: "contract-invalid",
  severity: "error",
  description: "A contract file added or edited by the PR does not validate (always fails the check).",
  check: (context) =>
    context.invalidContracts.flatMap((invalid) =>
      invalid.issues.map((issue) => ({
        id: violationId({
          rule: "contract-invalid",
          contract: invalid.name ?? invalid.file,
          dataset: invalid.file,
          column: issue.path,
          detail: issue.message,
        }),
        rule: "contract-invalid",
        severity: "error" as const,
        contract: invalid.name ?? invalid.file,
        enforcement: invalid.enforcement,
        owners: invalid.owners,
        dataset: invalid.file,
        file: issue.file,
        line: issue.line,
        message: `${issue.file}:${issue.line}:${issue.column} ${issue.message}`,
        help: "Fix the contract file so it validates; an invalid contract cannot be enforced, so the check fails until it does.",
        expected: "a valid contract",
        actual: issue.message,
      })),
    ),
};
