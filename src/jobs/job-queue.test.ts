import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/github-db.ts";
import { openDeliveryWriter } from "../db/delivery-writer.ts";
import { claimJob, countJobsByStatus, enqueueJob } from "../db/jobs.ts";
import { createJobQueue, groupCommit, type JobHandler, retryDelayMs } from "./job-queue.ts";

const silent = { info: () => {}, warn: () => {}, error: () => {} };

test("group commit: calls of one turn, then those made while a write is in flight, are written together, in order", async () => {
  const batches: number[][] = [];
  let release: () => void = () => {};
  let started: () => void = () => {};
  const firstWrite = new Promise<void>((resolve) => (started = resolve));
  const write = groupCommit(async (batch: number[]) => {
    batches.push(batch);
    if (batches.length === 1) {
      started();
      await new Promise<void>((resolve) => (release = resolve));
    }
    return batch.map((n) => n * 10);
  });
  const sameTurn = [write(1), write(2)];
  await firstWrite;
  const whileWriting = [write(3), write(4), write(5)];
  release();
  expect(await Promise.all([...sameTurn, ...whileWriting])).toEqual([10, 20, 30, 40, 50]);
  expect(batches).toEqual([
    [1, 2],
    [3, 4, 5],
  ]);
});

test("group commit: a failed batch fails its own calls only", async () => {
  const write = groupCommit(async (batch: number[]) => {
    if (batch.includes(1)) throw new Error("disk full");
    return batch;
  });
  await expect(write(1)).rejects.toThrow("disk full");
  expect(await write(2)).toBe(2);
});

test("retry delay doubles and is capped", () => {
  const backoff = { baseMs: 100, maxMs: 500 };
  expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, backoff))).toEqual([100, 200, 400, 500, 500]);
});

