// A stop while GitHub does not answer: the server (a real process, as `covenant serve` or
// `covenant worker`, and in-process through close()) must exit within SHUTDOWN_GRACE_MS and a small
// margin, give the interrupted analysis back to the queue without counting its attempt, and leave
// its in-progress check run to the rerun, which completes that same check run: exactly one.
import { randomUUID } from "node:crypto";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { connectDatabase, type Db } from "../../src/db/client.ts";
import { JOB_KINDS } from "../../src/github/handlers/deps.ts";
import { startServer } from "../../src/main.ts";
import { reserveApiTestDatabase } from "../helpers/api-db.ts";
import type { FakeGitHub } from "../helpers/fake-github.ts";
import { appEnv, deliverPullRequest, scaleRepository, startInstance, waitFor } from "../helpers/instances.ts";

const GRACE_MS = 2_000;
/** Beyond the grace: the abort reaching the job, giving it back, closing the database, exiting. */
const MARGIN_MS = 5_000;

const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => {});
});

/**
 * A repository with PR 1, and GitHub unreachable for the PR's files: holding the requests
 * unanswered ("hang"), or dropping their connections ("reset", which Octokit retries).
 */
const stalledGitHub = async (kind: "hang" | "reset" = "hang") => {
  const { github, addPull } = await scaleRepository({ migrations: 10, prFiles: 2 });
  cleanup.push(github.close);
  const sha = addPull(1);
  github.outage({
    kind,
    matches: (method, path) => method === "GET" && path.endsWith("/pulls/1/files"),
  });
  return { github, sha };
};

/** Waits until the analysis has shown its check run in progress and is blocked on GitHub. */
const blockedOnGitHub = async (github: FakeGitHub, sha: string) => {
  await waitFor(
    "the analysis blocked on GitHub with its check run in progress",
    () =>
      github.cutOff() > 0 &&
      [...github.checkRuns.values()].some((run) => run.head_sha === sha && run.status === "in_progress"),
    60_000,
  );
};

/** The PR's analysis job, given back: queued, due, no lease, its attempt not counted. */
const expectReleased = async (db: Db) => {
  const jobs = await db.job.findMany({ where: { kind: JOB_KINDS.analyze } });
  expect(jobs).toHaveLength(1);
  const job = jobs[0]!;
  expect(job).toMatchObject({ status: "queued", attempts: 0, lockedBy: null, lockedUntil: null });
  expect(job.runAt.getTime()).toBeLessThanOrEqual(Date.now());
  expect(job.lastError).toMatch(/interrupted by a shutdown/);
};

/** After a restart with GitHub answering again: exactly one check run for `sha`, completed. */
const expectOneCompletedCheckRun = async (github: FakeGitHub, sha: string, db: Db) => {
  const runs = () => [...github.checkRuns.values()].filter((run) => run.head_sha === sha);
  await waitFor(
    "the rerun completed the check run",
    () => runs().some((run) => run.status === "completed"),
    120_000,
  );
  await waitFor(
    "the analysis job done",
    async () => (await db.job.count({ where: { kind: JOB_KINDS.analyze, status: "done" } })) === 1,
    30_000,
  );
  expect(runs().map((run) => [run.status, run.conclusion])).toEqual([["completed", "failure"]]);
  const job = await db.job.findFirstOrThrow({ where: { kind: JOB_KINDS.analyze } });
  expect(job.attempts).toBe(1);
};

