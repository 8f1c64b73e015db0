import type { Change } from "./change.ts";
import type { EnforcementLevel } from "./contract-levels.ts";
import type { Finding, Severity } from "./finding.ts";
import type { Impact } from "./impact.ts";

/** A change that breaks a contract, judged by one rule. */
export type Violation = {
  /** Stable id: a hash of rule, contract, dataset, column — the same fact keeps its id across pushes. */
  id: string;
  rule: string;
  severity: Severity;
  contract: string;
  contractVersion?: string;
  enforcement: EnforcementLevel;
  /** The contract's owners (GitHub users or teams), mentioned and asked to review at ALERT/BLOCK. */
  owners?: string[];
  dataset: string;
  column?: string;
  file?: string;
  line?: number;
  message: string;
  /** What to do instead. */
  help?: string;
  expected?: string;
  actual?: string;
  waived?: { by: string; reason: string; at: string };
};

export type Conclusion = "success" | "neutral" | "failure";

export type Verdict = {
  conclusion: Conclusion;
  /** DriftGuard score 0–100 and its band. */
  score: number;
  status: "pass" | "warning" | "breaking";
  violations: Violation[];
  changes: Change[];
  findings: Finding[];
  /** The blast radius of each change through the lineage (dbt models, exposures, owners). */
  impact?: Impact[];
};
