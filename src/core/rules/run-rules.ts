import { enforcementRank } from "../model/contract-levels.ts";
import { compareByPosition } from "../model/finding.ts";
import type { Violation } from "../model/violation.ts";
import { RULES } from "./index.ts";
import type { RuleContext } from "./rule.ts";

/**
 * Runs every rule. A fact reached through both the base and the edited version of a contract has
 * one id; it is reported once, at the stricter level.
 */
export const runRules = (context: RuleContext): Violation[] => {
  const byId = new Map<string, Violation>();
  for (const rule of RULES) {
    for (const violation of rule.check(context)) {
      const seen = byId.get(violation.id);
      if (!seen || enforcementRank(violation.enforcement) > enforcementRank(seen.enforcement)) {
        byId.set(violation.id, violation);
      }
    }
  }
  return [...byId.values()].sort(compareByPosition);
};
