// A burst of signed deliveries answered by a web-only server process (it only records and queues),
// which is then killed with SIGKILL the moment the last answer is in: every acknowledged delivery
// must have been written (batched with the others of its burst), redeliveries and repeated events
// must have queued nothing more, and a new server with workers on the same database must give each
// PR exactly one completed check run.
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { connectDatabase } from "../../src/db/client.ts";
import { type DatabaseKind, reserveApiTestDatabase } from "../helpers/api-db.ts";
import {
  appEnv,
  deliverPullRequest,
  type Instance,
  scaleRepository,
  startInstance,
  waitFor,
} from "../helpers/instances.ts";

const PULLS = 40;

const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => {});
});

describe.each(["sqlite", "postgres"] as DatabaseKind[])("on %s", (kind) => {
  it("a burst acknowledged, then the server killed: every delivery kept, each PR analysed once", {
    timeout: 240_000,
  }, async () => {
    const database = await reserveApiTestDatabase(kind);
    cleanup.push(database.drop);
    const { github, addPull } = await scaleRepository({ migrations: 20, prFiles: 2 });
    cleanup.push(github.close);
    const env = appEnv(database.url, github);
    const web: Instance = await startInstance({ app: true, env: { ...env, JOB_WORKERS: "0" } });
    cleanup.push(web.kill);

    // All at once: each PR's opened delivery; for every fourth, GitHub's redelivery (same id) and
    // the event again as a new delivery (a repeated webhook for the same head).
    const shas = new Map<number, string>();
    const sends: Array<{ number: number; id: string }> = [];
    for (let number = 1; number <= PULLS; number++) {
      shas.set(number, addPull(number));
      const id = randomUUID();
      sends.push({ number, id });
      if (number % 4 === 0) sends.push({ number, id }, { number, id: randomUUID() });
    }
    const answers = await Promise.all(
      sends.map(({ number, id }) => deliverPullRequest({ url: web.url, number, sha: shas.get(number)!, id })),
    );
    await web.kill();
    expect(answers.map((answer) => answer.status)).toEqual(sends.map(() => 200));

    // What the killed server acknowledged is in the database: one delivery per id, one job per PR.
    const db = await connectDatabase(database.url);
    cleanup.push(() => db.close());
    expect(await db.webhookDelivery.count()).toBe(new Set(sends.map((send) => send.id)).size);
    expect(await db.job.count({ where: { status: "queued" } })).toBe(PULLS);

    // A server with workers takes the queue over.
    const worker = await startInstance({ app: true, env: { ...env, JOB_WORKERS: "2" } });
    cleanup.push(worker.kill);
    const completed = () => [...github.checkRuns.values()].filter((run) => run.status === "completed");
    await waitFor(
      `every PR's check run completed (${completed().length} of ${PULLS})`,
      () => completed().length >= PULLS,
      180_000,
    );
    await waitFor(
      "every job done",
      async () => (await db.job.count({ where: { status: { not: "done" } } })) === 0,
      60_000,
    );
    for (const [number, sha] of shas) {
      const runs = [...github.checkRuns.values()].filter((run) => run.head_sha === sha);
      expect(
        runs.map((run) => [run.status, run.conclusion]),
        `PR #${number}`,
      ).toEqual([["completed", "failure"]]);
    }
    expect(github.checkRuns.size).toBe(PULLS);
    await worker.stop();
  });
});
