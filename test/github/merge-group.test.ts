// GitHub's merge queue asks for the required checks on a merge group (merge_group.checks_requested):
// the App analyses the group's head against its base and completes the Covenant check run on the
// group's head SHA, with the waivers of the group's pull requests. Real payloads, nock, the App harness.
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { waivePullRequestViolation } from "../../src/db/github-violations.ts";
import { createHarness, examplePayload, type Harness, type Json } from "../helpers/github-app-harness.ts";
import {
  commitSha,
  type Files,
  graphqlFilesResponse,
  smallRepository,
  treeResponse,
} from "../helpers/github-repo-fixture.ts";

const REPO = "/repos/octo-org/octo-repo";
const base = smallRepository();
const BASE = commitSha(base);
const head: Files = { ...base, "migrations/0003_drop_email.sql": "ALTER TABLE orders DROP COLUMN email;\n" };
const GROUP_1 = commitSha(head, "group-1");
const PR_HEAD = commitSha(head, "pr-104");
const GROUP_2 = commitSha(head, "group-2");
const GROUP_3 = commitSha(head, "group-3");
const PR_HEAD_2 = commitSha(head, "pr-106");
const commits = new Map<string, Files>([
  [GROUP_3, head],
  [PR_HEAD_2, head],
  [BASE, base],
  [GROUP_1, head],
  [PR_HEAD, head],
  [GROUP_2, head],
]);

const mergeGroupPayload = ({
  headSha,
  pr,
  action = "checks_requested",
}: {
  headSha: string;
  pr: number;
  action?: string;
}) => {
  const payload = examplePayload("merge_group", "checks_requested");
  payload.action = action;
  payload.merge_group = {
    ...payload.merge_group,
    head_sha: headSha,
    base_sha: BASE,
    head_ref: `refs/heads/gh-readonly-queue/main/pr-${pr}-${BASE}`,
    head_commit: {
      ...payload.merge_group.head_commit,
      id: headSha,
      message: `Merge pull request #${pr} from octo-org/drop-email\n\nDrop email`,
    },
  };
  if (action === "destroyed") payload.reason = "dequeued";
  return payload;
};

const compareResponse = (messages: string[]) => ({
  status: "ahead",
  ahead_by: messages.length,
  behind_by: 0,
  total_commits: messages.length,
  commits: messages.map((message, i) => ({ sha: String(i).repeat(40), commit: { message } })),
  files: [
    {
      sha: "0".repeat(40),
      filename: "migrations/0003_drop_email.sql",
      status: "added",
      additions: 1,
      deletions: 0,
      changes: 1,
    },
  ],
});

