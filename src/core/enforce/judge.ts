import type { Change } from "../model/change.ts";
import { type EnforcementLevel, enforcementRank } from "../model/contract-levels.ts";
import { compareByPosition, type Finding } from "../model/finding.ts";
import type { Conclusion, Verdict, Violation } from "../model/violation.ts";

export type EnforcementPolicy = { max?: EnforcementLevel; min?: EnforcementLevel };

export type Waiver = { violationId: string; by: string; reason: string; at: string };

export type JudgeInput = {
  violations: readonly Violation[];
  findings: readonly Finding[];
  changes: readonly Change[];
  policy?: EnforcementPolicy;
  waivers?: readonly Waiver[];
};

export type LevelActions = {
  /** Violations are stored in the history. */
  store: boolean;
  /** The sticky PR comment lists them. */
  comment: boolean;
  /** Owners are mentioned in the comment and asked to review. */
  requestReview: boolean;
  /** An unwaived error violation fails the check. */
  canFail: boolean;
};

/** DESIGN.md's enforcement table, as data. */
export const levelActions = (level: EnforcementLevel): LevelActions => {
  const rank = enforcementRank(level);
  return {
    store: rank >= enforcementRank("RECORD"),
    comment: rank >= enforcementRank("NOTIFY"),
    requestReview: rank >= enforcementRank("ALERT"),
    canFail: level === "BLOCK",
  };
};

/**
 * Contract level capped by `policy.max` and raised to `policy.min`. INACTIVE stays INACTIVE: it
 * is the contract owners' explicit switch-off, and a floor meant to make contracts stricter
 * must not wake contracts nobody maintains. A cap of INACTIVE switches everything off.
 */
export const effectiveLevel = (level: EnforcementLevel, policy: EnforcementPolicy = {}): EnforcementLevel => {
  let effective = level;
  if (policy.max !== undefined && enforcementRank(effective) > enforcementRank(policy.max))
    effective = policy.max;
  if (
    effective !== "INACTIVE" &&
    policy.min !== undefined &&
    enforcementRank(effective) < enforcementRank(policy.min)
  ) {
    effective = policy.min;
  }
  return effective;
};

/**
 * DriftGuard-style weight of each rule, per unwaived violation; the total is capped at 100.
 * Required/optional matters for removals: losing a required column breaks more readers.
 */
export const SCORE_WEIGHTS: Record<string, number | { required: number; optional: number }> = {
  "dataset-removed": 60,
  "dataset-renamed": 50,
  "column-removed": { required: 40, optional: 20 },
  "column-renamed": { required: 40, optional: 20 },
  "column-type-changed": 30,
  "column-type-widened": 0,
  "column-became-nullable": 10,
  "column-became-required": 30,
  "required-column-added": 30,
  "primary-key-changed": 40,
  "unique-removed": 10,
  "foreign-key-removed": 10,
  "enum-value-removed": 30,
  "contract-column-missing": { required: 40, optional: 20 },
  "contract-type-mismatch": 30,
  "contract-nullability-mismatch": 25,
  "contract-primary-key-mismatch": 40,
  "pii-column-added": 40,
  "contract-breaking-edit": 40,
  "contract-removed": 40,
  "contract-invalid": 40,
  "sql-parse-error": 30,
  "unverifiable-change": 30,
};

const isRequired = (violation: Violation, changes: readonly Change[]): boolean => {
  if (/\brequired\b/.test(violation.expected ?? "")) return true;
  if (/\boptional\b/.test(violation.expected ?? "")) return false;
  const change = changes.find(
    (c) =>
      (c.kind === "column-removed" || c.kind === "column-renamed") &&
      c.dataset === violation.dataset &&
      c.column === violation.column,
  );
  return change?.baseColumn?.nullable === false;
};

export const violationScore = (violation: Violation, changes: readonly Change[] = []): number => {
  const weight = SCORE_WEIGHTS[violation.rule] ?? (violation.severity === "error" ? 30 : 10);
  if (typeof weight === "number") return weight;
  return isRequired(violation, changes) ? weight.required : weight.optional;
};

export const scoreStatus = (score: number): Verdict["status"] =>
  score === 0 ? "pass" : score < 40 ? "warning" : "breaking";

/**
 * Whether this violation, while unwaived, fails the check: an error on a BLOCK contract, or a
 * contract that does not validate (it cannot be enforced at all, so it must never merge).
 */
export const isBlocking = (v: Violation): boolean =>
  !v.waived &&
  (v.rule === "contract-invalid" || (v.severity === "error" && levelActions(v.enforcement).canFail));

const conclusionOf = (violations: readonly Violation[]): Conclusion => {
  const open = violations.filter((v) => !v.waived && v.severity !== "info");
  if (open.some(isBlocking)) return "failure";
  if (open.some((v) => levelActions(v.enforcement).comment)) return "neutral";
  return "success";
};

/**
 * Violations + levels + policy + waivers -> the verdict. INACTIVE violations are dropped (not
 * stored, not shown); info results stay in `changes` only; waived violations are kept, marked,
 * and neither fail the check nor count in the score.
 */
export const judge = ({ violations, findings, changes, policy, waivers = [] }: JudgeInput): Verdict => {
  const byId = new Map(waivers.map((waiver) => [waiver.violationId, waiver]));
  const judged: Violation[] = [];
  for (const violation of violations) {
    if (violation.severity === "info") continue;
    const enforcement =
      violation.rule === "contract-invalid"
        ? violation.enforcement
        : effectiveLevel(violation.enforcement, policy);
    if (enforcement === "INACTIVE" && violation.rule !== "contract-invalid") continue;
    const waiver = violation.rule === "contract-invalid" ? undefined : byId.get(violation.id);
    judged.push({
      ...violation,
      enforcement,
      ...(waiver ? { waived: { by: waiver.by, reason: waiver.reason, at: waiver.at } } : {}),
    });
  }
  judged.sort(compareByPosition);
  const score = Math.min(
    100,
    judged.filter((v) => !v.waived).reduce((sum, v) => sum + violationScore(v, changes), 0),
  );
  return {
    conclusion: conclusionOf(judged),
    score,
    status: scoreStatus(score),
    violations: judged,
    changes: [...changes],
    findings: [...findings].sort(compareByPosition),
  };
};
