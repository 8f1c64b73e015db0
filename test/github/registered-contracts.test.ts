import nock from "nock";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createContract, updateContractStatus } from "../../src/db/contracts.ts";
import { createHarness, examplePayload, type Harness } from "../helpers/github-app-harness.ts";
import { commitSha, type Files, prFile, smallRepository } from "../helpers/github-repo-fixture.ts";
import {
  allowOwnerNotices,
  interceptPullRequest,
  interceptRepositoryRead,
} from "../helpers/pull-request-interceptors.ts";

// biome-ignore lint/suspicious/noExplicitAny: request bodies are arbitrary JSON here
type Json = any;

// A contract registered through the API starts as a draft YAML document; `activate` and `PUT`
// change the registry's columns, not that document. The App must judge PRs by the columns.
const REGISTERED = `name: orders
version: 1.0.0
owner: "@octocat"
enforcement: NOTIFY
dataset: { type: table, name: public.orders }
schema:
  columns:
    - { name: id, type: bigint, required: true }
    - { name: email, type: string }
`;

const REPO = "/repos/Codertocat/Hello-World";
const { "contracts/orders.yaml": _fileContract, ...base } = smallRepository();
const BASE = commitSha(base, "registered-base");
const head: Files = { ...base, "migrations/0003_drop_email.sql": "ALTER TABLE orders DROP COLUMN email;\n" };
const HEAD = commitSha(head, "registered-head");
const commits = new Map<string, Files>([
  [BASE, base],
  [HEAD, head],
]);

describe("contracts registered through the API, judged by the App", () => {
  let h: Harness;
  beforeAll(async () => {
    nock.disableNetConnect();
    h = await createHarness({ provider: "sqlite" });
    const created = examplePayload("installation", "created");
    created.installation.id = examplePayload("pull_request", "opened").installation.id;
    await h.deliver("reg-inst", "installation", created);
  });
  afterAll(async () => {
    await h.close();
    nock.cleanAll();
    nock.enableNetConnect();
  });

  test("an activated contract raised to BLOCK with PUT fails a PR that drops its column", async () => {
    const installation = await h.t.db.installation.findFirstOrThrow();
    const contract = await createContract(h.t.db, {
      installationId: installation.id,
      name: "orders",
      enforcement: "NOTIFY",
      datasetType: "table",
      datasetName: "public.orders",
      owners: ["@octocat"],
      version: "1.0.0",
      contents: REGISTERED,
      checksum: "registered",
    });
    await updateContractStatus(h.t.db, {
      installationId: installation.id,
      id: contract.id,
      from: "draft",
      to: "active",
      at: new Date(),
    });
    // What PUT {enforcement: BLOCK} stores.
    await h.t.db.contract.update({ where: { id: contract.id }, data: { enforcement: "BLOCK" } });

    const completed: Json[] = [];
    const scope = interceptPullRequest(h.github(), {
      repo: REPO,
      number: 2,
      base: BASE,
      head: HEAD,
      files: [prFile("migrations/0003_drop_email.sql")],
      checkRunId: 91,
      checks: completed,
    });
    interceptRepositoryRead(scope, { repo: REPO, base: BASE, commits, reads: 2 });
    allowOwnerNotices(scope, { repo: REPO, number: 2 });

    const payload = examplePayload("pull_request", "opened");
    payload.pull_request.head.sha = HEAD;
    await h.deliver("reg-pr-opened", "pull_request", payload);

    expect(completed.at(-1)).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(completed.at(-1).output.summary).toMatch(/column-removed/);
  });
});
