import { randomUUID } from "node:crypto";
import type { Db } from "./client.ts";
import type { Job } from "./generated/sqlite/client.ts";
import { Prisma } from "./generated/sqlite/client.ts";

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
  /** Covenant's installation whose API keys may see the job (jobs started through the API). */
  installationId?: string;
  /** GitHub's installation id (jobs started by a webhook: known without a database lookup). */
  githubInstallationId?: number;
};

export type EnqueueOutcome = "created" | "merged" | "requeued" | "unchanged";
export type EnqueueJobResult = { id: string; outcome: EnqueueOutcome };

/**
 * The states of a job. `dead` is the dead letter: every attempt was used (or its worker died on the
 * last one); it stays there, with its last error, until it is re-run.
 */
export const JOB_STATUSES = ["queued", "running", "done", "dead"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

const now = () => new Date();

/**
 * One INSERT that does nothing when the dedupe key exists, for PostgreSQL and SQLite (both know
 * `ON CONFLICT`): a new job, the common case, costs one statement and never raises an error.
 */
const insertJobSql = (db: Db, id: string, input: EnqueueJobInput, at: Date, onlyIf?: Prisma.Sql) => {
  const pg = db.provider === "postgresql";
  const ts = (value: Date) => (pg ? Prisma.sql`${value}::timestamp(3)` : Prisma.sql`${value}`);
  const gh =
    input.githubInstallationId === undefined
      ? Prisma.sql`NULL`
      : pg
        ? Prisma.sql`${input.githubInstallationId}::bigint`
        : Prisma.sql`${input.githubInstallationId}`;
  return Prisma.sql`INSERT INTO "Job" ("id", "kind", "dedupeKey", "payload", "status", "attempts", "runAt",
      "installationId", "githubInstallationId", "createdAt", "updatedAt")
    SELECT ${id}, ${input.kind}, ${input.dedupeKey}, ${JSON.stringify(input.payload ?? null)}, 'queued', 0,
      ${ts(input.runAt ?? at)}, ${input.installationId ?? null}, ${gh}, ${ts(at)}, ${ts(at)}
    ${onlyIf ?? Prisma.sql`WHERE true`}
    ON CONFLICT ("dedupeKey") DO NOTHING RETURNING "id"`;
};

/**
 * The dedupe key already has a row: a queued job takes the newer payload, a finished or running
 * one stays as it is unless `rerun` asks for it again. The update is conditional on the row's
 * state, so a concurrent change is noticed and the decision is taken again.
 */
export const mergeIntoExisting = async (db: Db, input: EnqueueJobInput): Promise<EnqueueJobResult> => {
  const payload = JSON.stringify(input.payload ?? null);
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await db.job.findUnique({
      where: { dedupeKey: input.dedupeKey },
      select: { id: true, status: true, attempts: true },
    });
    if (!existing) {
      const id = randomUUID();
      const created = await db.$queryRaw<{ id: string }[]>(insertJobSql(db, id, input, now()));
      if (created.length === 1) return { id, outcome: "created" };
      continue;
    }
    if (existing.status !== "queued" && !input.rerun) return { id: existing.id, outcome: "unchanged" };
    const same = { id: existing.id, status: existing.status, attempts: existing.attempts };
    // A running job that is re-queued loses its lease: its worker's completion then matches no row
    // and the job runs again with the newer payload.
    const { count } = await db.job.updateMany({
      where: same,
      data:
        existing.status === "queued"
          ? { payload }
          : {
              payload,
              status: "queued",
              attempts: 0,
              runAt: input.runAt ?? now(),
              lockedBy: null,
              lockedUntil: null,
              lastError: null,
            },
    });
    if (count === 1)
      return { id: existing.id, outcome: existing.status === "queued" ? "merged" : "requeued" };
  }
  throw new Error(`could not enqueue job ${input.dedupeKey}: it kept changing under us`);
};

/** Queues a job once per dedupe key; safe to call for every redelivered or repeated event. */
export const enqueueJob = async (db: Db, input: EnqueueJobInput): Promise<EnqueueJobResult> => {
  const id = randomUUID();
  const created = await db.$queryRaw<{ id: string }[]>(insertJobSql(db, id, input, now()));
  if (created.length === 1) return { id, outcome: "created" };
  return mergeIntoExisting(db, input);
};

export type RecordDeliveryResult = {
  /** False for a redelivery (GitHub redelivers with the same id): nothing was queued. */
  fresh: boolean;
  jobs: EnqueueJobResult[];
};

export type DeliveryJobs = { id: string; event: string; jobs: readonly EnqueueJobInput[] };

export type ClaimJobInput = {
  workerId: string;
  leaseMs: number;
  now?: Date;
  kinds?: string[];
  /** A job whose lease expired on this attempt is not taken over (see `buryAbandonedJobs`). */
  maxAttempts?: number;
};

/**
 * Takes the next due job in one statement: a queued one whose time has come, or a running one
 * whose lease expired (its worker crashed, was killed or lost the database: the error says whose).
 * On PostgreSQL the row is chosen `FOR UPDATE SKIP LOCKED`, so workers of every instance take
 * different jobs without waiting on each other; SQLite runs one writer at a time, which makes the
 * same statement atomic there.
 */
