// The listings the console reads (installations, repositories with their policies, policies, the
// dry run, analyses with re-run, the overview, the waiver ledger, scans), on real databases, with
// another installation's data beside them that must never show.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContract } from "../../src/db/contracts.ts";
import { saveCheckRecord } from "../../src/db/github-checks.ts";
import { upsertGitHubRepositories } from "../../src/db/github-repositories.ts";
import { enqueueJob } from "../../src/db/jobs.ts";
import { createValidationRun } from "../../src/db/validation-runs.ts";
import { recordViolations, type ViolationRecord } from "../../src/db/violations.ts";
import { caller, createTenant, startApiOn } from "../helpers/api-server.ts";

const violation = (repo: string, pr: number, extra: Partial<ViolationRecord> = {}): ViolationRecord => ({
  dedupeKey: `${repo}#${pr}:column-removed:orders:email:${extra.rule ?? ""}`,
  fingerprint: "column-removed:orders:email",
  rule: "column-removed",
  severity: "error",
  enforcement: "NOTIFY",
  contractName: "orders",
  dataset: "public.orders",
  column: "email",
  message: "column public.orders.email is dropped",
  gitRepo: repo,
  prNumber: pr,
  prLink: `https://github.com/${repo}/pull/${pr}`,
  gitHash: "abc1234",
  ...extra,
});

