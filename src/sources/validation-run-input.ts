import type { Contract } from "../core/model/contract.ts";
import { dataRuleId, type RuleResult } from "../core/validate/evaluate-rows.ts";
import type { DataViolation, NewValidationRun, StoredRuleResult } from "../db/validation-runs.ts";

/** The parts of a validation outcome a run records (rows sent in a request, or a source's table). */
export type ValidationSummary = {
  passed: boolean;
  rows_evaluated: number;
  rules_passed: number;
  rules_failed: number;
  results: RuleResult[];
  schema?: unknown;
};

export type RunContext = {
  installationId: string;
  contract: Contract;
  contractId: string;
  contractVersion: string;
  enforcement: string;
  /** Registered source (null for rows sent in the request), with its name for messages. */
  source: { id: string; name: string } | null;
  table: string;
  createdBy: string;
  startedAt: Date;
  finishedAt: Date;
};

/** The violation rule id of a failed result: the engine's rule for schema checks, `data-<kind>` otherwise. */
export const violationRuleOf = (result: RuleResult): string =>
  result.kind === "schema" && result.rule ? result.rule : dataRuleId(result.kind);

/**
 * A validation outcome as a run to store, with one violation per failed rule (the lifecycle
 * across runs is the database's: see createValidationRun).
 */
export const validationRunInput = (outcome: ValidationSummary, ctx: RunContext): NewValidationRun => {
  const where = ctx.source ? `${ctx.table} in source "${ctx.source.name}"` : ctx.table;
  const violations: DataViolation[] = outcome.results
    .filter((r) => r.status === "failed")
    .map((r) => ({
      ruleId: r.rule_id,
      fingerprint: `${ctx.contract.name}:${r.rule_id}`,
      rule: violationRuleOf(r),
      // A failed data rule is an error, and so is every contract-vs-schema rule a table can break.
      severity: "error",
      enforcement: ctx.enforcement,
      contractId: ctx.contractId,
      contractName: ctx.contract.name,
      contractVersion: ctx.contractVersion,
      dataset: ctx.table,
      column: r.column,
      message: `${where}: ${r.message} (rule ${r.rule_id}, ${outcome.rows_evaluated} rows checked)`,
      sampleValues: r.sample_values,
    }));
  return {
    installationId: ctx.installationId,
    contractId: ctx.contractId,
    contractVersion: ctx.contractVersion,
    sourceId: ctx.source?.id ?? null,
    table: ctx.table,
    status: outcome.passed ? "passed" : "failed",
    rowsEvaluated: outcome.rows_evaluated,
    rulesPassed: outcome.rules_passed,
    rulesFailed: outcome.rules_failed,
    results: outcome.results as unknown as StoredRuleResult[],
    ...(outcome.schema !== undefined ? { schema: outcome.schema } : {}),
    createdBy: ctx.createdBy,
    startedAt: ctx.startedAt,
    finishedAt: ctx.finishedAt,
    violations,
  };
};
