import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { getCheckRecord } from "../../src/db/github-checks.ts";
import { completeCheckRun } from "../../src/github/publish-check.ts";
import { createHarness, examplePayload, type Harness, TestOctokit } from "../helpers/github-app-harness.ts";
import {
  commitSha,
  type Files,
  graphqlFilesResponse,
  graphqlRequestedPaths,
  ORDERS_CONTRACT,
  prFile,
  smallRepository,
  treeResponse,
} from "../helpers/github-repo-fixture.ts";
import { createConformanceLog } from "../helpers/openapi-conformance.ts";

// biome-ignore lint/suspicious/noExplicitAny: webhook payloads and request bodies are arbitrary JSON here
type Json = any;

const REPO = "/repos/Codertocat/Hello-World";
const base = smallRepository();
const BASE = commitSha(base);
const head: Files = { ...base, "migrations/0003_drop_email.sql": "ALTER TABLE orders DROP COLUMN email;\n" };
const HEAD = commitSha(head, "head");
const commits = new Map<string, Files>([
  [BASE, base],
  [HEAD, head],
]);

const prJson = (extra: Record<string, unknown> = {}) => {
  const pr = examplePayload("pull_request", "opened").pull_request;
  return {
    ...pr,
    number: 2,
    state: "open",
    user: { ...pr.user, login: "author1" },
    head: { ...pr.head, sha: HEAD },
    base: { ...pr.base, sha: BASE },
    requested_reviewers: [],
    requested_teams: [],
    ...extra,
  };
};

