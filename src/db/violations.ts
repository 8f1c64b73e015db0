import { CovenantError } from "../core/errors.ts";
import type { Db } from "./client.ts";
import type { Violation } from "./generated/sqlite/client.ts";
import { type Page, type PageRequest, paginate } from "./pagination.ts";

export type { Violation as ViolationRow } from "./generated/sqlite/client.ts";

/** One violation as the engine (App, CLI upload, data validation) reports it. */
export type ViolationRecord = {
  /** The same fact on the same PR (or validation run) is one row: e.g. `${repo}#${pr}:${fingerprint}`. */
  dedupeKey: string;
  fingerprint: string;
  rule: string;
  severity: string;
  enforcement: string;
  contractId?: string | null;
  contractName: string;
  contractVersion?: string | null;
  dataset: string;
  column?: string | null;
  message: string;
  help?: string | null;
  expected?: string | null;
  actual?: string | null;
  file?: string | null;
  line?: number | null;
  repositoryId?: string | null;
  gitHash?: string | null;
  gitRepo?: string | null;
  prNumber?: number | null;
  prLink?: string | null;
  author?: string | null;
  reviewers?: string[];
  mergedAt?: Date | null;
  mergeCommitSha?: string | null;
  sampleValues?: unknown[];
  validationRunId?: string | null;
};

/** A record's columns as stored (JSON documents as text); shared by every writer of violations. */
export const violationData = (record: Omit<ViolationRecord, "dedupeKey">) => ({
  fingerprint: record.fingerprint,
  rule: record.rule,
  severity: record.severity,
  enforcement: record.enforcement,
  contractId: record.contractId ?? null,
  contractName: record.contractName,
  contractVersion: record.contractVersion ?? null,
  dataset: record.dataset,
  column: record.column ?? null,
  message: record.message,
  help: record.help ?? null,
  expected: record.expected ?? null,
  actual: record.actual ?? null,
  file: record.file ?? null,
  line: record.line ?? null,
  repositoryId: record.repositoryId ?? null,
  gitHash: record.gitHash ?? null,
  gitRepo: record.gitRepo ?? null,
  prNumber: record.prNumber ?? null,
  prLink: record.prLink ?? null,
  author: record.author ?? null,
  reviewers: JSON.stringify(record.reviewers ?? []),
  mergedAt: record.mergedAt ?? null,
  mergeCommitSha: record.mergeCommitSha ?? null,
  sampleValues: JSON.stringify(record.sampleValues ?? []),
  validationRunId: record.validationRunId ?? null,
});

/**
 * Records violations idempotently, keyed by (installation, dedupeKey), in one transaction: a
 * redelivered webhook or a new push updates the facts in place and keeps the triage (status,
 * resolution, waiver) people already gave.
 */
export const recordViolations = (
  db: Db,
  installationId: string,
  records: readonly ViolationRecord[],
): Promise<Violation[]> =>
  db.$transaction(async (tx) => {
    const rows: Violation[] = [];
    for (const record of records) {
      const data = violationData(record);
      rows.push(
        await tx.violation.upsert({
          where: { installationId_dedupeKey: { installationId, dedupeKey: record.dedupeKey } },
          create: { installationId, dedupeKey: record.dedupeKey, ...data },
          update: data,
        }),
      );
    }
    return rows;
  });

export type ViolationFilters = {
  status?: string;
  rule?: string;
  /** owner/name */
  repo?: string;
  pr?: number;
  contractId?: string;
  since?: Date;
  /** Data violations found against this registered source (through their latest run). */
  sourceId?: string;
  /** Only these ids (e.g. the violations one validation run recorded). */
  ids?: readonly string[];
  /** pr: found on a pull request; data: found by validating data. */
  origin?: "pr" | "data";
};

/** Newest first. */
export const listViolations = (
  db: Db,
  installationId: string,
  filters: ViolationFilters,
  page: PageRequest,
): Promise<Page<Violation>> =>
  paginate<Violation>(db.violation, {
    where: {
      installationId,
      ...(filters.status ? { status: filters.status } : {}),
      ...(filters.rule ? { rule: filters.rule } : {}),
      ...(filters.repo ? { gitRepo: filters.repo } : {}),
      ...(filters.pr !== undefined ? { prNumber: filters.pr } : {}),
      ...(filters.contractId ? { contractId: filters.contractId } : {}),
      ...(filters.since ? { detectedAt: { gte: filters.since } } : {}),
      ...(filters.sourceId ? { validationRun: { sourceId: filters.sourceId } } : {}),
      ...(filters.ids ? { id: { in: [...filters.ids] } } : {}),
      ...(filters.origin === "pr" ? { prNumber: { not: null } } : {}),
      // Ids are never empty, so `> ''` is IS NOT NULL, in the form SQLite's planner takes for a
      // selective range: it reads the data violations through their index and sorts them, where
      // IS NOT NULL (assumed true of most rows) walks every violation in date order looking for them.
      ...(filters.origin === "data" ? { validationRunId: { gt: "" } } : {}),
    },
    field: "detectedAt",
    direction: "desc",
    request: page,
  });

export const getViolation = (db: Db, installationId: string, id: string): Promise<Violation | null> =>
  db.violation.findFirst({ where: { id, installationId } });

export type ViolationStatusChange = {
  installationId: string;
  id: string;
  from: string;
  to: string;
  at: Date;
  by?: string | null;
  resolution?: string | null;
  notes?: string | null;
  waiverReason?: string | null;
};

/** Conditional on the status the caller read, so concurrent triage cannot both win. */
export const updateViolationStatus = async (db: Db, change: ViolationStatusChange): Promise<Violation> => {
  const stamp =
    change.to === "resolved"
      ? { resolvedAt: change.at, resolvedBy: change.by ?? null, resolution: change.resolution ?? null }
      : change.to === "waived"
        ? { waivedAt: change.at, waivedBy: change.by ?? null, waiverReason: change.waiverReason ?? null }
        : {};
  const { count } = await db.violation.updateMany({
    where: { id: change.id, installationId: change.installationId, status: change.from },
    data: { status: change.to, ...stamp, ...(change.notes != null ? { notes: change.notes } : {}) },
  });
  if (count === 0) {
    throw new CovenantError(
      "conflict",
      `The violation is no longer ${change.from} (changed concurrently); read it again and retry.`,
    );
  }
  const row = await getViolation(db, change.installationId, change.id);
  if (!row) throw new CovenantError("not_found", "Violation not found.");
  return row;
};
