// GET /api/v1/lineage end to end: the real server with the App switched on, signed webhook
// deliveries (installation, push, pull request) analysing examples/shop served by a fake GitHub,
// then the lineage of its default branch over HTTP with an API key, as a user asks for it.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createApiKey } from "../../src/db/api-keys.ts";
import { caller, createTenant, type Reply } from "../helpers/api-server.ts";
import {
  type AppServerWithGitHub,
  completedCheckRun,
  SHOP,
  startAppWithGitHub,
} from "../helpers/app-server.ts";
import type { CheckRun, FakeGitHub } from "../helpers/fake-github.ts";
import { commitSha, type Files } from "../helpers/github-repo-fixture.ts";
import {
  examplePayload,
  type Json,
  pullRequestPayload,
  SHOP_REPOSITORY,
} from "../helpers/webhook-examples.ts";

const INSTALLATION = 4343;
const FIRST = commitSha(SHOP, "first");
// A later commit of main: a model reading the customers' e-mail addresses for a newsletter.
const second: Files = {
  ...SHOP,
  "analytics/models/marts/newsletter.sql":
    "select customer_id, customer_email as address\nfrom {{ ref('stg_customers') }}\nwhere customer_email is not null\n",
};
const SECOND = commitSha(second, "second");
const PR_HEAD = commitSha({ ...SHOP, "README.md": "a pull request\n" }, "pr-head");
const DROP = "db/migrations/0006_drop_customers_email.up.sql";
const dropEmail: Files = { ...second, [DROP]: "ALTER TABLE customers DROP COLUMN email;\n" };
const DROP_HEAD = commitSha(dropEmail, "drop-email");

