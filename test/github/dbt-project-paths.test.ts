// The App reads a dbt project through GitHub's API as dbt_project.yml lays it out: the project file
// first, then only the files of its model, seed, macro and snapshot folders (never its tests,
// analyses or dbt's default folders it does not use), and a folder setting that cannot be used
// fails the check.
import nock from "nock";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { createHarness, examplePayload, type Harness } from "../helpers/github-app-harness.ts";
import {
  commitSha,
  type Files,
  graphqlFilesResponse,
  graphqlRequestedPaths,
  prFile,
  treeResponse,
} from "../helpers/github-repo-fixture.ts";
import { allowOwnerNotices, interceptPullRequest } from "../helpers/pull-request-interceptors.ts";

// biome-ignore lint/suspicious/noExplicitAny: webhook payloads and request bodies are arbitrary JSON here
type Json = any;

const REPO = "/repos/Codertocat/Hello-World";
const SEED = "analytics/reference/countries.csv";
const PROJECT = [
  "name: geo",
  "model-paths: [transform]",
  "seed-paths: [reference]",
  "macro-paths: [jinja]",
  "test-paths: [transform/checks]",
  "",
].join("\n");
const base: Files = {
  "analytics/dbt_project.yml": PROJECT,
  [SEED]: "id,name,code\n1,France,fr\n",
  "analytics/jinja/upper_code.sql": "{% macro upper_code(col) %}upper({{ col }}){% endmacro %}\n",
  "analytics/transform/dim_countries.sql":
    "select id, {{ upper_code('code') }} as code from {{ ref('countries') }}\n",
  "analytics/transform/checks/no_null_ids.sql": "select * from {{ ref('dim_countries') }} where id is null\n",
  "analytics/analyses/explore.sql": "select * from {{ ref('dim_countries') }}\n",
  "analytics/seeds/unused.csv": "a,b\n",
  "analytics/models/unused.sql": "select 1 as a\n",
  "contracts/dim_countries.yaml": [
    "name: dim_countries",
    "version: 1.0.0",
    "status: active",
    'owner: "@Codertocat/geo"',
    "enforcement: BLOCK",
    "dataset: { type: dbt_model, name: dim_countries }",
    "schema:",
    "  columns:",
    "    - { name: id, type: bigint, required: true }",
    "    - { name: code, type: string }",
    "",
  ].join("\n"),
};
const NOT_FETCHED = [
  "analytics/transform/checks/no_null_ids.sql",
  "analytics/analyses/explore.sql",
  "analytics/seeds/unused.csv",
  "analytics/models/unused.sql",
];

let h: Harness;
beforeAll(async () => {
  nock.disableNetConnect();
  h = await createHarness({ provider: "sqlite" });
  await h.deliver("dbt-paths-installation", "installation", examplePayload("installation", "created"));
});
afterEach(() => {
  expect(h.conformance.problems).toEqual([]);
});
afterAll(async () => {
  await h.close();
  nock.cleanAll();
  nock.enableNetConnect();
});

/** Judges a PR from `base` to `head` changing `changed`; returns the completed check and the paths fetched. */
const judge = async (
  number: number,
  head: Files,
  changed: string[],
  { reads, tokenOptional }: { reads: number; tokenOptional: boolean },
) => {
  const BASE = commitSha(base, `base-${number}`);
  const HEAD = commitSha(head, `head-${number}`);
  const commits = new Map([
    [BASE, base],
    [HEAD, head],
  ]);
  const checks: Json[] = [];
  const fetched: string[] = [];
  const scope = interceptPullRequest(h.github(), {
    repo: REPO,
    number,
    base: BASE,
    head: HEAD,
    files: changed.map((path) => prFile(path, "modified")),
    checkRunId: 900 + number,
    checks,
    tokenOptional,
  });
  allowOwnerNotices(scope, { repo: REPO, number });
  scope
    .get(`${REPO}/git/trees/${BASE}`)
    .query({ recursive: "1" })
    .reply(200, treeResponse(BASE, base))
    .post("/graphql")
    .times(reads)
    .reply(200, (_uri, body) => {
      const query = (body as { query: string }).query;
      fetched.push(...graphqlRequestedPaths(query).map((path) => path));
      return graphqlFilesResponse(query, commits);
    });
  const payload = examplePayload("pull_request", "opened");
  payload.pull_request.number = number;
  payload.pull_request.head.sha = HEAD;
  await h.deliver(`dbt-paths-${number}`, "pull_request", payload);
  expect(nock.pendingMocks()).toEqual([]);
  return { completed: checks.at(-1), fetched };
};

test("only the project's own folders are fetched, and a seed column the contracted model reads fails the check", async () => {
  const { completed, fetched } = await judge(
    11,
    { ...base, [SEED]: "id,name\n1,France\n" },
    [SEED],
    // The project file; the rest of the base; the PR's seed at the head with the project at the base.
    { reads: 3, tokenOptional: false },
  );
  expect(completed).toMatchObject({ status: "completed", conclusion: "failure" });
  expect(completed.output.summary).toContain("downstream-contract-broken");
  expect(fetched).toEqual(
    expect.arrayContaining([
      "analytics/dbt_project.yml",
      SEED,
      "analytics/jinja/upper_code.sql",
      "analytics/transform/dim_countries.sql",
    ]),
  );
  for (const path of NOT_FETCHED) expect(fetched).not.toContain(path);
});

test("a dbt_project.yml the PR breaks is read first at the head, and its bad folder fails the check at its line", async () => {
  const broken = PROJECT.replace("seed-paths: [reference]", "seed-paths: /data/seeds");
  const { completed, fetched } = await judge(
    12,
    { ...base, "analytics/dbt_project.yml": broken },
    ["analytics/dbt_project.yml"],
    // The base's project file and the rest of the base; the edited project file at the head;
    // the project's other files at the base, with the PR's (none left to read at the head).
    { reads: 4, tokenOptional: true },
  );
  expect(completed).toMatchObject({ status: "completed", conclusion: "failure" });
  expect(completed.output.annotations).toContainEqual(
    expect.objectContaining({
      path: "analytics/dbt_project.yml",
      start_line: 3,
      message: expect.stringContaining("`seed-paths` in analytics/dbt_project.yml is a string"),
    }),
  );
  expect(completed.output.annotations).toContainEqual(
    expect.objectContaining({
      path: "analytics/dbt_project.yml",
      annotation_level: "failure",
      message: expect.stringContaining("its folder settings cannot be used"),
    }),
  );
  expect(fetched.filter((path) => path === "analytics/dbt_project.yml")).toHaveLength(2);
  // dbt's default seed folder is read meanwhile, the tests and analyses still not.
  expect(fetched).toContain("analytics/seeds/unused.csv");
  for (const path of NOT_FETCHED.filter((p) => p !== "analytics/seeds/unused.csv"))
    expect(fetched).not.toContain(path);
});

test("a contracted model the PR leaves unparseable fails the check at its line, not as a silent warning", async () => {
  const MODEL = "analytics/transform/dim_countries.sql";
  const { completed } = await judge(
    13,
    { ...base, [MODEL]: "select id, from from {{ ref('countries') }} where (\n" },
    [MODEL],
    { reads: 3, tokenOptional: true },
  );
  expect(completed).toMatchObject({ status: "completed", conclusion: "failure" });
  expect(completed.output.annotations).toContainEqual(
    expect.objectContaining({
      path: MODEL,
      annotation_level: "failure",
      message: expect.stringContaining(`dbt model dim_countries (${MODEL}:1) no longer parses`),
    }),
  );
});
