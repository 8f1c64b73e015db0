// Instances on one PostgreSQL database, as real `covenant` processes: several started at once
// migrate it once between them; a web-only instance (JOB_WORKERS=0) queues and a `covenant worker`
// runs what it queued.
import { readdirSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  appEnv,
  deliverPullRequest,
  type Instance,
  scaleRepository,
  startInstance,
} from "../helpers/instances.ts";
import { createPgDatabase, type TestPgDatabase } from "../helpers/pg-database.ts";

const MIGRATIONS = readdirSync(resolve(import.meta.dirname, "../../prisma/migrations/postgres"), {
  withFileTypes: true,
})
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

describe("instances on one PostgreSQL", { timeout: 240_000 }, () => {
  const running: Instance[] = [];
  const databases: TestPgDatabase[] = [];
  afterAll(async () => {
    await Promise.all(running.map((instance) => instance.kill()));
    for (const database of databases) await database.drop();
  });
  const database = async () => {
    const created = await createPgDatabase("covenant_scale");
    databases.push(created);
    return created;
  };

  it("three instances started at once on a fresh database all come up; each migration is applied once", async () => {
    const db = await database();
    const instances = await Promise.all(
      [1, 2, 3].map(() => startInstance({ env: { DATABASE_URL: db.url, JOB_WORKERS: "0" } })),
    );
    running.push(...instances);
    for (const instance of instances) {
      const ready = await fetch(`${instance.url}/readyz`);
      expect(ready.status, instance.output()).toBe(200);
    }
    const rows = await db.query(
      "SELECT migration_name, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY migration_name",
    );
    expect(rows.map((row) => row.migration_name)).toEqual(MIGRATIONS);
    expect(rows.every((row) => row.finished_at !== null && row.rolled_back_at === null)).toBe(true);
    await Promise.all(instances.map((instance) => instance.stop()));
  });

  it("a web-only instance (JOB_WORKERS=0) only queues; covenant worker runs the analysis", async () => {
    const db = await database();
    const { github, addPull } = await scaleRepository({ migrations: 20 });
    try {
      const web = await startInstance({ env: { ...appEnv(db.url, github), JOB_WORKERS: "0" } });
      running.push(web);
      const sha = addPull(1);
      expect((await deliverPullRequest({ url: web.url, number: 1, sha })).status).toBe(200);
      // Nothing runs it while only the web instance is up.
      await new Promise((done) => setTimeout(done, 1_500));
      expect(await db.query(`SELECT status FROM "Job"`)).toEqual([{ status: "queued" }]);
      expect(github.checkRuns.size).toBe(0);

      const worker = await startInstance({
        args: ["worker", "--health-port", "0"],
        env: { ...appEnv(db.url, github), JOB_WORKERS: "1", HOST: "127.0.0.1" },
      });
      running.push(worker);
      expect(worker.output()).toMatch(/Covenant worker running 1 job worker\(s\) .*analyses and data scans/);
      // A worker serves its probes and nothing else.
      expect((await fetch(`${worker.url}/readyz`)).status).toBe(200);
      expect((await fetch(`${worker.url}/api/v1/contracts`)).status).toBe(404);
      expect((await fetch(`${worker.url}/api/github/webhooks`, { method: "POST" })).status).toBe(404);

      const deadline = Date.now() + 120_000;
      while (![...github.checkRuns.values()].some((run) => run.status === "completed")) {
        if (Date.now() > deadline) throw new Error(`no completed check run:\n${worker.output()}`);
        await new Promise((done) => setTimeout(done, 100));
      }
      const runs = [...github.checkRuns.values()];
      expect(runs.map((run) => [run.head_sha, run.status, run.conclusion])).toEqual([
        [sha, "completed", "failure"],
      ]);
      // The sticky comment follows the check run (GitHub's write spacing applies in `covenant worker`).
      while ((await db.query(`SELECT status FROM "Job"`))[0]?.status !== "done") {
        if (Date.now() > deadline) throw new Error(`the job did not finish:\n${worker.output()}`);
        await new Promise((done) => setTimeout(done, 100));
      }
      await Promise.all([web.stop(), worker.stop()]);
    } finally {
      await github.close();
    }
  });

  it("covenant worker refuses JOB_WORKERS=0 with what to do instead", async () => {
    const db = await database();
    await expect(
      startInstance({ args: ["worker"], env: { DATABASE_URL: db.url, JOB_WORKERS: "0" } }),
    ).rejects.toThrow(/JOB_WORKERS=0 leaves a worker nothing to do: unset it or set at least 1/);
  });
});
