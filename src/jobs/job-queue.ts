import { hostname } from "node:os";
import type { Db } from "../db/client.ts";
import { type DeliveryWriter, openDeliveryWriter } from "../db/delivery-writer.ts";
import {
  buryAbandonedJobs,
  claimJob,
  completeJob,
  type DeliveryJobs,
  type EnqueueJobInput,
  type EnqueueJobResult,
  enqueueJob,
  extendJobLease,
  failJob,
  type Job,
  type RecordDeliveryResult,
  releaseJob,
} from "../db/jobs.ts";

export type JobContext = {
  id: string;
  kind: string;
  /** 1 for the first run. */
  attempt: number;
  /** No retry follows if this run throws: the handler should leave a visible result behind. */
  lastAttempt: boolean;
  /**
   * Renews the lease now and says whether this run still holds it. A handler asks before its
   * one visible write (the check run): a run that stalled past its lease has been taken over, and
   * the run that took over publishes instead, so a PR never gets two check runs.
   */
  holdsLease: () => Promise<boolean>;
  /**
   * Aborted when this instance shuts down and the run did not end within the shutdown grace: pass
   * it to every request and wait, and publish nothing once it is aborted. The queue gives the job
   * back (queued, due now, the attempt not counted) so a restart or another instance runs it again.
   */
  signal: AbortSignal;
};

export type JobHandler = (payload: unknown, context: JobContext) => Promise<void>;

type Log = {
  info: (obj: object, msg: string) => void;
  warn: (obj: object, msg: string) => void;
  error: (obj: object, msg: string) => void;
};

export type JobQueueOptions = {
  db: Db;
  handlers: Record<string, JobHandler>;
  logger: Log;
  /** Workers in this process; 0 only enqueues (another instance runs the jobs). */
  workers: number;
  /** How long a claimed job is ours before another worker may take it over (renewed while running). */
  leaseMs?: number;
  /** How often an idle worker looks for due jobs (enqueues in this process wake it at once). */
  pollMs?: number;
  maxAttempts?: number;
  /** Delay before attempt n+1: base * 2^(n-1), capped. */
  backoff?: { baseMs: number; maxMs: number };
  /** Names this process's workers in job leases (`<instanceId>:<n>`); default `<host>:<pid>`. */
  instanceId?: string;
  /**
   * Where deliveries are recorded (a connection of its own, never waiting behind the workers'
   * queries); opened on the first delivery unless given. The queue closes it when it stops.
   */
  deliveries?: DeliveryWriter;
  /** How long a worker lets webhooks being answered go first before claiming its next job. */
  ackPriorityMs?: number;
  /**
   * How long after the last webhook was answered workers still wait before claiming: the
   * deliveries of a burst arrive over a few turns of the event loop, with gaps between them.
   */
  ackQuietMs?: number;
  /**
   * How long stop() lets running jobs finish before it aborts them (their `signal`) and gives them
   * back to the queue; 0 aborts at once.
   */
  shutdownGraceMs?: number;
};

export type JobQueue = {
  enqueue: (input: EnqueueJobInput) => Promise<EnqueueJobResult>;
  /** Records a webhook delivery and queues its jobs in one statement (nothing for a redelivery). */
  recordDelivery: (delivery: {
    id: string;
    event: string;
    jobs: readonly EnqueueJobInput[];
  }) => Promise<RecordDeliveryResult>;
  /** Answers a webhook: while any is being answered, workers claim no new job (see `ackPriorityMs`). */
  acknowledging: <T>(answer: () => Promise<T>) => Promise<T>;
  start: () => void;
  /**
   * Stops claiming and waits for running jobs to finish, at most `shutdownGraceMs`: past it, they
   * are aborted and given back to the queue (their attempt not counted).
   */
  stop: () => Promise<void>;
  /** Resolves when no job is queued (not even for a later retry) and no worker is busy (tests). */
  idle: () => Promise<void>;
};

