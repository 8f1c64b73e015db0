import type { Db } from "./client.ts";
import type { ValidationRun } from "./generated/sqlite/client.ts";
import { type ViolationRecord, violationData } from "./violations.ts";

export type { ValidationRun as ValidationRunRow } from "./generated/sqlite/client.ts";

export type NewValidationRun = {
  installationId: string;
  contractId: string;
  contractVersion: string;
  status: "passed" | "failed" | "error";
  rowsEvaluated: number;
  rulesPassed: number;
  rulesFailed: number;
  results: unknown[];
  createdBy?: string | null;
  startedAt: Date;
  finishedAt: Date;
  /** One per failed rule; their dedupeKey is prefixed with the run id so runs never merge. */
  violations: Omit<ViolationRecord, "dedupeKey" | "validationRunId">[];
};

/** Stores a validation run and the violations it found, in one transaction. */
export const createValidationRun = (db: Db, input: NewValidationRun): Promise<ValidationRun> =>
  db.$transaction(async (tx) => {
    const run = await tx.validationRun.create({
      data: {
        installationId: input.installationId,
        contractId: input.contractId,
        contractVersion: input.contractVersion,
        status: input.status,
        rowsEvaluated: input.rowsEvaluated,
        rulesPassed: input.rulesPassed,
        rulesFailed: input.rulesFailed,
        results: JSON.stringify(input.results),
        createdBy: input.createdBy ?? null,
        createdAt: input.startedAt,
        finishedAt: input.finishedAt,
      },
    });
    if (input.violations.length > 0) {
      await tx.violation.createMany({
        data: input.violations.map((v) => ({
          installationId: input.installationId,
          dedupeKey: `validation:${run.id}:${v.fingerprint}`,
          ...violationData({ ...v, validationRunId: run.id }),
        })),
      });
    }
    return run;
  });

export const getValidationRun = (db: Db, installationId: string, id: string): Promise<ValidationRun | null> =>
  db.validationRun.findFirst({ where: { id, installationId } });
