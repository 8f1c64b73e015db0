// The App reads a pull request as `covenant check` does: the PR's own files as its head has them,
// every other file as the base has it now (a head cut before the base's newer commits must not make
// them look removed), and a file it cannot read fails the check instead of vanishing.
import nock from "nock";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { createHarness, examplePayload, type Harness } from "../helpers/github-app-harness.ts";
import { commitSha, type Files, ORDERS_CONTRACT, prFile } from "../helpers/github-repo-fixture.ts";
import {
  allowOwnerNotices,
  interceptPullRequest,
  interceptRepositoryRead,
} from "../helpers/pull-request-interceptors.ts";

// biome-ignore lint/suspicious/noExplicitAny: webhook payloads and request bodies are arbitrary JSON here
type Json = any;

const REPO = "/repos/Codertocat/Hello-World";
const CUSTOMERS_CONTRACT = ORDERS_CONTRACT.replace("name: orders", "name: customers")
  .replace("public.orders", "public.customers")
  .replace(/ {4}- \{ name: (email|status).*\n/g, "");
const cut: Files = {
  "migrations/0001_create_orders.sql":
    "CREATE TABLE orders (\n  id bigint PRIMARY KEY,\n  email text,\n  status text NOT NULL\n);\n",
  "contracts/orders.yaml": ORDERS_CONTRACT,
};
// main moved on after the branch was cut: a new table (sorting after the branch's migration) and its contract.
const base: Files = {
  ...cut,
  "migrations/0003_create_customers.sql": "CREATE TABLE customers (\n  id bigint PRIMARY KEY\n);\n",
  "contracts/customers.yaml": CUSTOMERS_CONTRACT,
};
const head: Files = { ...cut, "migrations/0002_add_note.sql": "ALTER TABLE orders ADD COLUMN note text;\n" };
const BASE = commitSha(base, "base");
const HEAD = commitSha(head, "head");
const commits = new Map([
  [BASE, base],
  [HEAD, head],
]);

let h: Harness;
beforeAll(async () => {
  nock.disableNetConnect();
  h = await createHarness({ provider: "sqlite" });
  await h.deliver("merged-view-installation", "installation", examplePayload("installation", "created"));
});
afterEach(() => {
  expect(h.conformance.problems).toEqual([]);
});
afterAll(async () => {
  await h.close();
  nock.cleanAll();
  nock.enableNetConnect();
});

test("files the PR did not touch are read at the base, so the base's newer migrations stay", async () => {
  const checks: Json[] = [];
  const scope = interceptPullRequest(h.github(), {
    repo: REPO,
    number: 2,
    base: BASE,
    head: HEAD,
    files: [prFile("migrations/0002_add_note.sql")],
    checkRunId: 78,
    checks,
  });
  // The base's files (cold), then the PR's file at the head and the others at the base: one request.
  interceptRepositoryRead(scope, { repo: REPO, base: BASE, commits, reads: 2 });

  const payload = examplePayload("pull_request", "opened");
  payload.pull_request.head.sha = HEAD;
  await h.deliver("merged-view-1", "pull_request", payload);

  const completed = checks.at(-1);
  // customers is not seen as removed; what fails is the branch's migration, now out of order
  // behind main's newer one (tools that track the last applied version would skip it).
  expect(completed.output.summary).not.toContain("Contract `customers`");
  expect(completed.output.summary).not.toMatch(/dataset-removed|removed × /);
  expect(completed.output.summary).toContain("migration-history-rewritten");
  expect(completed).toMatchObject({ status: "completed", conclusion: "failure" });
  expect(nock.pendingMocks()).toEqual([]);
});

test("a migration the PR adds that GitHub serves as binary fails the check, naming the file", async () => {
  const checks: Json[] = [];
  const HEAD3 = "3".repeat(40);
  const BINARY_OID = "b".repeat(40);
  const binary = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x01, 0x02]);
  const scope = interceptPullRequest(h.github(), {
    repo: REPO,
    number: 3,
    base: BASE,
    head: HEAD3,
    files: [
      {
        sha: BINARY_OID,
        filename: "migrations/0004_drop_email.sql",
        status: "added",
        additions: 0,
        deletions: 0,
        changes: 0,
        blob_url: "",
        raw_url: "",
        contents_url: "",
      },
    ],
    checkRunId: 79,
    checks,
    tokenOptional: true,
  });
  allowOwnerNotices(scope, { repo: REPO, number: 3 });
  scope
    .post("/graphql")
    .reply(200, {
      data: {
        repository: {
          f0: {
            __typename: "Blob",
            oid: BINARY_OID,
            byteSize: binary.length,
            text: null,
            isTruncated: false,
            isBinary: true,
          },
        },
      },
    })
    .get(`${REPO}/git/blobs/${BINARY_OID}`)
    .reply(200, {
      sha: BINARY_OID,
      node_id: "B_1",
      size: binary.length,
      url: `https://api.github.com${REPO}/git/blobs/${BINARY_OID}`,
      content: binary.toString("base64"),
      encoding: "base64",
    });

  const payload = examplePayload("pull_request", "opened");
  payload.pull_request.number = 3;
  payload.pull_request.head.sha = HEAD3;
  await h.deliver("unreadable-1", "pull_request", payload);

  const completed = checks.at(-1);
  expect(completed).toMatchObject({ status: "completed", conclusion: "failure" });
  expect(completed.output.annotations).toContainEqual(
    expect.objectContaining({
      path: "migrations/0004_drop_email.sql",
      annotation_level: "failure",
      message: expect.stringContaining("binary"),
    }),
  );
  expect(nock.pendingMocks()).toEqual([]);
});