describe.each(["sqlite", "postgresql"] as const)("job queue on %s", (provider) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(provider);
  });
  afterAll(async () => {
    await t.drop();
  });

  const queueWith = (
    handlers: Record<string, JobHandler>,
    extra: { workers?: number; leaseMs?: number } = {},
  ) =>
    createJobQueue({
      db: t.db,
      handlers,
      logger: silent,
      workers: extra.workers ?? 2,
      leaseMs: extra.leaseMs ?? 60_000,
      pollMs: 20,
      maxAttempts: 3,
      backoff: { baseMs: 10, maxMs: 40 },
    });

  test("one row per dedupe key; a queued job takes the newer payload; done stays done unless rerun", async () => {
    const first = await enqueueJob(t.db, { kind: "dedupe", dedupeKey: "k1", payload: { n: 1 } });
    const again = await enqueueJob(t.db, { kind: "dedupe", dedupeKey: "k1", payload: { n: 2 } });
    expect([first.outcome, again.outcome]).toEqual(["created", "merged"]);
    expect(await t.db.job.count({ where: { dedupeKey: "k1" } })).toBe(1);

    const seen: unknown[] = [];
    const queue = queueWith({ dedupe: async (payload) => void seen.push(payload) });
    queue.start();
    await queue.idle();
    expect(seen).toEqual([{ n: 2 }]);
    const repeated = await queue.enqueue({ kind: "dedupe", dedupeKey: "k1", payload: { n: 3 } });
    expect(repeated.outcome).toBe("unchanged");
    await queue.idle();
    expect(seen).toEqual([{ n: 2 }]);
    const rerun = await queue.enqueue({ kind: "dedupe", dedupeKey: "k1", payload: { n: 4 }, rerun: true });
    expect(rerun.outcome).toBe("requeued");
    await queue.idle();
    await queue.stop();
    expect(seen).toEqual([{ n: 2 }, { n: 4 }]);
  });

  test("stop(): a job ending within the grace completes; one still running past it is aborted and queued again, its attempt not counted", async () => {
    const started = new Set<string>();
    const aborted: string[] = [];
    const handler: JobHandler = (payload, job) =>
      new Promise<void>((resolve, reject) => {
        const { n } = payload as { n: string };
        started.add(n);
        // "quick" ends within the grace; "stuck" waits for something that never comes, but hears the signal.
        if (n === "quick") return void setTimeout(resolve, 300);
        job.signal.addEventListener("abort", () => {
          aborted.push(n);
          reject(job.signal.reason);
        });
      });
    const queue = createJobQueue({
      db: t.db,
      handlers: { graceful: handler },
      logger: silent,
      workers: 2,
      pollMs: 20,
      maxAttempts: 1,
      shutdownGraceMs: 1_000,
    });
    await queue.enqueue({ kind: "graceful", dedupeKey: "graceful-quick", payload: { n: "quick" } });
    await queue.enqueue({ kind: "graceful", dedupeKey: "graceful-stuck", payload: { n: "stuck" } });
    queue.start();
    while (started.size < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    const stopping = Date.now();
    await queue.stop();
    const took = Date.now() - stopping;
    expect(took).toBeGreaterThanOrEqual(1_000);
    expect(took).toBeLessThan(5_000);
    expect(aborted).toEqual(["stuck"]);
    const quick = await t.db.job.findUnique({ where: { dedupeKey: "graceful-quick" } });
    expect(quick).toMatchObject({ status: "done", attempts: 1 });
    const stuck = await t.db.job.findUnique({ where: { dedupeKey: "graceful-stuck" } });
    // Its only attempt (maxAttempts: 1) was not used up: a restart runs it, not the dead letter.
    expect(stuck).toMatchObject({ status: "queued", attempts: 0, lockedBy: null, lockedUntil: null });
    expect(stuck!.runAt.getTime()).toBeLessThanOrEqual(Date.now());
    expect(stuck!.lastError).toMatch(/interrupted by a shutdown/);
  });

  test("stop(): a job deaf to its signal is given back anyway, shortly after the grace", async () => {
    let started = false;
    const queue = createJobQueue({
      db: t.db,
      handlers: {
        deaf: () => {
          started = true;
          return new Promise<void>(() => {});
        },
      },
      logger: silent,
      workers: 1,
      pollMs: 20,
      shutdownGraceMs: 0,
    });
    await queue.enqueue({ kind: "deaf", dedupeKey: "deaf-1", payload: {} });
    queue.start();
    while (!started) await new Promise((resolve) => setTimeout(resolve, 10));
    const stopping = Date.now();
    await queue.stop();
    expect(Date.now() - stopping).toBeLessThan(4_000);
    expect(await t.db.job.findUnique({ where: { dedupeKey: "deaf-1" } })).toMatchObject({
      status: "queued",
      attempts: 0,
      lockedBy: null,
    });
  });

  test("acknowledgements go first: no job is claimed while a webhook is being answered", async () => {
    const ran: unknown[] = [];
    const queue = createJobQueue({
      db: t.db,
      handlers: { acked: async (payload) => void ran.push(payload) },
      logger: silent,
      workers: 2,
      pollMs: 20,
      ackPriorityMs: 60_000,
    });
    let answer: () => void = () => {};
    const answered = queue.acknowledging(async () => {
      // Started while the webhook is being answered, so no claim can be in flight already.
      queue.start();
      await queue.recordDelivery({
        id: "ack-first",
        event: "pull_request",
        jobs: [{ kind: "acked", dedupeKey: "acked-1", payload: { n: 1 } }],
      });
      await new Promise<void>((resolve) => (answer = resolve));
    });
    // Many poll intervals pass with the job due: it waits for the webhook's answer.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(ran).toEqual([]);
    expect((await t.db.job.findUnique({ where: { dedupeKey: "acked-1" } }))?.status).toBe("queued");
    answer();
    await answered;
    await queue.idle();
    await queue.stop();
    expect(ran).toEqual([{ n: 1 }]);
  });

  test("deliveries are recorded with their jobs in one batch; a redelivery queues nothing", async () => {
    const job = (key: string, n: number) => ({
      kind: "hook",
      dedupeKey: key,
      payload: { n },
      githubInstallationId: 42,
    });
    await enqueueJob(t.db, job("hook-old", 0));
    const writer = openDeliveryWriter(t.db);
    const results = await writer.record([
      { id: "dv-1", event: "pull_request", jobs: [job("hook-a", 1)] },
      // Two jobs, one of whose keys is already queued: it takes the newer payload.
      { id: "dv-2", event: "check_suite", jobs: [job("hook-b", 2), job("hook-old", 3)] },
      // The same delivery twice in one batch: the second is a redelivery.
      { id: "dv-1", event: "pull_request", jobs: [job("hook-a", 9)] },
      { id: "dv-3", event: "ping", jobs: [] },
    ]);
    expect(results.map((r) => [r.fresh, r.jobs.map((j) => j.outcome)])).toEqual([
      [true, ["created"]],
      [true, ["created", "merged"]],
      [false, []],
      [true, []],
    ]);
    const again = await writer.record([{ id: "dv-2", event: "check_suite", jobs: [job("hook-c", 4)] }]);
    expect(again).toEqual([{ fresh: false, jobs: [] }]);
    const rows = await t.db.job.findMany({ where: { kind: "hook" }, orderBy: { dedupeKey: "asc" } });
    expect(rows.map((r) => [r.dedupeKey, JSON.parse(r.payload), r.githubInstallationId])).toEqual([
      ["hook-a", { n: 1 }, 42n],
      ["hook-b", { n: 2 }, 42n],
      ["hook-old", { n: 3 }, 42n],
    ]);
    expect(await t.db.webhookDelivery.count({ where: { id: { startsWith: "dv-" } } })).toBe(3);
    // Written as the ORM writes them: its reads see the times, and a worker claims the new job.
    const created = rows.find((r) => r.dedupeKey === "hook-a")!;
    expect(Math.abs(created.runAt.getTime() - Date.now())).toBeLessThan(60_000);
    expect(created.createdAt.getTime()).toBe(created.runAt.getTime());
    const claimed = await claimJob(t.db, { workerId: "w-hook", leaseMs: 60_000, kinds: ["hook"] });
    expect(claimed?.dedupeKey).toMatch(/^hook-/);
    // The claim's row is the model's row, as the ORM reads it.
    expect(claimed).toEqual(await t.db.job.findUnique({ where: { id: claimed!.id } }));
    expect(claimed?.lockedUntil).toBeInstanceOf(Date);
    await writer.close();
    await t.db.job.deleteMany({ where: { kind: "hook" } });
  });

  test("a delivery arriving while another connection holds the write lock waits for it, without blocking the thread", async () => {
    const writer = openDeliveryWriter(t.db);
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    let recorded: Promise<unknown> | undefined;
    await t.db.$transaction(async (tx) => {
      await tx.job.create({ data: { kind: "locked", dedupeKey: "locked-0", payload: "{}" } });
      recorded = writer.record([
        {
          id: "dv-locked",
          event: "pull_request",
          jobs: [{ kind: "locked", dedupeKey: "locked-1", payload: {} }],
        },
      ]);
      // The transaction stays open across timer turns: the thread is free while the delivery waits.
      const before = ticks;
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(ticks).toBeGreaterThan(before);
    });
    expect(await recorded).toEqual([{ fresh: true, jobs: [{ id: expect.any(String), outcome: "created" }] }]);
    clearInterval(ticker);
    expect(await t.db.job.count({ where: { kind: "locked" } })).toBe(2);
    await writer.close();
    await t.db.job.deleteMany({ where: { kind: "locked" } });
  });

  test("concurrent enqueues of one key create one row", async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, n) =>
        enqueueJob(t.db, { kind: "race", dedupeKey: "race-1", payload: { n } }),
      ),
    );
    expect(results.filter((r) => r.outcome === "created")).toHaveLength(1);
    expect(await t.db.job.count({ where: { dedupeKey: "race-1" } })).toBe(1);
    await t.db.job.deleteMany({ where: { kind: "race" } });
  });

  test("a failing job is retried with backoff, then dead (the dead letter); the last attempt is flagged", async () => {
    const attempts: Array<{ attempt: number; lastAttempt: boolean; at: number }> = [];
    let okAfter = 2;
    const queue = queueWith({
      flaky: async (_payload, context) => {
        attempts.push({ attempt: context.attempt, lastAttempt: context.lastAttempt, at: Date.now() });
        if (context.attempt <= okAfter) throw new Error(`boom ${context.attempt}`);
      },
    });
    queue.start();
    await queue.enqueue({ kind: "flaky", dedupeKey: "flaky-1", payload: {} });
    await waitFor(
      async () => (await t.db.job.findUnique({ where: { dedupeKey: "flaky-1" } }))?.status === "done",
    );
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(attempts.map((a) => a.lastAttempt)).toEqual([false, false, true]);
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(10);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(20);

    okAfter = 99;
    attempts.length = 0;
    await queue.enqueue({ kind: "flaky", dedupeKey: "flaky-2", payload: {} });
    await waitFor(
      async () => (await t.db.job.findUnique({ where: { dedupeKey: "flaky-2" } }))?.status === "dead",
    );
    await queue.stop();
    const failed = await t.db.job.findUnique({ where: { dedupeKey: "flaky-2" } });
    expect(failed).toMatchObject({ status: "dead", attempts: 3, lastError: "boom 3", lockedBy: null });
  });

  test("a job held by a crashed worker is taken over when its lease ends (restart loses nothing)", async () => {
    await enqueueJob(t.db, { kind: "crash", dedupeKey: "crash-1", payload: { v: 1 } });
    // A worker of a previous process claims it and dies without finishing.
    const claimed = await claimJob(t.db, { workerId: "dead:0", leaseMs: 60_000, kinds: ["crash"] });
    expect(claimed).toMatchObject({ status: "running", lockedBy: "dead:0", attempts: 1 });
    // While the lease holds nobody else may take the job. Ending the lease by hand, rather than
    // waiting for a short one, keeps the test independent of the machine's speed.
    expect(await claimJob(t.db, { workerId: "live:0", leaseMs: 60_000, kinds: ["crash"] })).toBeNull();
    await t.db.job.update({
      where: { dedupeKey: "crash-1" },
      data: { lockedUntil: new Date(Date.now() - 1000) },
    });

    const ran: unknown[] = [];
    let whileRunning: string | null | undefined;
    const queue = queueWith({
      crash: async (payload, { id }) => {
        ran.push(payload);
        whileRunning = (await t.db.job.findUnique({ where: { id } }))?.lastError;
      },
    });
    queue.start();
    await waitFor(async () => ran.length === 1);
    await queue.stop();
    expect(await t.db.job.findUnique({ where: { dedupeKey: "crash-1" } })).toMatchObject({
      status: "done",
      attempts: 2,
    });
    // While the second attempt ran, the job said whose lease ran out.
    expect(whileRunning).toMatch(/^attempt 1: worker dead:0 stopped renewing its lease .*taken over by /);
  });

  test("a job abandoned on its last attempt goes to the dead letter instead of another worker", async () => {
    await enqueueJob(t.db, { kind: "poison", dedupeKey: "poison-1", payload: {} });
    // Its third (last) attempt killed worker gone:0, whose lease then ran out.
    await t.db.job.update({
      where: { dedupeKey: "poison-1" },
      data: { status: "running", attempts: 3, lockedBy: "gone:0", lockedUntil: new Date(Date.now() - 1000) },
    });
    const ran: unknown[] = [];
    const queue = queueWith({ poison: async (payload) => void ran.push(payload) });
    queue.start();
    await waitFor(
      async () => (await t.db.job.findUnique({ where: { dedupeKey: "poison-1" } }))?.status === "dead",
    );
    await queue.stop();
    expect(ran).toEqual([]);
    const dead = await t.db.job.findUnique({ where: { dedupeKey: "poison-1" } });
    expect(dead).toMatchObject({ attempts: 3, lockedBy: null, lockedUntil: null });
    expect(dead?.lastError).toMatch(/^attempt 3 of 3: worker gone:0 stopped renewing its lease/);
  });

  test("idle() with several workers and a long poll interval: settles once retries and abandoned jobs are dealt with", async () => {
    // A poll interval far longer than the test: only due times and wake-ups may move the workers.
    const queue = createJobQueue({
      db: t.db,
      handlers: {
        settle: async (_payload, context) => {
          if (context.attempt === 1) throw new Error("first attempt fails");
        },
      },
      logger: silent,
      workers: 3,
      pollMs: 600_000,
      maxAttempts: 3,
      backoff: { baseMs: 50, maxMs: 50 },
    });
    queue.start();
    for (let n = 0; n < 4; n++)
      await queue.enqueue({ kind: "settle", dedupeKey: `settle-${n}`, payload: { n } });
    // Abandoned on its last attempt by a worker that died: idle() must not wait for the next poll to bury it.
    await enqueueJob(t.db, { kind: "settle", dedupeKey: "settle-abandoned", payload: {} });
    await t.db.job.update({
      where: { dedupeKey: "settle-abandoned" },
      data: { status: "running", attempts: 3, lockedBy: "gone:0", lockedUntil: new Date(Date.now() + 300) },
    });
    // Its lease runs out after the workers first looked for abandoned jobs.
    await new Promise((resolve) => setTimeout(resolve, 600));
    const settled = await Promise.race([
      queue.idle().then(() => "idle"),
      new Promise((resolve) => setTimeout(() => resolve("still waiting after 20 s"), 20_000)),
    ]);
    await queue.stop();
    expect(settled).toBe("idle");
    const jobs = await t.db.job.findMany({ where: { kind: "settle" }, orderBy: { dedupeKey: "asc" } });
    expect(jobs.map((job) => [job.dedupeKey, job.status, job.attempts])).toEqual([
      ["settle-0", "done", 2],
      ["settle-1", "done", 2],
      ["settle-2", "done", 2],
      ["settle-3", "done", 2],
      ["settle-abandoned", "dead", 3],
    ]);
  });

  test("heartbeats keep a job that outlasts its lease from being taken over", async () => {
    await enqueueJob(t.db, { kind: "slow", dedupeKey: "slow-1", payload: {} });
    let runs = 0;
    const handler: JobHandler = async () => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    };
    // Two instances; the job takes three leases' time, renewed every 300 ms by its worker.
    const a = queueWith({ slow: handler }, { leaseMs: 900 });
    const b = queueWith({ slow: handler }, { leaseMs: 900 });
    a.start();
    b.start();
    await waitFor(
      async () => (await t.db.job.findUnique({ where: { dedupeKey: "slow-1" } }))?.status === "done",
    );
    await Promise.all([a.stop(), b.stop()]);
    expect(runs).toBe(1);
    expect(await t.db.job.findUnique({ where: { dedupeKey: "slow-1" } })).toMatchObject({ attempts: 1 });
  });

  test("holdsLease: true while the run holds its lease, false once another worker has taken the job", async () => {
    await enqueueJob(t.db, { kind: "fenced", dedupeKey: "fenced-1", payload: {} });
    const answers: boolean[] = [];
    const queue = queueWith({
      fenced: async (_payload, job) => {
        answers.push(await job.holdsLease());
        // What a takeover after a stall past the lease looks like from the stalled run.
        await t.db.job.updateMany({ where: { dedupeKey: "fenced-1" }, data: { lockedBy: "elsewhere:1:0" } });
        answers.push(await job.holdsLease());
      },
    });
    queue.start();
    await waitFor(async () => answers.length === 2);
    await queue.stop();
    expect(answers).toEqual([true, false]);
    // The stand-in taker never finishes it: leave no running job to the tests after this one.
    await t.db.job.deleteMany({ where: { dedupeKey: "fenced-1" } });
  });

  test("two instances with several workers each run every job exactly once", async () => {
    const runs = new Map<number, number>();
    const handler: JobHandler = async (payload) => {
      const n = (payload as { n: number }).n;
      runs.set(n, (runs.get(n) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, 5));
    };
    for (let n = 0; n < 40; n++)
      await enqueueJob(t.db, { kind: "many", dedupeKey: `many-${n}`, payload: { n } });
    const a = queueWith({ many: handler }, { workers: 4 });
    const b = queueWith({ many: handler }, { workers: 4 });
    a.start();
    b.start();
    await waitFor(async () => (await t.db.job.count({ where: { kind: "many", status: "done" } })) === 40);
    await Promise.all([a.stop(), b.stop()]);
    expect(runs.size).toBe(40);
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
    expect((await countJobsByStatus(t.db)).running ?? 0).toBe(0);
  });
});

const waitFor = async (condition: () => Promise<boolean>, timeoutMs = 10_000) => {
  const start = Date.now();
  while (!(await condition())) {
    if (Date.now() - start > timeoutMs) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};
