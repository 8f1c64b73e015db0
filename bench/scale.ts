// Scale-out benchmark: `npm run bench:scale`. For 1, 2 and 3 Covenant server processes on one
// fresh PostgreSQL database (each with its job workers, GitHub's write spacing off), PULLS signed
// pull_request deliveries spread across them, against a local stand-in for GitHub; reports the time
// from the first delivery to the last completed check run and analyses per minute, and checks that
// every PR got exactly one completed check run. On a machine with fewer cores than instances the
// processes share the CPUs: the point of the multi-instance run is correctness, not speed.
//   INSTANCES=1,2,3 PULLS=60 MIGRATIONS=200 JOB_WORKERS=2 npm run bench:scale
import { availableParallelism } from "node:os";
import {
  appEnv,
  deliverPullRequest,
  type Instance,
  scaleRepository,
  startInstance,
} from "../test/helpers/instances.ts";
import { createPgDatabase } from "../test/helpers/pg-database.ts";

const COUNTS = (process.env.INSTANCES ?? "1,2,3").split(",").map(Number);
const PULLS = Number(process.env.PULLS ?? 60);
const MIGRATIONS = Number(process.env.MIGRATIONS ?? 200);
const WORKERS = process.env.JOB_WORKERS ?? "2";

const run = async (count: number) => {
  const db = await createPgDatabase("covenant_bench_scale");
  const { github, addPull } = await scaleRepository({ migrations: MIGRATIONS, prFiles: 5 });
  let instances: Instance[] = [];
  try {
    const env = { ...appEnv(db.url, github), JOB_WORKERS: WORKERS };
    instances = await Promise.all(Array.from({ length: count }, () => startInstance({ app: true, env })));
    const shas = Array.from({ length: PULLS }, (_, i) => addPull(i + 1));
    const start = performance.now();
    let last = start;
    github.onCheckCompleted(() => {
      last = performance.now();
    });
    const acks = await Promise.all(
      shas.map((sha, i) => deliverPullRequest({ url: instances[i % count]!.url, number: i + 1, sha })),
    );
    if (acks.some((ack) => ack.status !== 200)) throw new Error("a delivery was refused");
    const deadline = Date.now() + 20 * 60_000;
    const completed = () => [...github.checkRuns.values()].filter((r) => r.status === "completed");
    while (completed().length < PULLS) {
      if (Date.now() > deadline)
        throw new Error(`only ${completed().length} of ${PULLS} check runs completed`);
      await new Promise((done) => setTimeout(done, 50));
    }
    const perSha = new Map<string, number>();
    for (const r of github.checkRuns.values()) perSha.set(r.head_sha, (perSha.get(r.head_sha) ?? 0) + 1);
    const exactlyOne = shas.every((sha) => perSha.get(sha) === 1);
    const seconds = (last - start) / 1000;
    console.log(
      `${count} instance(s): ${PULLS} PRs analysed in ${seconds.toFixed(1)} s = ${((PULLS / seconds) * 60).toFixed(0)} analyses/min; exactly one completed check run per PR: ${exactlyOne ? "yes" : "NO"}`,
    );
    return exactlyOne;
  } finally {
    await Promise.all(instances.map((instance) => instance.stop()));
    await github.close();
    await db.drop();
  }
};

console.log(
  `bench:scale: ${PULLS} PRs of 5 files on a ${MIGRATIONS}-migration repository, ${WORKERS} job workers per instance, ${availableParallelism()} cores shared by all instances (more instances than cores measure correctness, not speed)`,
);
let ok = true;
for (const count of COUNTS) ok = (await run(count)) && ok;
process.exit(ok ? 0 : 1);