describe.each(["sqlite", "postgres"] as const)("list routes on %s", (kind) => {
  let h: Awaited<ReturnType<typeof startApiOn>>;
  let a: Awaited<ReturnType<typeof createTenant>>;
  let b: Awaited<ReturnType<typeof createTenant>>;
  let callA: ReturnType<typeof caller>;
  let callB: ReturnType<typeof caller>;
  let jobId: string;
  let shopId: string;

  beforeAll(async () => {
    h = await startApiOn(kind);
    a = await createTenant(h.db, "acme");
    b = await createTenant(h.db, "globex");
    callA = caller(h.base, () => a.admin);
    callB = caller(h.base, () => b.admin);
    await h.db.installation.update({ where: { id: a.installation.id }, data: { githubId: 4242 } });
    await h.db.installation.update({ where: { id: b.installation.id }, data: { githubId: 5151 } });
    const [shop] = await upsertGitHubRepositories(h.db, a.installation.id, [
      { githubId: 1, fullName: "acme/shop", private: true },
      { githubId: 2, fullName: "acme/web", private: false },
    ]);
    shopId = shop!.id;
    await upsertGitHubRepositories(h.db, b.installation.id, [
      { githubId: 3, fullName: "globex/secret", private: true },
    ]);
    // PR 1 was blocked (a BLOCK violation); PR 2 passed with a NOTIFY violation; PR 3 had one waived.
    await recordViolations(
      h.db,
      a.installation.id,
      [
        violation("acme/shop", 1, { enforcement: "BLOCK" }),
        violation("acme/shop", 2),
        violation("acme/shop", 2, { rule: "column-renamed", severity: "warning" }),
        violation("acme/shop", 3),
      ].map((v) => ({ ...v, repositoryId: shopId })),
    );
    await recordViolations(h.db, b.installation.id, [
      violation("globex/secret", 9, { contractName: "globex_secret_contract" }),
    ]);
    const pr3 = await h.db.violation.findFirstOrThrow({
      where: { installationId: a.installation.id, prNumber: 3 },
    });
    await h.db.violation.update({
      where: { id: pr3.id },
      data: { status: "waived", waivedBy: "alice", waiverReason: "backfill first", waivedAt: new Date() },
    });
    await saveCheckRecord(h.db, {
      repositoryId: shopId,
      headSha: "aaa1111",
      prNumber: 1,
      checkRunId: 77,
      conclusion: "failure",
    });
    await saveCheckRecord(h.db, {
      repositoryId: shopId,
      headSha: "bbb2222",
      prNumber: 2,
      checkRunId: 78,
      conclusion: "neutral",
    });
    const job = await enqueueJob(h.db, {
      kind: "github.analyze",
      dedupeKey: "analyze:4242:acme/shop#1@aaa1111",
      payload: { installationId: 4242, owner: "acme", repo: "shop", pullNumber: 1, deliveryId: "d-1" },
    });
    jobId = job.id;
    await h.db.job.update({
      where: { id: jobId },
      data: { status: "dead", lastError: "GitHub answered 502", attempts: 3 },
    });
    await enqueueJob(h.db, {
      kind: "github.analyze",
      dedupeKey: "analyze:5151:globex/secret#9@ccc3333",
      payload: { installationId: 5151, owner: "globex", repo: "secret", pullNumber: 9, deliveryId: "d-2" },
    });
    // An installation id that is a prefix of another's must not match it.
    await enqueueJob(h.db, {
      kind: "github.push",
      dedupeKey: "push:42420:other/repo@ddd4444",
      payload: { installationId: 42420, owner: "other", repo: "repo", after: "ddd4444", deliveryId: "d-3" },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("lists the key's installation only", async () => {
    const res = await callA("GET", "/installations", undefined, a.read);
    expect(res.status, res.text).toBe(200);
    expect(res.body.content).toEqual([
      expect.objectContaining({ account_login: "acme", github_id: "4242", repositories: 2 }),
    ]);
  });

  it("lists repositories with policy, contract levels, open violations and the last analysis", async () => {
    expect((await callA("PUT", "/repos/acme/shop/policy", { max: "NOTIFY" })).status).toBe(200);
    const res = await callA("GET", "/repositories", undefined, a.read);
    expect(res.status, res.text).toBe(200);
    expect(res.body.content.map((r: { full_name: string }) => r.full_name)).toEqual([
      "acme/shop",
      "acme/web",
    ]);
    expect(res.body.content[0]).toMatchObject({
      policy: { max: "NOTIFY", min: null, updated_by: "api-key:acme-admin" },
      open_violations: 3,
      last_analysis: { head_sha: expect.any(String), conclusion: expect.any(String) },
    });
    expect(res.body.content[1]).toMatchObject({
      policy: { max: null, min: null },
      open_violations: 0,
      last_analysis: null,
    });
    const filtered = await callA("GET", "/repositories?name=web");
    expect(filtered.body.content.map((r: { full_name: string }) => r.full_name)).toEqual(["acme/web"]);
    expect((await callB("GET", "/repositories")).text).not.toContain("acme/");
  });

  it("refuses a policy for a repository the installation does not hold", async () => {
    const misspelled = await callA("PUT", "/repos/acme/shopp/policy", { max: "BLOCK" });
    expect(misspelled.status).toBe(404);
    expect(misspelled.body.message).toContain("acme/shopp");
    expect((await callB("PUT", "/repos/acme/shop/policy", { max: "BLOCK" })).status).toBe(404);
    expect((await callB("GET", "/repos/acme/shop/policy")).status).toBe(404);
    await h.db.repository.update({ where: { id: shopId }, data: { removedAt: new Date() } });
    try {
      expect((await callA("PUT", "/repos/acme/shop/policy", { max: "BLOCK" })).status).toBe(409);
    } finally {
      await h.db.repository.update({ where: { id: shopId }, data: { removedAt: null } });
    }
    const policies = await callA("GET", "/policies", undefined, a.read);
    expect(policies.body.content).toEqual([expect.objectContaining({ repo: "acme/shop", max: "NOTIFY" })]);
    expect((await callB("GET", "/policies")).body.content).toEqual([]);
  });

  it("dry run: the PRs a BLOCK level would have blocked, waived ones excluded", async () => {
    const res = await callA("GET", "/repos/acme/shop/dry-run", undefined, a.read);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ repo: "acme/shop", level: "BLOCK", would_block: 2, newly_blocked: 1 });
    expect(res.body.pull_requests.map((p: { number: number }) => p.number).sort()).toEqual([1, 2]);
    expect(res.body.pull_requests.find((p: { number: number }) => p.number === 1).blocked_now).toBe(true);
    expect((await callB("GET", "/repos/acme/shop/dry-run")).status).toBe(404);
  });

  it("lists analyses with their check run, error and attempts, and re-runs a finished one", async () => {
    const res = await callA("GET", "/analyses", undefined, a.read);
    expect(res.status, res.text).toBe(200);
    expect(res.body.content).toHaveLength(1);
    expect(res.body.content[0]).toMatchObject({
      id: jobId,
      kind: "analyze",
      status: "dead",
      repo: "acme/shop",
      pr_number: 1,
      head_sha: "aaa1111",
      attempts: 3,
      error: "GitHub answered 502",
      next_attempt_at: null,
      worker: null,
      check_run: { id: "77", conclusion: "failure" },
    });
    expect(typeof res.body.content[0].duration_ms).toBe("number");
    expect((await callA("GET", "/analyses?status=done")).body.content).toEqual([]);
    // The dead letter: jobs that used every attempt, each with its last error.
    const dead = await callA("GET", "/analyses?status=dead");
    expect(dead.body.content.map((j: { id: string; error: string }) => [j.id, j.error])).toEqual([
      [jobId, "GitHub answered 502"],
    ]);
    expect((await callA("GET", "/analyses?repo=acme/web")).body.content).toEqual([]);
    expect((await callA("GET", "/analyses?repo=acme/shop")).body.content).toHaveLength(1);
    expect((await callA("POST", `/analyses/${jobId}/rerun`, undefined, a.read)).status).toBe(403);
    const rerun = await callA("POST", `/analyses/${jobId}/rerun`, undefined, a.manage);
    expect(rerun.status, rerun.text).toBe(202);
    expect(rerun.body).toMatchObject({ status: "queued", error: null, attempts: 0 });
    expect(Date.parse(rerun.body.next_attempt_at)).toBeLessThanOrEqual(Date.now());
    expect((await callA("POST", `/analyses/${jobId}/rerun`, undefined, a.manage)).status).toBe(409);
    expect((await callB("GET", `/analyses/${jobId}`)).status).toBe(404);
    expect((await callB("POST", `/analyses/${jobId}/rerun`)).status).toBe(404);
    const other = await callB("GET", "/analyses");
    expect(other.body.content.map((j: { repo: string }) => j.repo)).toEqual(["globex/secret"]);
  });

  it("overview: PRs analysed, blocked, passed with violations and waived per day; top contracts and repos", async () => {
    const res = await callA("GET", "/overview?days=7", undefined, a.read);
    expect(res.status, res.text).toBe(200);
    expect(res.body.days).toHaveLength(7);
    const today = res.body.days.at(-1);
    expect(today).toMatchObject({ analysed: 2, blocked: 1, passed_with_violations: 1, waived: 1 });
    expect(res.body.top_contracts).toEqual([
      expect.objectContaining({ contract_name: "orders", violations: 4 }),
    ]);
    expect(res.body.top_repositories).toEqual([{ repo: "acme/shop", violations: 4 }]);
    expect(res.body.totals).toEqual({ contracts: 0, open_violations: 3, repositories: 2 });
    expect((await callA("GET", "/overview?days=0")).status).toBe(400);
    expect((await callB("GET", "/overview")).text).not.toContain("orders");
  });

  it("overview ranks ties by name, the same on every database; origin tells PR from data violations", async () => {
    const c = await createTenant(h.db, "initech");
    const callC = caller(h.base, () => c.read);
    const contract = (name: string) =>
      createContract(h.db, {
        installationId: c.installation.id,
        name,
        enforcement: "NOTIFY",
        datasetType: "table",
        datasetName: `public.${name}`,
        owners: ["@initech/data"],
        version: "1.0.0",
        contents: `name: ${name}`,
        checksum: name,
      });
    // Two contracts and two repositories with as many violations each, one contract and one
    // repository with more; the ties come back by name, not in the order the database met them
    // (zeta is created first: its id sorts before alpha's).
    const ids = new Map<string, string>();
    for (const name of ["zeta", "alpha"]) ids.set(name, (await contract(name)).id);
    const of = (contractName: string, repo: string, pr: number) =>
      violation(repo, pr, { contractName, contractId: ids.get(contractName), rule: `${contractName}-${pr}` });
    await recordViolations(h.db, c.installation.id, [
      of("zeta", "initech/b", 1),
      of("zeta", "initech/b", 2),
      of("alpha", "initech/a", 3),
      of("alpha", "initech/a", 4),
      of("mid", "initech/c", 5),
      of("mid", "initech/c", 6),
      of("mid", "initech/c", 7),
    ]);
    const overview = await callC("GET", "/overview?days=7");
    expect(overview.status, overview.text).toBe(200);
    expect(overview.body.top_contracts.map((t: { contract_name: string }) => t.contract_name)).toEqual([
      "mid",
      "alpha",
      "zeta",
    ]);
    expect(overview.body.top_repositories).toEqual([
      { repo: "initech/c", violations: 3 },
      { repo: "initech/a", violations: 2 },
      { repo: "initech/b", violations: 2 },
    ]);
    // A violation found by validating data: no pull request, listed under origin=data only.
    const payments = await contract("payments");
    const now = new Date();
    await createValidationRun(h.db, {
      installationId: c.installation.id,
      contractId: payments.id,
      contractVersion: "1.0.0",
      table: "public.payments",
      status: "failed",
      rowsEvaluated: 10,
      rulesPassed: 0,
      rulesFailed: 1,
      results: [],
      startedAt: now,
      finishedAt: now,
      violations: [
        {
          ruleId: "amount-not-null",
          fingerprint: "required-column-null:payments:amount",
          rule: "required-column-null",
          severity: "error",
          enforcement: "NOTIFY",
          contractName: "payments",
          dataset: "public.payments",
          column: "amount",
          message: "3 rows have no amount",
        },
      ],
    });
    const data = await callC("GET", "/violations?origin=data");
    expect(data.status, data.text).toBe(200);
    expect(data.body.content.map((v: { contract_name: string }) => v.contract_name)).toEqual(["payments"]);
    expect(data.body.total_elements).toBe(1);
    const pr = await callC("GET", "/violations?origin=pr&size=100");
    expect(pr.body.total_elements).toBe(7);
    expect(pr.body.content.every((v: { pr_number: number | null }) => v.pr_number !== null)).toBe(true);
    expect((await callC("GET", "/violations")).body.total_elements).toBe(8);
  });

  it("waiver ledger: who, why, when, on which PR", async () => {
    const res = await callA("GET", "/waivers", undefined, a.read);
    expect(res.status, res.text).toBe(200);
    expect(res.body.content).toEqual([
      expect.objectContaining({
        status: "waived",
        pr_number: 3,
        waived_by: "alice",
        waiver_reason: "backfill first",
      }),
    ]);
    expect((await callB("GET", "/waivers")).body.content).toEqual([]);
  });

  it("lists scans of the installation (none here) and validates filters", async () => {
    const res = await callA("GET", "/scans", undefined, a.read);
    expect(res.status, res.text).toBe(200);
    expect(res.body.content).toEqual([]);
    expect((await callA("GET", "/analyses?kind=nope")).status).toBe(400);
  });
});
