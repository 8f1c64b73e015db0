// GitHub requests per analysed PR, through the real server and the fake GitHub API: GitHub spaces
// an installation's writes (secondary rate limits) and counts every request against its hourly
// quota, so what a PR costs bounds how many PRs an installation can have analysed. Budget per PR
// once its base is cached: 4 + ceil(changed files / 100) + ceil(annotations / 50). The files are
// listed 100 a page; their contents come in one GraphQL read, up to GitHub's 3,000 listed files.
// Past 3,000 GitHub cuts the list: the changes then come from the trees, and the check says so.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type AppServerWithGitHub, SHOP, startAppWithGitHub } from "../helpers/app-server.ts";
import type { CheckRun, FakeGitHub, FakePullRequest } from "../helpers/fake-github.ts";
import { commitSha, type Files } from "../helpers/github-repo-fixture.ts";
import { pullRequestPayload, SHOP_REPOSITORY } from "../helpers/webhook-examples.ts";

const BASE = commitSha(SHOP, "base");

/** A head that adds `tables` new tables and drops the contracted orders.currency (a BLOCK violation). */
const headOf = (salt: string, tables: number): { files: Files; changed: string[] } => {
  const files: Files = {
    ...SHOP,
    [`db/migrations/0006_drop_currency_${salt}.up.sql`]: "ALTER TABLE orders DROP COLUMN currency;\n",
  };
  for (let i = 0; i < tables; i++)
    files[`db/migrations/${String(7 + i).padStart(4, "0")}_t${i}_${salt}.up.sql`] =
      `CREATE TABLE t${i}_${salt} (\n  id bigint PRIMARY KEY\n);\n`;
  return { files, changed: Object.keys(files).filter((path) => SHOP[path] === undefined) };
};

