import type { Rule } from "./rule.ts";

/**
 * Widening keeps every value readers could see before, so it is a note in `changes` and the
 * summary, never a violation: the check never changes the conclusion.
 */
export const columnTypeWidened: Rule = {
  id: "column-type-widened",
  severity: "info",
  description:
    "A column's type widens within its family (longer varchar, int -> bigint); listed in changes only.",
  check: () => [],
};
