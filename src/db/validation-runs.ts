import type { Db } from "./client.ts";
import type { ValidationRun, Violation } from "./generated/sqlite/client.ts";
import { type ViolationRecord, violationData } from "./violations.ts";

export type { ValidationRun as ValidationRunRow } from "./generated/sqlite/client.ts";

/** One rule's result as stored in the run (the engine's RuleResult, plus the violation it recorded). */
export type StoredRuleResult = Record<string, unknown> & {
  rule_id: string;
  status: "passed" | "failed" | "not_evaluated";
  violation_id?: string;
};

/** A failed rule's violation; its key is derived from the run's contract, source and table. */
export type DataViolation = Omit<ViolationRecord, "dedupeKey" | "validationRunId"> & { ruleId: string };

export type NewValidationRun = {
  installationId: string;
  contractId: string;
  contractVersion: string;
  /** The registered source validated; null for rows sent in the request. */
  sourceId?: string | null;
  /** The source's table, or the contract's dataset for rows sent in the request. */
  table: string;
  status: "passed" | "failed" | "error";
  rowsEvaluated: number;
  rulesPassed: number;
  rulesFailed: number;
  results: StoredRuleResult[];
  schema?: unknown;
  error?: string | null;
  createdBy?: string | null;
  startedAt: Date;
  finishedAt: Date;
  /** One per failed rule. */
  violations: DataViolation[];
};

/**
 * One recorded violation per (contract, source, table, rule): every run of the same contract
 * against the same table finds and updates it, so its triage is kept across runs.
 */
export const dataViolationKey = (k: {
  contractId: string;
  sourceId?: string | null;
  table: string;
  ruleId: string;
}): string => `data:${k.contractId}:${k.sourceId ?? "rows"}:${k.table}:${k.ruleId}`;

const appendNote = (notes: string | null, note: string): string => (notes ? `${notes}\n${note}` : note);

/** Who closes a violation whose rule passes again. */
export const AUTO_RESOLVER = "covenant";

export type CreatedValidationRun = {
  run: ValidationRun;
  /** The violations the run found, created or updated. */
  violations: Violation[];
  /** Open violations the run found fixed (their rule passed) and resolved. */
  resolved: Violation[];
};

/**
 * Stores a validation run and its violations, in one transaction, with the lifecycle of data
 * violations: a failing rule creates its violation or updates the existing one (an open or
 * acknowledged one keeps its status, a resolved one is reopened with a note, a waived one stays
 * waived); a rule that passes resolves its open or acknowledged violation as fixed. Rules not
 * evaluated leave their violation alone.
 */
export const createValidationRun = (db: Db, input: NewValidationRun): Promise<CreatedValidationRun> =>
  db.$transaction(async (tx) => {
    const run = await tx.validationRun.create({
      data: {
        installationId: input.installationId,
        contractId: input.contractId,
        contractVersion: input.contractVersion,
        sourceId: input.sourceId ?? null,
        table: input.table,
        status: input.status,
        rowsEvaluated: input.rowsEvaluated,
        rulesPassed: input.rulesPassed,
        rulesFailed: input.rulesFailed,
        results: JSON.stringify(input.results),
        schemaResult: input.schema === undefined ? null : JSON.stringify(input.schema),
        error: input.error ?? null,
        createdBy: input.createdBy ?? null,
        createdAt: input.startedAt,
        finishedAt: input.finishedAt,
      },
    });
    const keyOf = (ruleId: string) =>
      dataViolationKey({
        contractId: input.contractId,
        sourceId: input.sourceId,
        table: input.table,
        ruleId,
      });
    const where = (dedupeKey: string) => ({
      installationId_dedupeKey: { installationId: input.installationId, dedupeKey },
    });

    const violations: Violation[] = [];
    const idOfRule = new Map<string, string>();
    for (const { ruleId, ...record } of input.violations) {
      const dedupeKey = keyOf(ruleId);
      const data = violationData({ ...record, validationRunId: run.id });
      const existing = await tx.violation.findUnique({ where: where(dedupeKey) });
      const row =
        existing?.status === "resolved"
          ? await tx.violation.update({
              where: { id: existing.id },
              data: {
                ...data,
                status: "open",
                resolvedAt: null,
                resolvedBy: null,
                resolution: null,
                notes: appendNote(
                  existing.notes,
                  `Reopened by validation run ${run.id} at ${input.finishedAt.toISOString()} ` +
                    `(it had been resolved by ${existing.resolvedBy ?? "someone"}: ${existing.resolution ?? "no resolution given"}).`,
                ),
              },
            })
          : // Open, acknowledged or waived: the facts are refreshed, the triage is kept. A new one is
            // an upsert, so two runs racing on the same rule end with one row.
            await tx.violation.upsert({
              where: where(dedupeKey),
              create: { installationId: input.installationId, dedupeKey, ...data },
              update: data,
            });
      violations.push(row);
      idOfRule.set(ruleId, row.id);
    }

    const passing = input.results.filter((r) => r.status === "passed").map((r) => keyOf(r.rule_id));
    const resolved: Violation[] = [];
    if (passing.length > 0) {
      const fixed = await tx.violation.findMany({
        where: {
          installationId: input.installationId,
          dedupeKey: { in: passing },
          status: { in: ["open", "acknowledged"] },
        },
      });
      for (const violation of fixed) {
        resolved.push(
          await tx.violation.update({
            where: { id: violation.id },
            data: {
              status: "resolved",
              resolution: "fixed",
              resolvedBy: AUTO_RESOLVER,
              resolvedAt: input.finishedAt,
              notes: appendNote(
                violation.notes,
                `Resolved automatically: the rule passed in validation run ${run.id} ` +
                  `(${input.rowsEvaluated} rows checked at ${input.finishedAt.toISOString()}).`,
              ),
            },
          }),
        );
      }
    }

    if (idOfRule.size === 0) return { run, violations, resolved };
    const results = input.results.map((r) => {
      const id = idOfRule.get(r.rule_id);
      return id ? { ...r, violation_id: id } : r;
    });
    const updated = await tx.validationRun.update({
      where: { id: run.id },
      data: { results: JSON.stringify(results) },
    });
    return { run: updated, violations, resolved };
  });

export const getValidationRun = (db: Db, installationId: string, id: string): Promise<ValidationRun | null> =>
  db.validationRun.findFirst({ where: { id, installationId } });

/** The violation ids a run recorded (its failed rules), in the order of its results. */
export const violationIdsOfRun = (run: Pick<ValidationRun, "results">): string[] => {
  try {
    const results: unknown = JSON.parse(run.results);
    if (!Array.isArray(results)) return [];
    return results
      .map((r: unknown) =>
        r && typeof r === "object" ? (r as { violation_id?: unknown }).violation_id : undefined,
      )
      .filter((id): id is string => typeof id === "string");
  } catch {
    return [];
  }
};

/** A run's violations in their current state (they may have been triaged or resolved since). */
export const listViolationsOfRun = async (
  db: Db,
  run: Pick<ValidationRun, "results" | "installationId">,
): Promise<Violation[]> => {
  const ids = violationIdsOfRun(run);
  if (ids.length === 0) return [];
  const rows = await db.violation.findMany({
    where: { installationId: run.installationId, id: { in: ids } },
  });
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.flatMap((id) => byId.get(id) ?? []);
};