describe.each(["sqlite", "postgresql"] as const)(
  "GitHub App handlers on %s (nock, real payloads, OpenAPI-checked requests)",
  (provider) => {
    let h: Harness;
    let violationId = "";
    beforeAll(async () => {
      nock.disableNetConnect();
      h = await createHarness({ provider });
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

    test("installation.created creates the tenant and its repositories", async () => {
      const payload = examplePayload("installation", "created");
      await h.deliver("inst-1", "installation", payload);
      const installation = await h.t.db.installation.findUnique({
        where: { githubId: payload.installation.id },
      });
      expect(installation?.accountLogin).toBe(payload.installation.account.login);
      const repos = await h.t.db.repository.findMany({ where: { installationId: installation!.id } });
      expect(repos.map((r) => r.fullName).sort()).toEqual(
        payload.repositories.map((r: { full_name: string }) => r.full_name).sort(),
      );

      const changed = examplePayload("installation_repositories");
      await h.deliver("inst-2", "installation_repositories", changed);
      const tenant = await h.t.db.installation.findUnique({ where: { githubId: changed.installation.id } });
      const removed = await h.t.db.repository.findMany({
        where: { installationId: tenant!.id, removedAt: { not: null } },
      });
      expect(removed.map((r) => r.fullName)).toEqual(
        changed.repositories_removed.map((r: { full_name: string }) => r.full_name),
      );
    });

    test("pull_request.opened: check run in progress, then completed with annotations; sticky comment; owners asked to review", async () => {
      const bodies: Record<string, Json[]> = { check: [], graphql: [], comment: [], reviews: [] };
      h.github()
        .post("/app/installations/1/access_tokens")
        .reply(201, { token: "ghs_test", expires_at: new Date(Date.now() + 3600_000).toISOString() })
        .get(`${REPO}/pulls/2`)
        .reply(200, prJson())
        .post(`${REPO}/check-runs`, (body) => bodies.check!.push(body) > 0)
        .reply(201, { id: 77 })
        .get(`${REPO}/pulls/2/files`)
        .query({ per_page: 100 })
        .reply(200, [prFile("migrations/0003_drop_email.sql")])
        .get(`${REPO}/git/trees/${BASE}`)
        .query({ recursive: "1" })
        .reply(200, treeResponse(BASE, base))
        .post("/graphql", (body) => bodies.graphql!.push(body) > 0)
        .times(2)
        .reply(200, (_uri, body) => graphqlFilesResponse((body as { query: string }).query, commits))
        .patch(`${REPO}/check-runs/77`, (body) => bodies.check!.push(body) > 0)
        .reply(200, { id: 77 })
        .post(`${REPO}/issues/2/comments`, (body) => bodies.comment!.push(body) > 0)
        .reply(201, { id: 501 })
        .post(`${REPO}/pulls/2/requested_reviewers`, (body) => bodies.reviews!.push(body) > 0)
        .reply(201, {});

      const payload = examplePayload("pull_request", "opened");
      payload.pull_request.head.sha = HEAD;
      await h.deliver("pr-opened-1", "pull_request", payload);

      expect(bodies.check![0]).toMatchObject({ name: "Covenant", head_sha: HEAD, status: "in_progress" });
      const completed = bodies.check!.at(-1);
      expect(completed).toMatchObject({ status: "completed", conclusion: "failure" });
      expect(completed.output.annotations).toContainEqual(
        expect.objectContaining({
          path: "migrations/0003_drop_email.sql",
          start_line: 1,
          annotation_level: "failure",
        }),
      );
      // Only what is needed: the base history and contract, then the PR's own file.
      expect(bodies.graphql!.map((b) => graphqlRequestedPaths(b.query).sort())).toEqual([
        [
          "contracts/orders.yaml",
          "migrations/0001_create_orders.sql",
          "migrations/0002_create_customers.sql",
        ],
        ["migrations/0003_drop_email.sql"],
      ]);
      expect(bodies.comment![0].body).toContain("<!-- covenant:pr-comment -->");
      expect(bodies.comment![0].body).toContain("@octocat");
      expect(bodies.reviews![0]).toEqual({ reviewers: ["octocat"], team_reviewers: ["data-platform"] });

      const violations = await h.t.db.violation.findMany();
      expect(violations).toHaveLength(1);
      expect(violations[0]).toMatchObject({
        rule: "column-removed",
        contractName: "orders",
        gitHash: HEAD,
        gitRepo: "Codertocat/Hello-World",
        prNumber: 2,
        author: "author1",
        status: "open",
        file: "migrations/0003_drop_email.sql",
        line: 1,
      });
      violationId = violations[0]!.fingerprint;
      const installation = await h.t.db.installation.findUnique({ where: { githubId: 1 } });
      const repository = await h.t.db.repository.findFirst({
        where: { installationId: installation!.id, fullName: "Codertocat/Hello-World" },
      });
      const record = await getCheckRecord(h.t.db, repository!.id, HEAD);
      expect(record).toMatchObject({ checkRunId: 77n, commentId: 501n, conclusion: "failure", prNumber: 2 });
      expect(await h.t.db.schemaSnapshot.count({ where: { commitSha: BASE } })).toBe(1);
    });

    test("a redelivery and a repeated event for the same head SHA send nothing and store nothing new", async () => {
      const payload = examplePayload("pull_request", "opened");
      payload.pull_request.head.sha = HEAD;
      await h.deliver("pr-opened-1", "pull_request", payload);
      const sync = examplePayload("pull_request", "synchronize");
      sync.pull_request.head.sha = HEAD;
      sync.pull_request.number = 2;
      await h.deliver("pr-sync-1", "pull_request", sync);
      const suite = examplePayload("check_suite", "requested");
      suite.installation = { id: 1 };
      suite.check_suite.pull_requests = [
        { number: 2, head: { sha: HEAD, ref: "x", repo: {} }, base: { sha: BASE, ref: "master", repo: {} } },
      ];
      await h.deliver("suite-1", "check_suite", suite);
      expect(await h.t.db.job.count({ where: { kind: "github.analyze" } })).toBe(1);
      expect(await h.t.db.violation.count()).toBe(1);
      expect(
        await h.t.db.webhookDelivery.count({
          where: { id: { in: ["pr-opened-1", "pr-sync-1", "suite-1"] } },
        }),
      ).toBe(3);
    });

    const rerunInterceptors = (extra: (scope: nock.Scope) => nock.Scope) => {
      const bodies: Json[] = [];
      const scope = h
        .github()
        .get(`${REPO}/pulls/2`)
        .reply(
          200,
          prJson({
            requested_reviewers: [{ login: "octocat" }],
            requested_teams: [{ slug: "data-platform" }],
          }),
        )
        .patch(`${REPO}/check-runs/77`, (body) => bodies.push(body) > 0)
        .times(2)
        .reply(200, { id: 77 })
        .get(`${REPO}/pulls/2/files`)
        .query({ per_page: 100 })
        .reply(200, [prFile("migrations/0003_drop_email.sql")])
        // The base comes from the cache: only the PR's own file is read.
        .post(
          "/graphql",
          (body) => graphqlRequestedPaths(body.query).join() === "migrations/0003_drop_email.sql",
        )
        .reply(200, (_uri, body) => graphqlFilesResponse((body as { query: string }).query, commits))
        .patch(`${REPO}/issues/comments/501`, (body) => bodies.push(body) > 0)
        .reply(200, { id: 501 });
      extra(scope);
      return bodies;
    };

    const waiveComment = (login: string, body: string) => {
      const payload = examplePayload("issue_comment", "created");
      payload.installation = { id: 1 };
      payload.issue.number = 2;
      payload.issue.pull_request = { url: "https://api.github.com/repos/Codertocat/Hello-World/pulls/2" };
      payload.comment = {
        ...payload.comment,
        id: 9001,
        body,
        user: { ...payload.comment.user, login, type: "User" },
      };
      return payload;
    };

    test("a non-owner's /covenant waive gets a polite refusal and changes nothing", async () => {
      const replies: Json[] = [];
      const bodies = rerunInterceptors((scope) =>
        scope
          .get("/orgs/Codertocat/teams/data-platform/memberships/mallory")
          .reply(404, { message: "Not Found" })
          .post(`${REPO}/issues/2/comments`, (body) => replies.push(body) > 0)
          .reply(201, { id: 502 }),
      );
      await h.deliver(
        "waive-1",
        "issue_comment",
        waiveComment("mallory", `/covenant waive ${violationId} not needed`),
      );
      expect(replies[0].body).toMatch(/only the owners of contract `orders`/);
      expect(bodies.find((b) => b.status === "completed")).toMatchObject({ conclusion: "failure" });
      expect((await h.t.db.violation.findFirst())?.status).toBe("open");
    });

    test("an owner's /covenant waive (team membership checked) is stored with who, when, why and re-runs the check", async () => {
      const bodies = rerunInterceptors((scope) =>
        scope
          .get("/orgs/Codertocat/teams/data-platform/memberships/alice")
          .reply(200, { state: "active", role: "member", url: "https://api.github.com/x" })
          .post(`${REPO}/issues/comments/9001/reactions`, { content: "+1" })
          .reply(201, { id: 1, content: "+1" }),
      );
      await h.deliver(
        "waive-2",
        "issue_comment",
        waiveComment("alice", `/covenant waive ${violationId} column unused since 2023`),
      );
      const row = await h.t.db.violation.findFirst();
      expect(row).toMatchObject({
        status: "waived",
        waivedBy: "alice",
        waiverReason: "column unused since 2023",
      });
      expect(row?.waivedAt).toBeInstanceOf(Date);
      expect(bodies.find((b) => b.status === "completed")).toMatchObject({ conclusion: "success" });
      expect(bodies.find((b) => typeof b.body === "string")?.body).toMatch(/all clear/);
    });

    test("pull_request.closed (merged): violations stamped with the merge; changed contracts become registry versions", async () => {
      const merged: Files = {
        ...head,
        "contracts/orders.yaml": ORDERS_CONTRACT.replace("version: 1.0.0", "version: 1.1.0"),
      };
      const MERGE = commitSha(merged, "merge");
      commits.set(MERGE, merged);
      h.github()
        .get(`${REPO}/pulls/2/reviews`)
        .query({ per_page: 100 })
        .reply(200, [
          { id: 1, user: { login: "alice" }, state: "APPROVED" },
          { id: 2, user: { login: "bob" }, state: "CHANGES_REQUESTED" },
        ])
        .get(`${REPO}/pulls/2/files`)
        .query({ per_page: 100 })
        .reply(200, [prFile("migrations/0003_drop_email.sql"), prFile("contracts/orders.yaml", "modified")])
        .get(`${REPO}/git/trees/${MERGE}`)
        .query({ recursive: "1" })
        .reply(200, treeResponse(MERGE, merged))
        .post("/graphql")
        .reply(200, (_uri, body) => graphqlFilesResponse((body as { query: string }).query, commits));

      const payload = examplePayload("pull_request", "closed");
      Object.assign(payload.pull_request, {
        merged: true,
        merge_commit_sha: MERGE,
        merged_at: "2026-01-02T03:04:05Z",
      });
      await h.deliver("closed-1", "pull_request", payload);

      expect(await h.t.db.violation.findFirst()).toMatchObject({
        mergeCommitSha: MERGE,
        mergedAt: new Date("2026-01-02T03:04:05Z"),
        reviewers: JSON.stringify(["alice"]),
      });
      const version = await h.t.db.contractVersion.findFirst({ where: { version: "1.1.0" } });
      expect(version).toMatchObject({
        gitHash: MERGE,
        filePath: "contracts/orders.yaml",
        fileUrl: `https://github.com/Codertocat/Hello-World/blob/${MERGE}/contracts/orders.yaml`,
        reviewers: JSON.stringify(["alice"]),
        mergedAt: new Date("2026-01-02T03:04:05Z"),
      });
      const contract = await h.t.db.contract.findFirst({ where: { name: "orders" } });
      expect(contract).toMatchObject({ version: "1.1.0", status: "active", enforcement: "BLOCK" });
      // The merge commit is cached as the next base.
      expect(await h.t.db.schemaSnapshot.count({ where: { commitSha: MERGE } })).toBe(1);
    });

    test("push to the default branch caches its base and syncs changed contracts (idempotently)", async () => {
      const pushed: Files = {
        ...base,
        "contracts/orders.yaml": ORDERS_CONTRACT.replace("version: 1.0.0", "version: 1.2.0"),
      };
      const AFTER = commitSha(pushed, "push");
      commits.set(AFTER, pushed);
      h.github()
        .get(`${REPO}/git/trees/${AFTER}`)
        .query({ recursive: "1" })
        .reply(200, treeResponse(AFTER, pushed))
        .post("/graphql")
        .reply(200, (_uri, body) => graphqlFilesResponse((body as { query: string }).query, commits));
      const payload = examplePayload("push");
      const push: Record<string, Json> = {
        ...payload,
        ref: "refs/heads/master",
        after: AFTER,
        deleted: false,
      };
      push.commits = [
        { ...(payload.commits[0] ?? {}), added: [], removed: [], modified: ["contracts/orders.yaml"] },
      ];
      push.installation = { id: 1 };
      await h.deliver("push-1", "push", push);
      await h.deliver("push-1", "push", push); // redelivered: nothing more
      expect(await h.t.db.schemaSnapshot.count({ where: { commitSha: AFTER } })).toBe(1);
      expect(await h.t.db.contractVersion.findFirst({ where: { version: "1.2.0" } })).toMatchObject({
        gitHash: AFTER,
      });
    });

    test("a merged PR past GitHub's 3,000 listed files: every contract of the merge commit is synced, not only the listed ones", async () => {
      const merged: Files = {
        ...base,
        "contracts/orders.yaml": ORDERS_CONTRACT.replace("version: 1.0.0", "version: 1.3.0"),
      };
      const listed = Array.from({ length: 3000 }, (_, i) => `docs/page-${i}.md`);
      for (const path of listed) merged[path] = "# page\n";
      const MERGE = commitSha(merged, "merge-wide");
      commits.set(MERGE, merged);
      h.github()
        .get(`${REPO}/pulls/9/reviews`)
        .query({ per_page: 100 })
        .reply(200, [])
        .get(`${REPO}/pulls/9/files`)
        .query(true)
        .times(30)
        .reply((uri) => {
          const page = Number(new URL(uri, "https://api.github.com").searchParams.get("page") ?? 1);
          const next = `<https://api.github.com${REPO}/pulls/9/files?per_page=100&page=${page + 1}>; rel="next"`;
          return [
            200,
            listed.slice((page - 1) * 100, page * 100).map((path) => prFile(path)),
            page < 30 ? { link: next } : {},
          ];
        })
        .get(`${REPO}/git/trees/${MERGE}`)
        .query({ recursive: "1" })
        .reply(200, treeResponse(MERGE, merged))
        .post("/graphql")
        .reply(200, (_uri, body) => graphqlFilesResponse((body as { query: string }).query, commits));
      const payload = examplePayload("pull_request", "closed");
      Object.assign(payload.pull_request, {
        number: 9,
        merged: true,
        merge_commit_sha: MERGE,
        merged_at: "2026-01-03T03:04:05Z",
      });
      await h.deliver("closed-wide-1", "pull_request", payload);
      // The contract's change is past the list: found all the same.
      expect(await h.t.db.contractVersion.findFirst({ where: { version: "1.3.0" } })).toMatchObject({
        gitHash: MERGE,
        filePath: "contracts/orders.yaml",
      });
      expect(nock.pendingMocks()).toEqual([]);
    });

    test("an analysis that fails completes the check run with the reason: neutral, or failure in a BLOCK repository", async () => {
      // The merged PR above registered a BLOCK contract for this repository; first without it.
      await h.t.db.contract.updateMany({ where: { name: "orders" }, data: { enforcement: "NOTIFY" } });
      const broken: Files = {
        ...base,
        ".github/covenant.yml": "migrations: [ { path: 1, dialect: klingon } ]\n",
      };
      const BROKEN = commitSha(broken, "broken");
      commits.set(BROKEN, broken);
      const bodies: Json[] = [];
      h.github()
        .get(`${REPO}/pulls/3`)
        .reply(
          200,
          prJson({
            number: 3,
            base: { ...prJson().base, sha: BROKEN },
            head: { ...prJson().head, sha: "f".repeat(40) },
          }),
        )
        .post(`${REPO}/check-runs`)
        .reply(201, { id: 78 })
        .get(`${REPO}/pulls/3/files`)
        .query({ per_page: 100 })
        .reply(200, [prFile("migrations/0003_drop_email.sql")])
        .get(`${REPO}/git/trees/${BROKEN}`)
        .query({ recursive: "1" })
        .reply(200, treeResponse(BROKEN, broken))
        .post("/graphql")
        .reply(200, (_uri, body) => graphqlFilesResponse((body as { query: string }).query, commits))
        .patch(`${REPO}/check-runs/78`, (body) => bodies.push(body) > 0)
        .reply(200, { id: 78 });
      const payload = examplePayload("pull_request", "opened");
      payload.pull_request.number = 3;
      payload.pull_request.head.sha = "f".repeat(40);
      await h.deliver("pr-broken", "pull_request", payload);
      expect(bodies[0]).toMatchObject({ status: "completed", conclusion: "neutral" });
      expect(bodies[0].output.summary).toMatch(/covenant\.yml/);
      expect(bodies[0].output.summary).toContain("pr-broken");

      await h.t.db.contract.updateMany({ where: { name: "orders" }, data: { enforcement: "BLOCK" } });
      h.github()
        .get(`${REPO}/pulls/3`)
        .reply(
          200,
          prJson({
            number: 3,
            base: { ...prJson().base, sha: BROKEN },
            head: { ...prJson().head, sha: "f".repeat(40) },
          }),
        )
        .patch(`${REPO}/check-runs/78`, (body) => bodies.push(body) > 0)
        .times(2)
        .reply(200, { id: 78 })
        .get(`${REPO}/pulls/3/files`)
        .query({ per_page: 100 })
        .reply(200, [prFile("migrations/0003_drop_email.sql")])
        .get(`${REPO}/git/trees/${BROKEN}`)
        .query({ recursive: "1" })
        .reply(200, treeResponse(BROKEN, broken))
        .post("/graphql")
        .reply(200, (_uri, body) => graphqlFilesResponse((body as { query: string }).query, commits));
      payload.action = "reopened";
      await h.deliver("pr-broken-again", "pull_request", payload);
      expect(bodies.at(-1)).toMatchObject({ status: "completed", conclusion: "failure" });
    });

    const H4 = commitSha(head, "pr4");
    commits.set(H4, head);
    const pr4 = (extra: Record<string, unknown> = {}) =>
      prJson({
        number: 4,
        head: { ...prJson().head, sha: H4 },
        html_url: "https://github.com/Codertocat/Hello-World/pull/4",
        ...extra,
      });
    const pr4Files = () =>
      h
        .github()
        .get(`${REPO}/pulls/4/files`)
        .query({ per_page: 100 })
        .reply(200, [prFile("migrations/0003_drop_email.sql")])
        .post("/graphql")
        .reply(200, (_uri, body) => graphqlFilesResponse((body as { query: string }).query, commits));

    test("a GitHub 502 fails the job, the queue retries it, and the result still lands", async () => {
      const completed: Json[] = [];
      h.github()
        .get(`${REPO}/pulls/4`)
        .reply(502, { message: "Bad Gateway" })
        .get(`${REPO}/pulls/4`)
        .reply(200, pr4())
        // A retry first looks for a check run an earlier attempt may have created (none here).
        .get(`${REPO}/commits/${H4}/check-runs`)
        .query({ check_name: "Covenant", filter: "latest", per_page: 1 })
        .reply(200, { total_count: 0, check_runs: [] })
        .post(`${REPO}/check-runs`)
        .reply(201, { id: 79 })
        .patch(`${REPO}/check-runs/79`, (body) => completed.push(body) > 0)
        .reply(200, { id: 79 })
        .post(`${REPO}/issues/4/comments`)
        .reply(201, { id: 601 })
        .post(`${REPO}/pulls/4/requested_reviewers`)
        .reply(201, {});
      pr4Files();
      const payload = examplePayload("pull_request", "opened");
      payload.pull_request.number = 4;
      payload.pull_request.head.sha = H4;
      await h.deliver("pr4-opened", "pull_request", payload);
      expect(completed[0]).toMatchObject({ status: "completed", conclusion: "failure" });
      expect(await h.t.db.job.findFirst({ where: { dedupeKey: { endsWith: `#4@${H4}` } } })).toMatchObject({
        status: "done",
        attempts: 2,
      });
    });

    test("check_run.rerequested re-runs Covenant's check in place; another App's check is ignored", async () => {
      const other = examplePayload("check_run", "rerequested");
      other.installation = { id: 1 };
      other.repository = examplePayload("pull_request", "opened").repository;
      other.check_run.pull_requests = [
        { number: 4, head: { sha: H4, ref: "x", repo: {} }, base: { sha: BASE, ref: "master", repo: {} } },
      ];
      await h.deliver("rerun-other", "check_run", other);

      const bodies: Json[] = [];
      h.github()
        .get(`${REPO}/pulls/4`)
        .reply(
          200,
          pr4({ requested_reviewers: [{ login: "octocat" }], requested_teams: [{ slug: "data-platform" }] }),
        )
        .patch(`${REPO}/check-runs/79`, (body) => bodies.push(body) > 0)
        .times(2)
        .reply(200, { id: 79 })
        .patch(`${REPO}/issues/comments/601`)
        .reply(200, { id: 601 });
      pr4Files();
      const mine = structuredClone(other);
      mine.check_run.name = "Covenant";
      await h.deliver("rerun-mine", "check_run", mine);
      expect(bodies.map((b) => b.status)).toEqual(["in_progress", "completed"]);
      expect(bodies[1]).toMatchObject({ conclusion: "failure" });
    });

    test("an owner's approving review waives the violations of the contracts they own", async () => {
      const bodies: Json[] = [];
      h.github()
        .get(`${REPO}/pulls/4`)
        .reply(
          200,
          pr4({ requested_reviewers: [{ login: "octocat" }], requested_teams: [{ slug: "data-platform" }] }),
        )
        .patch(`${REPO}/check-runs/79`, (body) => bodies.push(body) > 0)
        .times(2)
        .reply(200, { id: 79 })
        .patch(`${REPO}/issues/comments/601`, (body) => bodies.push(body) > 0)
        .reply(200, { id: 601 });
      pr4Files();
      const payload = examplePayload("pull_request_review", "submitted");
      payload.review = {
        ...payload.review,
        state: "approved",
        body: "fine, email is unused",
        user: { ...payload.review.user, login: "octocat" },
      };
      payload.pull_request = {
        ...payload.pull_request,
        number: 4,
        head: { ...payload.pull_request.head, sha: H4 },
      };
      await h.deliver("review-1", "pull_request_review", payload);
      expect(bodies.find((b) => b.status === "completed")).toMatchObject({ conclusion: "success" });
      expect(bodies.at(-1).body).toMatch(/all clear/);
      expect(await h.t.db.violation.findFirst({ where: { prNumber: 4 } })).toMatchObject({
        status: "waived",
        waivedBy: "octocat",
        waiverReason: "fine, email is unused",
      });
    });
  },
);

test("annotations go out 50 per request, all of them", async () => {
  nock.disableNetConnect();
  const log = createConformanceLog();
  const sent: Json[] = [];
  const scope = nock("https://api.github.com")
    .patch("/repos/o/r/check-runs/5", (body) => sent.push(body) > 0)
    .times(3)
    .reply(200, { id: 5 });
  scope.on("request", (req: { method: string; path: string }, _i: unknown, body: string) =>
    log.record({ method: req.method, url: req.path, body: JSON.parse(body) }),
  );
  const octokit = new TestOctokit({ auth: "t" });
  const annotations = Array.from({ length: 120 }, (_, i) => ({
    path: `m/${i}.sql`,
    start_line: i + 1,
    end_line: i + 1,
    annotation_level: "warning" as const,
    title: "t",
    message: "m",
  }));
  await completeCheckRun(octokit as never, {
    owner: "o",
    repo: "r",
    checkRunId: 5,
    conclusion: "neutral",
    output: { title: "t", summary: "s", annotations },
  });
  expect(sent.map((b) => b.output.annotations.length)).toEqual([50, 50, 20]);
  expect(sent.map((b) => b.status)).toEqual([undefined, undefined, "completed"]);
  expect(sent.flatMap((b) => b.output.annotations.map((a: { path: string }) => a.path))).toEqual(
    annotations.map((a) => a.path),
  );
  expect(scope.isDone()).toBe(true);
  expect(log.problems).toEqual([]);
  nock.enableNetConnect();
});