describe("GET /lineage reads the default branch the App analysed", () => {
  let fake: FakeGitHub;
  let server: AppServerWithGitHub;
  let api: (method: string, path: string) => Promise<Reply>;
  let other: (method: string, path: string) => Promise<Reply>;

  const deliver = async (event: string, payload: Json) => {
    const res = await server.deliver(event, payload);
    expect(res.status).toBe(200);
  };
  const push = (after: string): Json => {
    const payload = examplePayload("push");
    return {
      ...payload,
      ref: "refs/heads/main",
      after,
      deleted: false,
      installation: { id: INSTALLATION },
      repository: {
        ...payload.repository,
        id: 555,
        name: "shop",
        full_name: "acme/shop",
        default_branch: "main",
        owner: { ...payload.repository.owner, login: "acme", name: "acme" },
      },
      commits: [{ ...(payload.commits[0] ?? {}), added: [], removed: [], modified: [] }],
    };
  };
  const openPullRequest = async (number: number, headSha: string): Promise<CheckRun> => {
    await deliver("pull_request", pullRequestPayload({ number, sha: headSha, installation: INSTALLATION }));
    return completedCheckRun(fake, headSha);
  };
  const lineage = (query: string) => api("GET", `/lineage?${query}`);
  const paths = (list: Array<{ path: string }>) => list.map((entry) => entry.path);

  beforeAll(async () => {
    server = await startAppWithGitHub({
      repositories: [
        {
          ...SHOP_REPOSITORY,
          defaultBranch: "main",
          commits: new Map([
            [FIRST, SHOP],
            [SECOND, second],
            [PR_HEAD, { ...SHOP, "README.md": "a pull request\n" }],
            [DROP_HEAD, dropEmail],
          ]),
          pulls: new Map([
            [
              10,
              {
                number: 10,
                baseSha: SECOND,
                headSha: DROP_HEAD,
                author: "dev2",
                files: [{ filename: DROP, status: "added" }],
              },
            ],
            [
              9,
              {
                number: 9,
                baseSha: FIRST,
                headSha: PR_HEAD,
                author: "dev1",
                files: [{ filename: "README.md", status: "added" }],
              },
            ],
          ]),
          teams: {},
        },
      ],
    });
    fake = server.github;
    const installation = examplePayload("installation", "created");
    installation.installation = {
      ...installation.installation,
      id: INSTALLATION,
      account: { ...installation.installation.account, login: "acme" },
    };
    installation.repositories = [{ id: 555, name: "shop", full_name: "acme/shop", private: true }];
    await deliver("installation", installation);
    const tenant = await server.server.db.installation.findUniqueOrThrow({
      where: { githubId: INSTALLATION },
    });
    const key = (
      await createApiKey(server.server.db, { installationId: tenant.id, name: "reader", scope: "read" })
    ).secret;
    api = caller(server.base, () => key);
    const globex = await createTenant(server.server.db, "globex");
    other = caller(server.base, () => globex.admin);
  });

  afterAll(async () => {
    await server?.close();
  });

  test("before the App analysed the default branch: 404 saying what to do", async () => {
    const res = await lineage("repo=acme/shop&dataset=public.customers&column=email");
    expect(res.status, res.text).toBe(404);
    expect(res.body.code).toBe("not_found");
    expect(res.body.message).toContain("has not analysed a commit of its default branch (main) yet");
    expect(res.body.message).toContain("push to main");
  });

  test("after a signed push to main: a column's downstream through the dbt models, with paths and owners", async () => {
    await deliver("push", push(FIRST));
    await expect
      .poll(async () => (await lineage("repo=acme/shop&dataset=customers")).status, { timeout: 30_000 })
      .toBe(200);
    const res = await lineage("repo=acme/shop&dataset=public.customers&column=email&direction=downstream");
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      repo: "acme/shop",
      default_branch: "main",
      commit_sha: FIRST,
      dataset: "public.customers",
      column: "email",
      upstream: [],
    });
    expect(paths(res.body.downstream)).toEqual([
      "public.customers.email → stg_customers.customer_email",
      "public.customers.email → stg_customers.customer_email → dim_customers.email",
      "public.customers.email → stg_customers.customer_email → dim_customers.email → weekly_kpis",
    ]);
    const mart = res.body.downstream.find((e: { node: string }) => e.node === "dim_customers");
    expect(mart).toMatchObject({ kind: "model", reach: "projection", owners: ["@acme/growth"] });
    expect(mart.file).toBe("analytics/models/marts/dim_customers.sql");
    expect(res.body.owners).toEqual(["@acme/growth", "Finance analytics"]);
    expect(typeof res.body.seen_at).toBe("string");

    // `dataset.column` in one parameter, and upstream from the mart back to the migration.
    const split = await lineage("repo=acme/shop&dataset=public.customers.email&direction=downstream");
    expect(split.body.downstream).toEqual(res.body.downstream);
    const up = await lineage("repo=acme/shop&dataset=dim_customers&column=email&direction=upstream");
    expect(up.status, up.text).toBe(200);
    expect(paths(up.body.upstream)).toContain(
      "dim_customers.email → stg_customers.customer_email → public.customers.email",
    );
    expect(up.body.downstream).toEqual([]);
  });

  test("bad questions get 400 or 404 that say what is wrong", async () => {
    const cases: Array<[string, number, RegExp]> = [
      ["dataset=customers", 400, /repo/],
      ["repo=shop&dataset=customers", 400, /owner\/name/],
      ["repo=acme/shop", 400, /dataset/],
      ["repo=acme/shop&dataset=customers&direction=sideways", 400, /direction/],
      ["repo=acme/shop&dataset=%20", 400, /dataset/],
      ["repo=acme/shop&dataset=dim_customer", 404, /did you mean dim_customers/],
      ["repo=acme/shop&dataset=customers&column=fax", 404, /has no column fax \(its columns: .*email/],
      ["repo=acme/nope&dataset=customers", 404, /acme\/nope not found in this installation/],
    ];
    for (const [query, status, message] of cases) {
      const res = await lineage(query);
      expect(res.status, `${query}: ${res.text}`).toBe(status);
      expect(res.body.message, query).toMatch(message);
    }
  });

  test("another installation's key gets 404 and nothing of the repository", async () => {
    const res = await other("GET", "/lineage?repo=acme/shop&dataset=public.customers&column=email");
    expect(res.status, res.text).toBe(404);
    expect(res.text).not.toContain("dim_customers");
    expect(res.text).not.toContain("stg_customers");
    expect(res.body.message).toContain("not found in this installation");
  });

  test("a newer push moves the lineage on; an older pull request base does not move it back", async () => {
    await deliver("push", push(SECOND));
    await expect
      .poll(async () => (await lineage("repo=acme/shop&dataset=customers")).body.commit_sha, {
        timeout: 30_000,
      })
      .toBe(SECOND);
    const res = await lineage("repo=acme/shop&dataset=public.customers.email&direction=downstream");
    expect(paths(res.body.downstream)).toContain(
      "public.customers.email → stg_customers.customer_email → newsletter.address",
    );
    // The customers' e-mail decides which rows the newsletter keeps (WHERE): a dependency of every column.
    expect(res.body.downstream).toContainEqual(
      expect.objectContaining({ node: "newsletter", column: "*", reach: "dependency" }),
    );

    await openPullRequest(9, PR_HEAD);
    expect((await lineage("repo=acme/shop&dataset=customers")).body.commit_sha).toBe(SECOND);
  });

  test("a pull request dropping public.customers.email fails through the dbt model contract it reaches, with the path in the annotation", async () => {
    const run = await openPullRequest(10, DROP_HEAD);
    expect(run.conclusion).toBe("failure");
    const annotations = run.annotations as Array<{
      path: string;
      start_line: number;
      annotation_level: string;
      message: string;
    }>;
    const annotation = annotations.find((a) => a.message.includes("dim_customers.email"));
    expect(annotation, JSON.stringify(annotations)).toMatchObject({
      path: DROP,
      start_line: 1,
      annotation_level: "failure",
    });
    expect(annotation?.message).toContain(
      "public.customers.email → stg_customers.customer_email → dim_customers.email",
    );
    expect(annotation?.message).toContain('contract "dim_customers"');
    // The lineage the API answers is still the default branch's: the PR is not merged.
    const res = await lineage("repo=acme/shop&dataset=public.customers&column=email&direction=downstream");
    expect(res.body.commit_sha).toBe(SECOND);
  });
});