describe("merge queue: merge_group.checks_requested", () => {
  let h: Harness;
  beforeAll(async () => {
    nock.disableNetConnect();
    h = await createHarness();
  });
  afterEach(() => {
    expect(nock.pendingMocks()).toEqual([]);
    expect(h.conformance.problems).toEqual([]);
  });
  afterAll(async () => {
    await h.close();
    nock.cleanAll();
    nock.enableNetConnect();
  });

  test("a group that breaks a BLOCK contract: the Covenant check run on the group's head fails", async () => {
    const checks: Json[] = [];
    h.github()
      .post("/app/installations/1/access_tokens")
      .reply(201, { token: "ghs_test", expires_at: new Date(Date.now() + 3600_000).toISOString() })
      .post(`${REPO}/check-runs`, (body) => checks.push(body) > 0)
      .reply(201, { id: 90 })
      .get(`${REPO}/compare/${BASE}...${GROUP_1}`)
      .reply(200, compareResponse(["Merge pull request #103 from octo-org/drop-email\n\nDrop email"]))
      .get(`${REPO}/git/trees/${BASE}`)
      .query({ recursive: "1" })
      .reply(200, treeResponse(BASE, base))
      .post("/graphql")
      .times(2)
      .reply(200, (_uri, body) => graphqlFilesResponse((body as { query: string }).query, commits))
      .patch(`${REPO}/check-runs/90`, (body) => checks.push(body) > 0)
      .reply(200, { id: 90 });
    await h.deliver("mg-1", "merge_group", mergeGroupPayload({ headSha: GROUP_1, pr: 103 }));
    expect(checks[0]).toMatchObject({ name: "Covenant", head_sha: GROUP_1, status: "in_progress" });
    expect(checks.at(-1)).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(checks.at(-1).output.summary).toContain("#103");
    expect(checks.at(-1).output.annotations).toContainEqual(
      expect.objectContaining({ path: "migrations/0003_drop_email.sql", annotation_level: "failure" }),
    );
    // The group is not a PR: nothing is commented and no violation is stored for it.
    expect(await h.t.db.violation.count()).toBe(0);
  });

  test("a group whose PRs' violations were waived by an owner passes", async () => {
    // PR #104 is analysed on its own first, and an owner waives its violation.
    const pr = examplePayload("pull_request", "opened");
    const repository = mergeGroupPayload({ headSha: GROUP_2, pr: 105 }).repository;
    const prJson = {
      ...pr.pull_request,
      number: 104,
      state: "open",
      user: { ...pr.pull_request.user, login: "author1" },
      head: { ...pr.pull_request.head, sha: PR_HEAD },
      base: { ...pr.pull_request.base, sha: BASE, repo: repository },
      requested_reviewers: [],
      requested_teams: [],
    };
    h.github()
      .get(`${REPO}/pulls/104`)
      .reply(200, prJson)
      .post(`${REPO}/check-runs`)
      .reply(201, { id: 91 })
      .get(`${REPO}/pulls/104/files`)
      .query({ per_page: 100 })
      .reply(200, compareResponse([]).files)
      .post("/graphql")
      .reply(200, (_uri, body) => graphqlFilesResponse((body as { query: string }).query, commits))
      .patch(`${REPO}/check-runs/91`)
      .reply(200, { id: 91 })
      .post(`${REPO}/issues/104/comments`)
      .reply(201, { id: 601 })
      .post(`${REPO}/pulls/104/requested_reviewers`)
      .reply(201, {});
    await h.deliver("pr-104", "pull_request", {
      ...pr,
      repository,
      installation: { id: 1 },
      pull_request: prJson,
    });
    const violation = await h.t.db.violation.findFirstOrThrow({ where: { prNumber: 104 } });
    expect(
      await waivePullRequestViolation(h.t.db, {
        installationId: violation.installationId,
        repoFullName: "octo-org/octo-repo",
        prNumber: 104,
        fingerprint: violation.fingerprint,
        by: "octocat",
        reason: "email moves to the customers table",
        at: new Date(),
      }),
    ).toBe(true);

    // Then #104 (squashed) and #105 (the group's branch) are queued together.
    const checks: Json[] = [];
    h.github()
      .post(`${REPO}/check-runs`)
      .reply(201, { id: 92 })
      .get(`${REPO}/compare/${BASE}...${GROUP_2}`)
      .reply(200, compareResponse(["Drop email (#104)", "Merge pull request #105 from octo-org/readme"]))
      .post("/graphql")
      .reply(200, (_uri, body) => graphqlFilesResponse((body as { query: string }).query, commits))
      .patch(`${REPO}/check-runs/92`, (body) => checks.push(body) > 0)
      .reply(200, { id: 92 });
    await h.deliver("mg-2", "merge_group", mergeGroupPayload({ headSha: GROUP_2, pr: 105 }));
    expect(checks.at(-1)).toMatchObject({ status: "completed", conclusion: "success" });
    expect(checks.at(-1).output.summary).toMatch(/#104, #105/);
    expect(checks.at(-1).output.summary).toContain("email moves to the customers table");
  });

  test("GitHub refusing the verdict (422) still leaves the group's check run completed, failing, with the reason", async () => {
    const checks: Json[] = [];
    h.github()
      .post(`${REPO}/check-runs`)
      .reply(201, { id: 93 })
      .get(`${REPO}/compare/${BASE}...${GROUP_3}`)
      .reply(200, compareResponse(["Merge pull request #107 from octo-org/drop-email"]))
      .post("/graphql")
      .reply(200, (_uri, body) => graphqlFilesResponse((body as { query: string }).query, commits))
      .patch(`${REPO}/check-runs/93`)
      .reply(422, { message: "Invalid request.\n\nFor 'properties/output', nil is not an object." })
      .patch(`${REPO}/check-runs/93`, (body) => checks.push(body) > 0)
      .reply(200, { id: 93 });
    await h.deliver("mg-4", "merge_group", mergeGroupPayload({ headSha: GROUP_3, pr: 107 }));
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(checks[0].output.title).toMatch(/could not analyse this merge group/);
    expect(checks[0].output.summary).toMatch(/Invalid request/);
  });

  test("a PR whose verdict GitHub refuses (422) still gets a completed, failing check run with the reason", async () => {
    const pr = examplePayload("pull_request", "opened");
    const repository = mergeGroupPayload({ headSha: GROUP_3, pr: 106 }).repository;
    const prJson = {
      ...pr.pull_request,
      number: 106,
      state: "open",
      user: { ...pr.pull_request.user, login: "author1" },
      head: { ...pr.pull_request.head, sha: PR_HEAD_2 },
      base: { ...pr.pull_request.base, sha: BASE, repo: repository },
      requested_reviewers: [],
      requested_teams: [],
    };
    const checks: Json[] = [];
    h.github()
      .get(`${REPO}/pulls/106`)
      .reply(200, prJson)
      .post(`${REPO}/check-runs`)
      .reply(201, { id: 94 })
      .get(`${REPO}/pulls/106/files`)
      .query({ per_page: 100 })
      .reply(200, compareResponse([]).files)
      .post("/graphql")
      .reply(200, (_uri, body) => graphqlFilesResponse((body as { query: string }).query, commits))
      .patch(`${REPO}/check-runs/94`)
      .reply(422, { message: "Invalid request.\n\nFor 'properties/output', nil is not an object." })
      .patch(`${REPO}/check-runs/94`, (body) => checks.push(body) > 0)
      .reply(200, { id: 94 });
    await h.deliver("pr-106", "pull_request", {
      ...pr,
      repository,
      installation: { id: 1 },
      pull_request: prJson,
    });
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(checks[0].output.summary).toMatch(/Invalid request/);
  });

  test("merge_group.destroyed is acknowledged and does nothing", async () => {
    const jobs = await h.t.db.job.count();
    await h.deliver(
      "mg-3",
      "merge_group",
      mergeGroupPayload({ headSha: GROUP_1, pr: 103, action: "destroyed" }),
    );
    expect(await h.t.db.job.count()).toBe(jobs);
  });
});