/**
 * Group commit: calls made in the same turn of the event loop (every request whose body arrived
 * in one poll of the sockets), and those made while a write is in flight, are written together in
 * one batch. An idle server adds no delay beyond the end of the current turn, and under a burst of
 * webhooks the database sees a few batched statements instead of one per delivery.
 */
export const groupCommit = <T, R>(write: (batch: T[]) => Promise<R[]>, maxBatch = 200) => {
  type Pending = { item: T; resolve: (result: R) => void; reject: (error: unknown) => void };
  let pending: Pending[] = [];
  let writing = false;
  const flush = async () => {
    while (pending.length > 0) {
      const batch = pending.slice(0, maxBatch);
      pending = pending.slice(batch.length);
      try {
        const results = await write(batch.map((p) => p.item));
        for (const [i, p] of batch.entries()) p.resolve(results[i]!);
      } catch (error) {
        for (const p of batch) p.reject(error);
      }
    }
    writing = false;
  };
  return (item: T): Promise<R> =>
    new Promise<R>((resolve, reject) => {
      pending.push({ item, resolve, reject });
      if (writing) return;
      writing = true;
      setImmediate(() => void flush());
    });
};

/** The shortest wait of a worker looking again for idle() (a claim skipping a locked row, a lease just run out). */
const IDLE_RECHECK_MS = 10;

/**
 * How long an aborted job's handler may take to notice (and write its own last words, as a scan's
 * log line) before the job is given back regardless: a handler stuck where no signal reaches
 * (a request waiting in a client's queue) never holds a shutdown up.
 */
const ABORT_SETTLE_MS = 1_000;

const delay = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

export const retryDelayMs = (attempt: number, { baseMs, maxMs }: { baseMs: number; maxMs: number }): number =>
  Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));

/**
 * The durable background queue on the Job table. Webhook handlers only enqueue; workers claim
 * jobs under a lease, so a crash or restart leaves the job to be taken over when the lease ends.
 */
