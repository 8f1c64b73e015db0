import type { Db } from "./client.ts";
import { isUniqueViolation } from "./errors.ts";
import type { Job } from "./generated/sqlite/client.ts";

export type { Job } from "./generated/sqlite/client.ts";

export type EnqueueJobInput = {
  kind: string;
  /** The same logical job (e.g. `analyze:<repo>:<head sha>`) is one row. */
  dedupeKey: string;
  payload: unknown;
  runAt?: Date;
  /**
   * Run it again even if it already ran (a re-requested check, a new waiver). Without it, a job
   * that is done stays done and a queued one only takes the newer payload.
   */
  rerun?: boolean;
};

export type EnqueueJobResult = { job: Job; outcome: "created" | "merged" | "requeued" | "unchanged" };

/** Queues a job once per dedupe key; safe to call for every redelivered or repeated event. */
export const enqueueJob = async (db: Db, input: EnqueueJobInput): Promise<EnqueueJobResult> => {
  const payload = JSON.stringify(input.payload);
  const runAt = input.runAt ?? new Date();
  // Insert first: a new job (the common case) costs one statement.
  try {
    const job = await db.job.create({
      data: { kind: input.kind, dedupeKey: input.dedupeKey, payload, runAt },
    });
    return { job, outcome: "created" };
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await db.job.findUnique({ where: { dedupeKey: input.dedupeKey } });
    if (!existing) {
      try {
        const job = await db.job.create({
          data: { kind: input.kind, dedupeKey: input.dedupeKey, payload, runAt },
        });
        return { job, outcome: "created" };
      } catch (error) {
        if (isUniqueViolation(error)) continue;
        throw error;
      }
    }
    if (existing.status === "queued") {
      const job = await db.job.update({ where: { id: existing.id }, data: { payload } });
      return { job, outcome: "merged" };
    }
    if (!input.rerun) return { job: existing, outcome: "unchanged" };
    // A running job that is re-queued loses its lease: its worker's completion then matches no row
    // and the job runs again with the newer payload.
    const job = await db.job.update({
      where: { id: existing.id },
      data: {
        payload,
        status: "queued",
        attempts: 0,
        runAt,
        lockedBy: null,
        lockedUntil: null,
        lastError: null,
      },
    });
    return { job, outcome: "requeued" };
  }
  throw new Error(`could not enqueue job ${input.dedupeKey}: it kept changing under us`);
};

export type ClaimJobInput = { workerId: string; leaseMs: number; now?: Date; kinds?: string[] };

/**
 * Takes the next due job: a queued one whose time has come, or a running one whose lease expired
 * (its worker crashed). The claim is a conditional update on the row's (status, attempts), so two
 * workers — in one process or on two instances sharing PostgreSQL — never hold the same job.
 */
export const claimJob = async (db: Db, { workerId, leaseMs, now = new Date(), kinds }: ClaimJobInput) => {
  const kindFilter = kinds ? { kind: { in: kinds } } : {};
  const candidates = await db.job.findMany({
    where: {
      ...kindFilter,
      OR: [
        { status: "queued", runAt: { lte: now } },
        { status: "running", lockedUntil: { lt: now } },
      ],
    },
    orderBy: { runAt: "asc" },
    take: 8,
  });
  for (const candidate of candidates) {
    const { count } = await db.job.updateMany({
      where: { id: candidate.id, status: candidate.status, attempts: candidate.attempts },
      data: {
        status: "running",
        attempts: candidate.attempts + 1,
        lockedBy: workerId,
        lockedUntil: new Date(now.getTime() + leaseMs),
      },
    });
    if (count === 1) return db.job.findUnique({ where: { id: candidate.id } });
  }
  return null;
};

/** Keeps the lease of a long job; false when the job was taken away (re-queued or reclaimed). */
export const extendJobLease = async (
  db: Db,
  { id, workerId, until }: { id: string; workerId: string; until: Date },
) => {
  const { count } = await db.job.updateMany({
    where: { id, lockedBy: workerId, status: "running" },
    data: { lockedUntil: until },
  });
  return count === 1;
};

export const completeJob = async (db: Db, { id, workerId }: { id: string; workerId: string }) => {
  const { count } = await db.job.updateMany({
    where: { id, lockedBy: workerId, status: "running" },
    data: { status: "done", lockedBy: null, lockedUntil: null, lastError: null },
  });
  return count === 1;
};

/** Puts a failed job back for a later attempt, or marks it failed for good. */
export const failJob = async (
  db: Db,
  { id, workerId, error, retryAt }: { id: string; workerId: string; error: string; retryAt: Date | null },
) => {
  const { count } = await db.job.updateMany({
    where: { id, lockedBy: workerId, status: "running" },
    data:
      retryAt === null
        ? { status: "failed", lockedBy: null, lockedUntil: null, lastError: error }
        : { status: "queued", runAt: retryAt, lockedBy: null, lockedUntil: null, lastError: error },
  });
  return count === 1;
};

export const countJobsByStatus = async (db: Db): Promise<Record<string, number>> => {
  const groups = await db.job.groupBy({ by: ["status"], _count: { _all: true } });
  return Object.fromEntries(groups.map((group) => [group.status, group._count._all]));
};