export const claimJob = async (
  db: Db,
  { workerId, leaseMs, now: at = now(), kinds, maxAttempts = 1_000_000 }: ClaimJobInput,
): Promise<Job | null> => {
  if (kinds && kinds.length === 0) return null;
  const pg = db.provider === "postgresql";
  const ts = (value: Date) => (pg ? Prisma.sql`${value}::timestamp(3)` : Prisma.sql`${value}`);
  const kindFilter = kinds ? Prisma.sql`AND "kind" IN (${Prisma.join(kinds)})` : Prisma.empty;
  // SET reads the row as it was: "status" = 'running' means the job is taken over.
  const rows = await db.$queryRaw<Record<string, unknown>[]>(
    Prisma.sql`UPDATE "Job" SET "status" = 'running', "attempts" = "attempts" + 1, "lockedBy" = ${workerId},
        "lockedUntil" = ${ts(new Date(at.getTime() + leaseMs))}, "updatedAt" = ${ts(at)},
        "lastError" = CASE WHEN "status" = 'running'
          THEN 'attempt ' || "attempts" || ': worker ' || COALESCE("lockedBy", '?') || ${` stopped renewing its lease (crashed, killed or cut off from the database); taken over by ${workerId}`}
          ELSE "lastError" END
      WHERE "id" = (
        SELECT "id" FROM "Job"
        WHERE (("status" = 'queued' AND "runAt" <= ${ts(at)})
            OR ("status" = 'running' AND "lockedUntil" < ${ts(at)} AND "attempts" < ${maxAttempts}))
          ${kindFilter}
        ORDER BY "runAt" LIMIT 1 ${pg ? Prisma.sql`FOR UPDATE SKIP LOCKED` : Prisma.empty}
      )
      RETURNING ${JOB_COLUMNS}`,
  );
  // The claimed row comes back from the UPDATE itself: no second query (a batch of the ORM's
  // lookups, when workers claim together, is compiled afresh for its size, on the main thread).
  return rows[0] ? jobOf(rows[0]) : null;
};

const JOB_COLUMNS = Prisma.raw(
  [
    "id",
    "kind",
    "dedupeKey",
    "payload",
    "status",
    "attempts",
    "runAt",
    "lockedBy",
    "lockedUntil",
    "lastError",
    "installationId",
    "githubInstallationId",
    "createdAt",
    "updatedAt",
  ]
    .map((c) => `"${c}"`)
    .join(", "),
);

/** A raw row as the ORM's model gives it: dates as Date, the GitHub installation id as bigint. */
const jobOf = (row: Record<string, unknown>): Job => {
  const date = (value: unknown) => (value === null || value === undefined ? null : new Date(value as string));
  const gh = row.githubInstallationId;
  return {
    ...(row as Job),
    attempts: Number(row.attempts),
    runAt: date(row.runAt)!,
    lockedUntil: date(row.lockedUntil),
    createdAt: date(row.createdAt)!,
    updatedAt: date(row.updatedAt)!,
    githubInstallationId: gh === null || gh === undefined ? null : BigInt(gh as number),
  };
};

/**
 * Moves to the dead letter the jobs whose worker stopped renewing the lease on their last attempt:
 * a job that kills its worker (out of memory, a crash in native code) would otherwise be taken
 * over, and kill the next worker, forever. Answers how many were buried.
 */
export const buryAbandonedJobs = async (
  db: Db,
  { maxAttempts, kinds, now: at = now() }: { maxAttempts: number; kinds?: string[]; now?: Date },
): Promise<number> => {
  if (kinds && kinds.length === 0) return 0;
  const pg = db.provider === "postgresql";
  const ts = (value: Date) => (pg ? Prisma.sql`${value}::timestamp(3)` : Prisma.sql`${value}`);
  const kindFilter = kinds ? Prisma.sql`AND "kind" IN (${Prisma.join(kinds)})` : Prisma.empty;
  return db.$executeRaw(
    Prisma.sql`UPDATE "Job" SET "status" = 'dead', "updatedAt" = ${ts(at)}, "lockedUntil" = NULL,
        "lastError" = 'attempt ' || "attempts" || ${` of ${maxAttempts}: worker `} || COALESCE("lockedBy", '?')
          || ' stopped renewing its lease (crashed, killed or cut off from the database); not retried again, in case the job itself stops its workers',
        "lockedBy" = NULL
      WHERE "status" = 'running' AND "lockedUntil" < ${ts(at)} AND "attempts" >= ${maxAttempts} ${kindFilter}`,
  );
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

/** Puts a failed job back for a later attempt, or moves it to the dead letter (`dead`) for good. */
export const failJob = async (
  db: Db,
  { id, workerId, error, retryAt }: { id: string; workerId: string; error: string; retryAt: Date | null },
) => {
  const { count } = await db.job.updateMany({
    where: { id, lockedBy: workerId, status: "running" },
    data:
      retryAt === null
        ? { status: "dead", lockedBy: null, lockedUntil: null, lastError: error }
        : { status: "queued", runAt: retryAt, lockedBy: null, lockedUntil: null, lastError: error },
  });
  return count === 1;
};

/**
 * Gives back a job whose run was interrupted by this instance shutting down: queued again and due
 * now, with the attempt it used not counted (the run did not fail), so a restart or another
 * instance takes it at once.
 */
export const releaseJob = async (
  db: Db,
  { id, workerId, reason }: { id: string; workerId: string; reason: string },
) => {
  const { count } = await db.job.updateMany({
    where: { id, lockedBy: workerId, status: "running" },
    data: {
      status: "queued",
      runAt: now(),
      attempts: { decrement: 1 },
      lockedBy: null,
      lockedUntil: null,
      lastError: reason,
    },
  });
  return count === 1;
};

export const countJobsByStatus = async (db: Db): Promise<Record<string, number>> => {
  const groups = await db.job.groupBy({ by: ["status"], _count: { _all: true } });
  return Object.fromEntries(groups.map((group) => [group.status, group._count._all]));
};
