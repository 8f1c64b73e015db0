// End to end: the real server (src/main.ts) with the App switched on, signed webhook deliveries
// over HTTP, and a local fake GitHub API serving the example repository (examples/shop).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  type AppServerWithGitHub,
  completedCheckRun,
  SHOP,
  startAppWithGitHub,
} from "../helpers/app-server.ts";
import { runCovenant } from "../helpers/covenant-bin.ts";
import type { FakeGitHub } from "../helpers/fake-github.ts";
import { commitSha, type Files } from "../helpers/github-repo-fixture.ts";
import { examplePayload, pullRequestPayload, SHOP_REPOSITORY } from "../helpers/webhook-examples.ts";

const BASE = commitSha(SHOP, "base");
const head: Files = {
  ...SHOP,
  "db/migrations/0006_drop_orders_currency.up.sql": "ALTER TABLE orders DROP COLUMN currency;\n",
  "db/migrations/0006_drop_orders_currency.down.sql": "ALTER TABLE orders ADD COLUMN currency char(3);\n",
};
const HEAD = commitSha(head, "head");

const prPayload = (action: string) => pullRequestPayload({ action, number: 7, sha: HEAD });

describe("end to end: signed webhooks -> real server -> fake GitHub", () => {
  let fake: FakeGitHub;
  let app: AppServerWithGitHub;
  const logs = () => app.logs.map((line) => JSON.parse(line) as { msg?: string });

  beforeAll(async () => {
    app = await startAppWithGitHub({
      repositories: [
        {
          ...SHOP_REPOSITORY,
          defaultBranch: "main",
          commits: new Map([
            [BASE, SHOP],
            [HEAD, head],
          ]),
          pulls: new Map([
            [
              7,
              {
                number: 7,
                baseSha: BASE,
                headSha: HEAD,
                author: "dev1",
                files: [
                  { filename: "db/migrations/0006_drop_orders_currency.up.sql", status: "added" },
                  { filename: "db/migrations/0006_drop_orders_currency.down.sql", status: "added" },
                ],
              },
            ],
          ]),
          teams: { "data-platform": ["olivia"] },
        },
      ],
      // The analyses run on worker threads, as in production (the default is one per spare CPU).
      config: { JOB_WORKERS: "2", ANALYSIS_THREADS: "2" },
      logLevel: "info",
    });
    fake = app.github;
  });

  afterAll(async () => {
    await app?.close();
  });

  test("wrongly signed deliveries are rejected and do nothing", async () => {
    const bad = await app.deliver("pull_request", prPayload("opened"), { signatureSecret: "nope" });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.status).toBeLessThan(500);
    const res = await fetch(`${app.base}/api/github/webhooks`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "pull_request",
        "x-github-delivery": "unsigned",
      },
      body: JSON.stringify(prPayload("opened")),
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(await app.server.db.job.count()).toBe(0);
    expect(await app.server.db.webhookDelivery.count()).toBe(0);
  });

  test("a PR that drops a BLOCK contract's column: failing check with annotations, one comment, owners asked, violation stored", async () => {
    const delivery = await app.deliver("pull_request", prPayload("opened"), { id: "e2e-opened" });
    expect(delivery.status).toBe(200);
    // Acknowledged once durably queued; how fast is measured by npm run bench:app, not here.
    expect(await app.server.db.job.count({ where: { kind: "github.analyze" } })).toBe(1);
    const run = await completedCheckRun(fake, HEAD, 30_000);
    expect(run.name).toBe("Covenant");
    // A fast analysis creates its run completed; a slow one (a loaded machine) shows it in progress first.
    expect(run.history.at(-1)).toBe("completed");
    expect(run.conclusion).toBe("failure");
    expect(run.annotations).toContainEqual(
      expect.objectContaining({
        path: "db/migrations/0006_drop_orders_currency.up.sql",
        start_line: 1,
        annotation_level: "failure",
      }),
    );
    await expect.poll(() => fake.comments.size, { timeout: 10_000 }).toBe(1);
    const [comment] = [...fake.comments.values()];
    expect(comment?.body).toContain("<!-- covenant:pr-comment -->");
    expect(comment?.body).toContain("@acme/data-platform");
    await expect.poll(() => fake.reviewRequests.length, { timeout: 10_000 }).toBe(1);
    expect(fake.reviewRequests[0]).toMatchObject({ pull: 7, team_reviewers: ["data-platform"] });
    await expect.poll(async () => app.server.db.violation.count(), { timeout: 10_000 }).toBe(1);
    expect(await app.server.db.violation.findFirst()).toMatchObject({
      rule: "column-removed",
      contractName: "orders",
      column: "currency",
      gitRepo: "acme/shop",
      prNumber: 7,
      gitHash: HEAD,
      author: "dev1",
      prLink: "https://github.com/acme/shop/pull/7",
    });
    expect(fake.conformance.problems).toEqual([]);
  });

  test("the documented command gives a key that sees the organization's pull-request violations; a local key sees none", async () => {
    // README "Installations": run on the server's machine with its database, the real command.
    const env = {
      PATH: process.env.PATH ?? "",
      HOME: app.dir,
      DATABASE_URL: app.databaseUrl,
      LOG_LEVEL: "silent",
    };
    const cli = (...args: string[]) => runCovenant(args, { cwd: app.dir, env });
    const org = cli("keys", "create", "--scope", "read", "--installation", "acme");
    expect(org.code, org.stderr).toBe(0);
    expect(org.stderr).toContain('installation "acme"');
    const local = cli("keys", "create", "--scope", "read");
    expect(local.code, local.stderr).toBe(0);
    const violations = async (key: string) => {
      const res = await fetch(`${app.base}/api/v1/violations`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { content: Array<{ rule: string; git_repo: string; pr_number: number }> })
        .content;
    };
    expect(await violations(org.stdout.trim())).toEqual([
      expect.objectContaining({ rule: "column-removed", git_repo: "acme/shop", pr_number: 7 }),
    ]);
    expect(await violations(local.stdout.trim())).toEqual([]);
  });

  test("redelivery and a repeated event for the same head SHA create no second check run, comment or violation", async () => {
    await app.server.db.job.findFirst(); // let the previous job settle
    const again = await app.deliver("pull_request", prPayload("opened"), { id: "e2e-opened" });
    expect(again.status).toBe(200);
    const sync = await app.deliver("pull_request", prPayload("synchronize"));
    expect(sync.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect([...fake.checkRuns.values()].filter((r) => r.head_sha === HEAD)).toHaveLength(1);
    expect(fake.comments.size).toBe(1);
    expect(await app.server.db.violation.count()).toBe(1);
    expect(await app.server.db.checkRecord.count()).toBe(1);
  });

  test("an owner's waiver comment turns the check green and the comment all clear", async () => {
    const violation = await app.server.db.violation.findFirstOrThrow();
    const payload = examplePayload("issue_comment", "created");
    payload.installation = { id: 42 };
    payload.repository = prPayload("opened").repository;
    payload.issue = {
      ...payload.issue,
      number: 7,
      pull_request: { url: "https://api.github.com/repos/acme/shop/pulls/7" },
    };
    payload.comment = {
      ...payload.comment,
      id: 31337,
      body: `/covenant waive ${violation.fingerprint} currency moves to prices table`,
      user: { ...payload.comment.user, login: "olivia", type: "User" },
    };
    const before = [...fake.checkRuns.values()].find((r) => r.head_sha === HEAD)!;
    const completedBefore = before.completedAt;
    expect((await app.deliver("issue_comment", payload)).status).toBe(200);
    await expect
      .poll(() => before.completedAt !== completedBefore && before.status === "completed", {
        timeout: 30_000,
      })
      .toBe(true);
    expect(before.conclusion).toBe("success");
    await expect.poll(() => [...fake.comments.values()][0]?.body, { timeout: 10_000 }).toMatch(/all clear/);
    expect(await app.server.db.violation.findFirst()).toMatchObject({
      status: "waived",
      waivedBy: "olivia",
      waiverReason: "currency moves to prices table",
    });
    expect(fake.reactions).toEqual([{ commentId: 31337, content: "+1" }]);
    expect(fake.conformance.problems).toEqual([]);
  });

  test("the analyses ran on the analysis worker threads, none fell back to the main thread", () => {
    expect(logs().filter((l) => l.msg === "analysis worker started").length).toBeGreaterThan(0);
    expect(logs().filter((l) => /could not start/.test(String(l.msg)))).toEqual([]);
  });
});
