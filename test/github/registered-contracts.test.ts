import nock from "nock";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createContract, updateContractStatus } from "../../src/db/contracts.ts";
import { createHarness, examplePayload, type Harness } from "../helpers/github-app-harness.ts";
import {
  commitSha,
  type Files,
  graphqlFilesResponse,
  prFile,
  smallRepository,
  treeResponse,
} from "../helpers/github-repo-fixture.ts";

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
    const pr = examplePayload("pull_request", "opened").pull_request;
    h.github()
      .post("/app/installations/1/access_tokens")
      .reply(201, { token: "ghs_test", expires_at: new Date(Date.now() + 3600_000).toISOString() })
      .get(`${REPO}/pulls/2`)
      .reply(200, {
        ...pr,
        number: 2,
        state: "open",
        head: { ...pr.head, sha: HEAD },
        base: { ...pr.base, sha: BASE },
        requested_reviewers: [],
        requested_teams: [],
      })
      .post(`${REPO}/check-runs`)
      .reply(201, { id: 91 })
      .get(`${REPO}/pulls/2/files`)
      .query({ per_page: 100 })
      .reply(200, [prFile("migrations/0003_drop_email.sql")])
      .get(`${REPO}/git/trees/${BASE}`)
      .query({ recursive: "1" })
      .reply(200, treeResponse(BASE, base))
      .post("/graphql")
      .times(2)
      .reply(200, (_uri, body) => graphqlFilesResponse((body as { query: string }).query, commits))
      .patch(`${REPO}/check-runs/91`, (body) => completed.push(body) > 0)
      .reply(200, { id: 91 })
      .post(`${REPO}/issues/2/comments`)
      .optionally()
      .reply(201, { id: 601 })
      .post(`${REPO}/pulls/2/requested_reviewers`)
      .optionally()
      .reply(201, {});

    const payload = examplePayload("pull_request", "opened");
    payload.pull_request.head.sha = HEAD;
    await h.deliver("reg-pr-opened", "pull_request", payload);

    expect(completed.at(-1)).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(completed.at(-1).output.summary).toMatch(/column-removed/);
  });
});