describe("GitHub requests per analysed pull request", () => {
  let fake: FakeGitHub;
  let app: AppServerWithGitHub;
  const pulls = new Map<number, FakePullRequest>();
  const commits = new Map<string, Files>([[BASE, SHOP]]);

  /** Delivers the event, waits until its job and everything it publishes are done, and counts the requests. */
  const analyse = async (
    action: string,
    number: number,
    salt: string,
    tables = 2,
    { dropLast = false }: { dropLast?: boolean } = {},
  ) => {
    const head = headOf(salt, tables);
    // The contracted column's drop listed last: past the 3,000 files GitHub lists of a larger PR.
    if (dropLast) head.changed.push(...head.changed.splice(0, 1));
    const sha = commitSha(head.files, salt);
    commits.set(sha, head.files);
    const existing = pulls.get(number);
    pulls.set(number, {
      number,
      baseSha: BASE,
      headSha: sha,
      author: "dev1",
      files: head.changed.map((filename) => ({ filename, status: "added" as const })),
      // What GitHub remembers of the PR: the reviewers already requested.
      ...(existing?.requestedTeams ? { requestedTeams: existing.requestedTeams } : {}),
    });
    fake.resetCounts();
    const delivery = await app.deliver("pull_request", pullRequestPayload({ action, number, sha }));
    expect(delivery.status).toBe(200);
    // Settled: no job queued or running (the analysis, its comment and review request are done).
    for (const until = Date.now() + 60_000; ; await new Promise((resolve) => setTimeout(resolve, 50))) {
      const open = await app.server.db.job.count({ where: { status: { in: ["queued", "running"] } } });
      if (open === 0) break;
      if (Date.now() > until) throw new Error(`${open} jobs still open after 60 s`);
    }
    const runs = [...fake.checkRuns.values()].filter((r) => r.head_sha === sha);
    expect(runs).toHaveLength(1);
    const run = runs[0] as CheckRun;
    const counts = fake.counts();
    const requests = Object.entries(counts)
      .filter(([route]) => !route.includes("access_tokens"))
      .reduce((sum, [, n]) => sum + n, 0);
    const budget = 4 + Math.ceil(head.changed.length / 100) + Math.ceil(run.annotations.length / 50);
    return { run, requests, budget, counts };
  };

  beforeAll(async () => {
    app = await startAppWithGitHub({
      repositories: [
        { ...SHOP_REPOSITORY, defaultBranch: "main", commits, pulls, teams: { "data-platform": ["olivia"] } },
      ],
      config: {
        JOB_WORKERS: "1",
        ANALYSIS_THREADS: "1",
        // A loaded machine must not turn these fast analyses into slow ones that show progress first.
        CHECK_RUN_PROGRESS_AFTER_MS: "600000",
      },
      logLevel: "silent",
    });
    fake = app.github;
    // The first PR on a base reads its tree and replays its history; the budget is for the PRs after.
    await analyse("opened", 1, "warmup");
  }, 120_000);

  afterAll(async () => {
    await app?.close();
  });

  test("a new PR with a violation: check run created completed, comment, review request, within budget", async () => {
    const { run, requests, budget, counts } = await analyse("opened", 2, "second");
    expect(run.history).toEqual(["completed"]);
    expect(run.conclusion).toBe("failure");
    expect(counts["POST /repos/{o}/{r}/issues/{n}/comments"]).toBe(1);
    expect(counts["POST /repos/{o}/{r}/pulls/{n}/requested_reviewers"]).toBe(1);
    expect(counts["PATCH /repos/{o}/{r}/check-runs/{id}"]).toBeUndefined();
    expect(requests, JSON.stringify(counts)).toBeLessThanOrEqual(budget);
    expect(fake.conformance.problems).toEqual([]);
  });

  test("a push to that PR (new head): a new completed run, the comment updated in place, within budget", async () => {
    const { run, requests, budget, counts } = await analyse("synchronize", 2, "pushed", 3);
    expect(run.history).toEqual(["completed"]);
    expect(counts["PATCH /repos/{o}/{r}/issues/comments/{id}"]).toBe(1);
    // The owners were asked on the first push and GitHub lists them as requested: not asked again.
    expect(counts["POST /repos/{o}/{r}/pulls/{n}/requested_reviewers"]).toBeUndefined();
    expect(requests, JSON.stringify(counts)).toBeLessThanOrEqual(budget);
    expect(fake.conformance.problems).toEqual([]);
  });

  // Past 100 changed files GitHub lists them a page of 100 at a time: each page is in the budget,
  // nothing else may grow with the files (their contents come in one GraphQL request).
  test.each([
    [101, 3],
    [250, 4],
    [501, 5],
    [1000, 6],
    [2500, 7],
    [3000, 8],
  ])(
    "a PR of %i changed files, with a violation: within budget",
    async (files, number) => {
      const { run, requests, budget, counts } = await analyse("opened", number, `wide${files}`, files - 1);
      expect(run.history).toEqual(["completed"]);
      expect(run.conclusion).toBe("failure");
      expect(counts["GET /repos/{o}/{r}/pulls/{n}/files"]).toBe(Math.ceil(files / 100));
      expect(counts["POST /graphql"]).toBe(1);
      expect(requests, JSON.stringify(counts)).toBeLessThanOrEqual(budget);
      expect(fake.conformance.problems).toEqual([]);
    },
    120_000,
  );

  test("a PR over GitHub's 3,000 listed files: its changes come from the trees, the drop past the list fails the check, and the check says so", async () => {
    const { run, requests, budget, counts } = await analyse("opened", 9, "over", 3199, { dropLast: true });
    expect(run.history).toEqual(["completed"]);
    expect(run.conclusion).toBe("failure");
    expect(run.output?.summary).toContain("changes 3,200 files, more than the 3,000 GitHub lists");
    expect(JSON.stringify(run.annotations)).toContain("currency");
    // Not listed at all (the list would miss 200 files): the merge base, then both trees.
    expect(counts["GET /repos/{o}/{r}/pulls/{n}/files"]).toBeUndefined();
    expect(counts["GET /repos/{o}/{r}/compare/{base}...{head}"]).toBe(1);
    expect(counts["GET /repos/{o}/{r}/git/trees/{sha}"]).toBe(2);
    expect(requests, JSON.stringify(counts)).toBeLessThanOrEqual(budget);
    expect(fake.conformance.problems).toEqual([]);
  }, 120_000);
});
