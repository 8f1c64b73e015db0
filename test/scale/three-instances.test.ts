// Three Covenant server processes on one fresh PostgreSQL database and one (local) GitHub: 300
// signed deliveries spread across them, with GitHub's redeliveries (same X-GitHub-Delivery, to
// another instance) and repeated events (a new delivery for the same head), and one instance
// killed with SIGKILL while it holds analyses. Every PR must end with exactly one completed check
// run, no violation may be recorded twice, and the killed instance's jobs must finish elsewhere
// once their (short, here) leases run out.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { afterAll, expect, it } from "vitest";
import {
  appEnv,
  deliverPullRequest,
  type Instance,
  scaleRepository,
  startInstance,
  waitFor,
} from "../helpers/instances.ts";
import { createPgDatabase, type TestPgDatabase } from "../helpers/pg-database.ts";

const PULLS = 100;
// Renewed every third of it: a worker loses a job only if its process stalls for over 10 s (a loaded
// CI machine can stall it for seconds; production leases are minutes).
const LEASE_MS = 15_000;

const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => {});
});

it("three instances, 300 deliveries, one killed mid-analysis: one completed check run per PR, nothing twice", {
  timeout: 240_000,
}, async () => {
  const db: TestPgDatabase = await createPgDatabase("covenant_three");
  cleanup.push(db.drop);
  // GitHub answering in 15 ms keeps each analysis in flight long enough to be caught by the kill.
  const { github, addPull } = await scaleRepository({ migrations: 60, prFiles: 3, latencyMs: 15 });
  cleanup.push(github.close);
  const env = { ...appEnv(db.url, github), JOB_WORKERS: "2", JOB_LEASE_MS: String(LEASE_MS) };
  const instances: Instance[] = await Promise.all([1, 2, 3].map(() => startInstance({ app: true, env })));
  cleanup.push(async () => void (await Promise.all(instances.map((instance) => instance.kill()))));

  // Per PR: its opened delivery, GitHub redelivering it (same id) to the next instance, and the
  // event again as a new delivery (a repeated webhook for the same head) to the third.
  const shas = new Map<number, string>();
  const deliveries: Array<{ to: number; number: number; id: string }> = [];
  for (let number = 1; number <= PULLS; number++) {
    shas.set(number, addPull(number));
    const id = randomUUID();
    deliveries.push({ to: number % 3, number, id });
    deliveries.push({ to: (number + 1) % 3, number, id });
    deliveries.push({ to: (number + 2) % 3, number, id: randomUUID() });
  }
  expect(deliveries).toHaveLength(300);
  // Redeliveries come later than their first delivery, as GitHub sends them.
  const order = [...deliveries.filter((_, i) => i % 3 !== 1), ...deliveries.filter((_, i) => i % 3 === 1)];
  const statuses: number[] = [];
  for (let i = 0; i < order.length; i += 25) {
    const batch = order
      .slice(i, i + 25)
      .map(({ to, number, id }) =>
        deliverPullRequest({ url: instances[to]!.url, number, sha: shas.get(number)!, id }),
      );
    statuses.push(...(await Promise.all(batch)).map((r) => r.status));
  }
  expect(
    statuses.filter((status) => status !== 200),
    instances
      .flatMap((i) =>
        i
          .output()
          .split("\n")
          .filter((l) => l.includes('"level":50')),
      )
      .join("\n"),
  ).toEqual([]);

  // Kill the first instance while it holds analyses (its workers are named <host>:<pid>:<n>).
  const victim = instances[0]!;
  const held = async () =>
    (
      await db.query(`SELECT "id" FROM "Job" WHERE "status" = 'running' AND "lockedBy" LIKE $1`, [
        `${hostname()}:${victim.pid}:%`,
      ])
    ).map((row) => row.id as string);
  await waitFor("the first instance holding an analysis", async () => (await held()).length > 0, 120_000);
  await victim.kill();
  // Read after the kill: a job it held a moment before may have finished in between; what it
  // still holds now (running, leased to a process that is gone) is what it abandoned.
  const killedJobs = await held();
  expect(killedJobs.length, "jobs the killed instance abandoned").toBeGreaterThan(0);

  const finished = () => [...github.checkRuns.values()].filter((run) => run.status === "completed").length;
  await waitFor(
    `every PR's check run completed (${finished()} of ${PULLS})`,
    () => finished() >= PULLS,
    150_000,
  );
  await waitFor(
    "every job done",
    async () => (await db.query(`SELECT 1 FROM "Job" WHERE "status" <> 'done'`)).length === 0,
    60_000,
  );

  // Exactly one check run per PR, completed, failing on the dropped contracted column.
  for (const [number, sha] of shas) {
    const runs = [...github.checkRuns.values()].filter((run) => run.head_sha === sha);
    expect(
      runs.map((run) => [run.status, run.conclusion]),
      `PR #${number}; leases lost: ${instances
        .flatMap((i) =>
          i
            .output()
            .split("\n")
            .filter((l) => l.includes("lease")),
        )
        .join("\n")}`,
    ).toEqual([["completed", "failure"]]);
  }
  expect(github.checkRuns.size).toBe(PULLS);
  // One job per PR (the repeated events and redeliveries queued nothing more), each done.
  expect(await db.query(`SELECT "status", count(*)::int AS n FROM "Job" GROUP BY "status"`)).toEqual([
    { status: "done", n: PULLS },
  ]);
  expect((await db.query(`SELECT count(*)::int AS n FROM "WebhookDelivery"`))[0]?.n).toBe(2 * PULLS);
  // One violation per PR, none recorded twice.
  const violations = await db.query(`SELECT "prNumber", "rule", "column" FROM "Violation"`);
  expect(violations).toHaveLength(PULLS);
  expect(new Set(violations.map((v) => v.prNumber)).size).toBe(PULLS);
  expect(violations.every((v) => v.rule === "column-removed" && v.column === "c_2")).toBe(true);
  // The killed instance's jobs were taken over after their lease and finished by another.
  const taken = await db.query(`SELECT "id", "status", "attempts" FROM "Job" WHERE "id" = ANY($1)`, [
    killedJobs,
  ]);
  expect(taken).toHaveLength(killedJobs.length);
  for (const job of taken) {
    expect(job.status).toBe("done");
    // The killed attempt counts: whoever finished it took it over.
    expect(job.attempts as number).toBeGreaterThanOrEqual(2);
  }
  for (const instance of instances.slice(1)) expect(instance.child.exitCode).toBeNull();
  await Promise.all(instances.slice(1).map((instance) => instance.stop()));
});