describe.each([
  ["covenant serve", {}],
  ["covenant worker", { COVENANT_ROLE: "worker" }],
] as const)("a process (%s) stopped while GitHub does not answer", (_role, roleEnv) => {
  it("exits within the grace, queues the job again uncounted, and a restart completes one check run", {
    timeout: 240_000,
  }, async () => {
    const database = await reserveApiTestDatabase("sqlite");
    cleanup.push(database.drop);
    const { github, sha } = await stalledGitHub();
    const env = {
      ...appEnv(database.url, github),
      JOB_WORKERS: "1",
      CHECK_RUN_PROGRESS_AFTER_MS: "0",
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
    };
    // Webhooks go to a web-only server; the instance under test only runs the job.
    const web = await startInstance({ app: true, env: { ...env, JOB_WORKERS: "0" } });
    cleanup.push(web.kill);
    const runner = await startInstance({ app: true, env: { ...env, PORT: "0", ...roleEnv } });
    cleanup.push(runner.kill);
    expect((await deliverPullRequest({ url: web.url, number: 1, sha, id: randomUUID() })).status).toBe(200);
    await blockedOnGitHub(github, sha);
    const inProgress = [...github.checkRuns.values()].find((run) => run.head_sha === sha)!;

    const stopping = Date.now();
    await runner.stop();
    const took = Date.now() - stopping;
    expect(runner.child.exitCode).toBe(0);
    expect(took).toBeLessThan(GRACE_MS + MARGIN_MS);
    expect(runner.output()).toMatch(/job interrupted by shutdown; queued again/);

    const db = await connectDatabase(database.url);
    cleanup.push(() => db.close());
    await expectReleased(db);
    // Nothing was published half done: the check run is still the in-progress one.
    expect([...github.checkRuns.values()].filter((run) => run.head_sha === sha)).toEqual([
      expect.objectContaining({ id: inProgress.id, status: "in_progress" }),
    ]);

    github.outage(null);
    const restarted = await startInstance({ app: true, env: { ...env, ...roleEnv } });
    cleanup.push(restarted.kill);
    await expectOneCompletedCheckRun(github, sha, db);
    expect([...github.checkRuns.keys()]).toEqual([inProgress.id]);
    await restarted.stop();
    await web.stop();
    // The figure is for people running it by hand; CI stays quiet on success.
    if (process.env.CI !== "true")
      process.stderr.write(
        `graceful shutdown (${_role}): exited ${took} ms after SIGTERM (grace ${GRACE_MS} ms)\n`,
      );
  });
});

describe.each(["hang", "reset"] as const)("in-process close() while GitHub is unreachable (%s)", (outage) => {
  it("resolves within the grace, queues the job again uncounted, and a new server completes one check run", {
    timeout: 240_000,
  }, async () => {
    const { default: nock } = await import("nock");
    nock.disableNetConnect();
    nock.enableNetConnect("127.0.0.1");
    cleanup.push(async () => nock.enableNetConnect());
    const database = await reserveApiTestDatabase("sqlite");
    cleanup.push(database.drop);
    const { github, sha } = await stalledGitHub(outage);
    const config = loadConfig({
      ...appEnv(database.url, github),
      PORT: "0",
      HOST: "127.0.0.1",
      JOB_WORKERS: "1",
      ANALYSIS_THREADS: "0",
      CHECK_RUN_PROGRESS_AFTER_MS: "0",
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
    });
    const logs: string[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void logs.push(line) });
    const server = await startServer({ config, logger });
    let closed = false;
    cleanup.push(async () => {
      if (!closed) await server.close();
    });
    expect((await deliverPullRequest({ url: server.url, number: 1, sha, id: randomUUID() })).status).toBe(
      200,
    );
    await blockedOnGitHub(github, sha);

    const stopping = Date.now();
    await server.close();
    closed = true;
    const took = Date.now() - stopping;
    expect(took).toBeLessThan(GRACE_MS + MARGIN_MS);
    expect(logs.join("")).toMatch(/job interrupted by shutdown; queued again/);
    const db = await connectDatabase(database.url);
    cleanup.push(() => db.close());
    await expectReleased(db);

    github.outage(null);
    const again = await startServer({ config, logger });
    cleanup.push(() => again.close());
    await expectOneCompletedCheckRun(github, sha, db);
    if (process.env.CI !== "true")
      process.stderr.write(
        `graceful shutdown (in-process close, GitHub ${outage}): ${took} ms (grace ${GRACE_MS} ms)\n`,
      );
  });
});
