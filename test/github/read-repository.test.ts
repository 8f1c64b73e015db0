import nock from "nock";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { createGitHubApp } from "../../src/github/create-github-app.ts";
import { listChangedFiles, type Octokit, readFiles, readTree } from "../../src/github/read-repository.ts";
import { type FakeGitHub, startFakeGitHub } from "../helpers/fake-github.ts";
import { TestOctokit, testPrivateKey } from "../helpers/github-app-harness.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/github-db.ts";
import { commitSha, type Files, graphqlFilesResponse } from "../helpers/github-repo-fixture.ts";
import { createConformanceLog } from "../helpers/openapi-conformance.ts";

describe("reading a large pull request (fake GitHub)", () => {
  let fake: FakeGitHub;
  const files: Files = {};
  for (let i = 0; i < 3200; i++) files[`migrations/${String(i).padStart(5, "0")}_x.sql`] = `SELECT ${i};\n`;
  const SHA = commitSha(files);

  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect("127.0.0.1");
    fake = await startFakeGitHub();
    fake.repos.set("o/big", {
      owner: "o",
      name: "big",
      id: 1,
      defaultBranch: "main",
      commits: new Map([[SHA, files]]),
      pulls: new Map([
        [
          1,
          {
            number: 1,
            baseSha: SHA,
            headSha: SHA,
            author: "a",
            files: Object.keys(files).map((filename) => ({ filename, status: "added" as const })),
          },
        ],
      ]),
    });
  });
  afterAll(async () => {
    await fake.close();
    nock.enableNetConnect();
  });

  test("changed files are paginated 100 a page up to GitHub's 3,000; contents come 100 files per GraphQL request", async () => {
    const octokit = new TestOctokit({ auth: "t", baseUrl: fake.url }) as unknown as Octokit;
    const changed = await listChangedFiles(octokit, { owner: "o", repo: "big", pullNumber: 1 });
    expect(changed).toHaveLength(3000);
    expect(fake.counts()["GET /repos/{o}/{r}/pulls/{n}/files"]).toBe(30);

    const tree = await readTree(octokit, { owner: "o", repo: "big", sha: SHA });
    expect(tree.paths).toHaveLength(3200);
    fake.resetCounts();
    const paths = tree.paths.slice(0, 250);
    const contents = await readFiles(octokit, {
      owner: "o",
      repo: "big",
      sha: SHA,
      paths: [...paths, "missing.sql"],
    });
    expect(contents.size).toBe(250);
    expect(contents.get(paths[7]!)).toBe(files[paths[7]!]);
    expect(fake.counts()).toEqual({ "POST /graphql": 3 });
    expect(fake.conformance.problems).toEqual([]);
  });
});

describe("GitHub Enterprise Server", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    nock.disableNetConnect();
    t = await createTestDatabase("sqlite");
  });
  afterAll(async () => {
    await t.drop();
    nock.cleanAll();
    nock.enableNetConnect();
  });

  test("GHE_HOST sends REST to /api/v3 and GraphQL to /api/graphql", async () => {
    const config = loadConfig({
      APP_ID: "1",
      PRIVATE_KEY: testPrivateKey(),
      WEBHOOK_SECRET: "s",
      GHE_HOST: "github.example.com",
      JOB_WORKERS: "0",
    });
    const app = await createGitHubApp({
      config,
      db: t.db,
      logger: pino({ level: "silent" }),
      Octokit: TestOctokit,
    });
    const log = createConformanceLog();
    const files: Files = { "a.sql": "SELECT 1;\n" };
    const scope = nock("https://github.example.com")
      .post("/api/v3/app/installations/9/access_tokens")
      .reply(201, { token: "t", expires_at: new Date(Date.now() + 3600_000).toISOString() })
      .post("/api/graphql")
      .reply(200, (_uri, body) =>
        graphqlFilesResponse((body as { query: string }).query, new Map([["abc", files]])),
      );
    scope.on("request", (req: { method: string; path: string }, _i: unknown, body: string) =>
      log.record({ method: req.method, url: req.path, body: body ? JSON.parse(body) : undefined }),
    );
    const octokit = (await app.probot.auth(9)) as unknown as Octokit;
    const contents = await readFiles(octokit, { owner: "o", repo: "r", sha: "abc", paths: ["a.sql"] });
    expect(contents.get("a.sql")).toBe("SELECT 1;\n");
    expect(scope.isDone()).toBe(true);
    expect(log.problems).toEqual([]);
    await app.stop();
  });
});
