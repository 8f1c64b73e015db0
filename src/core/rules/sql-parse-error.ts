import type { Rule } from "./rule.ts";

/**
 * Statements that cannot be understood are findings reported by replay, not violations; the
 * rule is registered so that its id and description reach SARIF and the docs.
 */
export const sqlParseError: Rule = {
  id: "sql-parse-error",
  severity: "warning",
  description: "A statement could not be parsed or understood; analysis continues with the next one.",
  check: () => [],
};
