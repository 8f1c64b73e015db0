// End to end: the real server (src/main.ts) with the App switched on, signed webhook deliveries
// over HTTP, and a local fake GitHub API serving the example repository (examples/shop).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nock from "nock";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { type RunningServer, startServer } from "../../src/main.ts";
import { runCovenant } from "../helpers/covenant-bin.ts";
import { type CheckRun, type FakeGitHub, startFakeGitHub } from "../helpers/fake-github.ts";
import { examplePayload, testPrivateKey } from "../helpers/github-app-harness.ts";
import { commitSha, type Files, readDirectoryFiles } from "../helpers/github-repo-fixture.ts";
import { sendDelivery } from "../helpers/signed-delivery.ts";

const SECRET = "e2e-secret";
const shop = readDirectoryFiles(join(import.meta.dirname, "../../examples/shop"));
const BASE = commitSha(shop, "base");
const head: Files = {
  ...shop,
  "db/migrations/0006_drop_orders_currency.up.sql": "ALTER TABLE orders DROP COLUMN currency;\n",
  "db/migrations/0006_drop_orders_currency.down.sql": "ALTER TABLE orders ADD COLUMN currency char(3);\n",
};
const HEAD = commitSha(head, "head");

const prPayload = (action: string) => {
  const payload = examplePayload("pull_request", action === "opened" ? "opened" : action);
  payload.action = action;
  payload.installation = { id: 42 };
  payload.repository = {
    ...payload.repository,
    id: 555,
    name: "shop",
    full_name: "acme/shop",
    owner: { ...payload.repository.owner, login: "acme" },
  };
  payload.pull_request = {
    ...payload.pull_request,
    number: 7,
    head: { ...payload.pull_request.head, sha: HEAD },
  };
  return payload;
};

describe("end to end: signed webhooks -> real server -> fake GitHub", () => {
  let fake: FakeGitHub;
  let server: RunningServer;
  let dir: string;
  const logs: Array<{ msg?: string }> = [];

  const completedRun = (sha: string, timeoutMs = 30_000) =>
    new Promise<CheckRun>((resolve, reject) => {
      const found = [...fake.checkRuns.values()].find((r) => r.head_sha === sha && r.status === "completed");
      if (found) return resolve(found);
      const timer = setTimeout(() => reject(new Error("no completed check run")), timeoutMs);
      fake.onCheckCompleted((run) => {
        if (run.head_sha === sha) {
          clearTimeout(timer);
          resolve(run);
        }
      });
    });

  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect("127.0.0.1"); // only our own servers
    fake = await startFakeGitHub();
    fake.repos.set("acme/shop", {
      owner: "acme",
      name: "shop",
      id: 555,
      defaultBranch: "main",
      commits: new Map([
        [BASE, shop],
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
    });
    dir = mkdtempSync(join(tmpdir(), "covenant-e2e-"));
    const config = loadConfig({
      PORT: "0",
      HOST: "127.0.0.1",
      DATABASE_URL: `file:${join(dir, "e2e.db")}`,
      APP_ID: "1",
      PRIVATE_KEY: testPrivateKey(),
      WEBHOOK_SECRET: SECRET,
      GITHUB_API_URL: fake.url,
      JOB_WORKERS: "2",
      // The analyses run on worker threads, as in production (the default is one per spare CPU).
      ANALYSIS_THREADS: "2",
      LOG_LEVEL: "info",
    });
    const logger = pino({ level: "info" }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    server = await startServer({ config, logger });
  });

  afterAll(async () => {
    await server?.close();
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
    nock.enableNetConnect();
  });

  test("wrongly signed deliveries are rejected and do nothing", async () => {
    const bad = await sendDelivery({
      url: server.url,
      secret: SECRET,
      signatureSecret: "nope",
      event: "pull_request",
      payload: prPayload("opened"),
    });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.status).toBeLessThan(500);
    const res = await fetch(`${server.url}/api/github/webhooks`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "pull_request",
        "x-github-delivery": "unsigned",
      },
      body: JSON.stringify(prPayload("opened")),
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(await server.db.job.count()).toBe(0);
    expect(await server.db.webhookDelivery.count()).toBe(0);
  });

  test("a PR that drops a BLOCK contract's column: failing check with annotations, one comment, owners asked, violation stored", async () => {
    const delivery = await sendDelivery({
      url: server.url,
      secret: SECRET,
      event: "pull_request",
      payload: prPayload("opened"),
      id: "e2e-opened",
    });
    expect(delivery.status).toBe(200);
    // Acknowledged once durably queued; how fast is measured by npm run bench:app, not here.
    expect(await server.db.job.count({ where: { kind: "github.analyze" } })).toBe(1);
    const run = await completedRun(HEAD);
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
    await expect.poll(async () => server.db.violation.count(), { timeout: 10_000 }).toBe(1);
    expect(await server.db.violation.findFirst()).toMatchObject({
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
      HOME: dir,
      DATABASE_URL: `file:${join(dir, "e2e.db")}`,
      LOG_LEVEL: "silent",
    };
    const cli = (...args: string[]) => runCovenant(args, { cwd: dir, env });
    const org = cli("keys", "create", "--scope", "read", "--installation", "acme");
    expect(org.code, org.stderr).toBe(0);
    expect(org.stderr).toContain('installation "acme"');
    const local = cli("keys", "create", "--scope", "read");
    expect(local.code, local.stderr).toBe(0);
    const violations = async (key: string) => {
      const res = await fetch(`${server.url}/api/v1/violations`, {
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
    await server.db.job.findFirst(); // let the previous job settle
    const again = await sendDelivery({
      url: server.url,
      secret: SECRET,
      event: "pull_request",
      payload: prPayload("opened"),
      id: "e2e-opened",
    });
    expect(again.status).toBe(200);
    const sync = await sendDelivery({
      url: server.url,
      secret: SECRET,
      event: "pull_request",
      payload: prPayload("synchronize"),
    });
    expect(sync.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect([...fake.checkRuns.values()].filter((r) => r.head_sha === HEAD)).toHaveLength(1);
    expect(fake.comments.size).toBe(1);
    expect(await server.db.violation.count()).toBe(1);
    expect(await server.db.checkRecord.count()).toBe(1);
  });

  test("an owner's waiver comment turns the check green and the comment all clear", async () => {
    const violation = await server.db.violation.findFirstOrThrow();
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
    expect(
      (await sendDelivery({ url: server.url, secret: SECRET, event: "issue_comment", payload })).status,
    ).toBe(200);
    await expect
      .poll(() => before.completedAt !== completedBefore && before.status === "completed", {
        timeout: 30_000,
      })
      .toBe(true);
    expect(before.conclusion).toBe("success");
    await expect.poll(() => [...fake.comments.values()][0]?.body, { timeout: 10_000 }).toMatch(/all clear/);
    expect(await server.db.violation.findFirst()).toMatchObject({
      status: "waived",
      waivedBy: "olivia",
      waiverReason: "currency moves to prices table",
    });
    expect(fake.reactions).toEqual([{ commentId: 31337, content: "+1" }]);
    expect(fake.conformance.problems).toEqual([]);
  });

  test("the analyses ran on the analysis worker threads, none fell back to the main thread", () => {
    expect(logs.filter((l) => l.msg === "analysis worker started").length).toBeGreaterThan(0);
    expect(logs.filter((l) => /could not start/.test(String(l.msg)))).toEqual([]);
  });
});