export const createJobQueue = ({
  db,
  handlers,
  logger,
  workers,
  leaseMs = 5 * 60_000,
  pollMs = 1_000,
  maxAttempts = 5,
  backoff = { baseMs: 2_000, maxMs: 5 * 60_000 },
  instanceId = `${hostname()}:${process.pid}`,
  deliveries,
  ackPriorityMs = 2_000,
  ackQuietMs = 10,
  shutdownGraceMs = 20_000,
}: JobQueueOptions): JobQueue => {
  // Aborted by stop() once the shutdown grace is over; a new one for each start().
  let shutdown = new AbortController();
  const kinds = Object.keys(handlers);
  let running = false;
  let busy = 0;
  const wakers = new Set<() => void>();
  const idleWaiters = new Set<() => void>();
  const loops: Promise<void>[] = [];

  let writer = deliveries;
  const recordDelivery = groupCommit((batch: DeliveryJobs[]) => {
    writer ??= openDeliveryWriter(db);
    return writer.record(batch);
  });

  // Acknowledgements first: a worker claims its next job only once no webhook has been answered
  // for `ackQuietMs` (at most `ackPriorityMs` later, so a steady stream of webhooks never starves
  // the jobs). Jobs share the thread that answers webhooks; a burst is then answered before its
  // jobs start.
  let acking = 0;
  let settling: ReturnType<typeof setTimeout> | undefined;
  const ackWaiters = new Set<() => void>();
  const releaseClaims = () => {
    for (const done of [...ackWaiters]) done();
  };
  const acksAnswered = () =>
    new Promise<void>((resolve) => {
      if (acking === 0 && settling === undefined) return resolve();
      const done = () => {
        clearTimeout(timer);
        ackWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ackPriorityMs);
      ackWaiters.add(done);
    });
  const acknowledging = async <T>(answer: () => Promise<T>): Promise<T> => {
    acking++;
    clearTimeout(settling);
    settling = undefined;
    try {
      return await answer();
    } finally {
      acking--;
      if (acking === 0) {
        clearTimeout(settling);
        settling = setTimeout(() => {
          settling = undefined;
          if (acking === 0) releaseClaims();
        }, ackQuietMs);
      }
    }
  };

  // Counts wake-ups, so one that comes while a worker is claiming (not yet asleep) is not lost: the
  // worker then looks again at once instead of sleeping a whole poll interval.
  let wakeups = 0;
  const wakeAll = () => {
    wakeups++;
    for (const wake of [...wakers]) wake();
  };

  /** Sleeps `ms`, or not at all if a wake-up came since `seen` was read. */
  const sleep = (ms: number, seen: number) =>
    new Promise<void>((resolve) => {
      if (wakeups !== seen) return resolve();
      const done = () => {
        clearTimeout(timer);
        wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      wakers.add(done);
    });

  // Jobs abandoned on their last attempt go to the dead letter; looked for when a worker is idle,
  // at most once per poll interval per process.
  let buriedAt = 0;
  const bury = async () => {
    if (Date.now() - buriedAt < pollMs) return;
    buriedAt = Date.now();
    try {
      const count = await buryAbandonedJobs(db, { maxAttempts, kinds });
      if (count > 0) logger.error({ count }, "jobs abandoned on their last attempt moved to the dead letter");
    } catch (error) {
      logger.warn({ err: error }, "looking for abandoned jobs failed");
    }
  };

  /**
   * With idle() waiters and no worker busy: resolves them when nothing is pending, else answers how
   * soon a worker should look again (a retry's due time, at once for an abandoned job) so that
   * idle() never waits out a whole poll interval. Otherwise answers the poll interval.
   */
  const checkIdle = async (): Promise<number> => {
    if (busy > 0 || idleWaiters.size === 0) return pollMs;
    const seen = wakeups;
    // Abandoned on their last attempt: buried now, not at the next poll.
    buriedAt = 0;
    await bury();
    const at = new Date();
    // Pending work includes jobs waiting for a retry, so idle() means "everything settled".
    const [expired, next] = await Promise.all([
      db.job.count({ where: { kind: { in: kinds }, status: "running", lockedUntil: { lt: at } } }),
      db.job.findFirst({
        where: { kind: { in: kinds }, status: "queued" },
        orderBy: { runAt: "asc" },
        select: { runAt: true },
      }),
    ]);
    // A job enqueued (or a worker busy) meanwhile may not be in what was read: look again.
    if (busy > 0 || wakeups !== seen) return 0;
    if (expired > 0) return IDLE_RECHECK_MS;
    if (next) return Math.max(IDLE_RECHECK_MS, next.runAt.getTime() - Date.now());
    for (const resolve of [...idleWaiters]) resolve();
    idleWaiters.clear();
    return pollMs;
  };

  const runJob = async (job: Job, workerId: string) => {
    const { signal } = shutdown;
    const context: JobContext = {
      id: job.id,
      kind: job.kind,
      attempt: job.attempts,
      lastAttempt: job.attempts >= maxAttempts,
      holdsLease: async () =>
        !signal.aborted &&
        !lost &&
        (await extendJobLease(db, { id: job.id, workerId, until: new Date(Date.now() + leaseMs) })),
      signal,
    };
    const handler = handlers[job.kind];
    // The heartbeat: the lease is renewed three times per lease, so one late renewal loses nothing.
    let lost = false;
    const heartbeat = setInterval(
      () => {
        extendJobLease(db, { id: job.id, workerId, until: new Date(Date.now() + leaseMs) }).then(
          (held) => {
            if (held || lost) return;
            lost = true;
            // Re-queued (a rerun) or taken over after a missed renewal: our result will not be recorded.
            logger.warn(
              { jobId: job.id, kind: job.kind, workerId },
              "job lease lost; another run takes over",
            );
          },
          (error: unknown) => logger.warn({ err: error, jobId: job.id }, "renewing a job lease failed"),
        );
      },
      Math.max(50, Math.floor(leaseMs / 3)),
    );
    const interrupted = async (error?: unknown) => {
      const reason = `attempt ${job.attempts}: interrupted by a shutdown of ${workerId}; not counted`;
      const released = await releaseJob(db, { id: job.id, workerId, reason });
      logger.warn(
        {
          err: error,
          jobId: job.id,
          kind: job.kind,
          attempt: job.attempts,
          dedupeKey: job.dedupeKey,
          released,
        },
        released
          ? "job interrupted by shutdown; queued again (attempt not counted)"
          : "job interrupted by shutdown; its lease had already been lost",
      );
    };
    // Settles when the handler does, or (rejecting) once the shutdown has aborted it and it took
    // longer than ABORT_SETTLE_MS to notice.
    const settled = (run: Promise<void>) =>
      new Promise<void>((resolve, reject) => {
        run.then(resolve, reject);
        const onAbort = () => void delay(ABORT_SETTLE_MS).then(() => reject(signal.reason));
        if (signal.aborted) onAbort();
        else signal.addEventListener("abort", onAbort, { once: true });
        void run.finally(() => signal.removeEventListener("abort", onAbort)).catch(() => {});
      });
    try {
      if (!handler) throw new Error(`no handler for job kind ${job.kind}`);
      await settled(handler(JSON.parse(job.payload), context));
      // Aborted, yet the handler returned: it may have stopped half way, so it runs again.
      if (signal.aborted) return await interrupted();
      await completeJob(db, { id: job.id, workerId });
    } catch (error) {
      if (signal.aborted) return await interrupted(error);
      const message = error instanceof Error ? error.message : String(error);
      const retryAt = context.lastAttempt ? null : new Date(Date.now() + retryDelayMs(job.attempts, backoff));
      logger[retryAt ? "warn" : "error"](
        { err: error, jobId: job.id, kind: job.kind, attempt: job.attempts, dedupeKey: job.dedupeKey },
        retryAt ? "job failed; will retry" : "job failed for good",
      );
      await failJob(db, { id: job.id, workerId, error: message, retryAt });
    } finally {
      clearInterval(heartbeat);
    }
  };

  const loop = async (workerId: string) => {
    while (running) {
      let job: Job | null = null;
      await acksAnswered();
      if (!running) break;
      const seen = wakeups;
      // Counted as busy while claiming, so idle() never sees a claimed job before its run starts.
      busy++;
      try {
        job = await claimJob(db, { workerId, leaseMs, kinds, maxAttempts });
      } catch (error) {
        logger.error({ err: error, workerId }, "claiming a job failed");
      }
      if (!job) {
        busy--;
        await bury();
        const wait = await checkIdle().catch(() => pollMs);
        await sleep(Math.min(pollMs, wait), seen);
        continue;
      }
      try {
        await runJob(job, workerId);
      } catch (error) {
        logger.error({ err: error, jobId: job.id }, "recording a job's result failed");
      } finally {
        busy--;
      }
    }
  };

  return {
    enqueue: async (input) => {
      const result = await enqueueJob(db, input);
      wakeAll();
      return result;
    },
    recordDelivery: async (delivery) => {
      const result = await recordDelivery(delivery);
      if (result.jobs.length > 0) wakeAll();
      return result;
    },
    acknowledging,
    start: () => {
      if (running || workers === 0) return;
      running = true;
      if (shutdown.signal.aborted) shutdown = new AbortController();
      for (let i = 0; i < workers; i++) loops.push(loop(`${instanceId}:${i}`));
    },
    stop: async () => {
      running = false;
      wakeAll();
      clearTimeout(settling);
      settling = undefined;
      releaseClaims();
      const stopping = Promise.all(loops.splice(0));
      // Jobs that end within the grace end normally; the rest are aborted and given back.
      let grace: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        stopping,
        new Promise<void>((resolve) => {
          grace = setTimeout(resolve, shutdownGraceMs);
        }),
      ]);
      clearTimeout(grace);
      if (busy > 0) {
        logger.warn(
          { running: busy, graceMs: shutdownGraceMs },
          "shutdown grace over: interrupting running jobs",
        );
      }
      shutdown.abort(new Error("interrupted by a server shutdown"));
      await stopping;
      for (const resolve of [...idleWaiters]) resolve();
      idleWaiters.clear();
      await writer?.close();
      writer = undefined;
    },
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.add(resolve);
        wakeAll();
      }),
  };
};
