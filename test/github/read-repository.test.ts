import nock from "nock";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadConfig } from "../../src/config.ts";
import type { TreeEntry } from "../../src/core/files/repository-files.ts";
import { createGitHubApp } from "../../src/github/create-github-app.ts";
import {
  listChangedFiles,
  type Octokit,
  readFiles,
  readFilesAt,
  readTree,
} from "../../src/github/read-repository.ts";
import { type FakeGitHub, startFakeGitHub } from "../helpers/fake-github.ts";
import { TestOctokit, testPrivateKey } from "../helpers/github-app-harness.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/github-db.ts";
import {
  blobSha,
  commitSha,
  type Files,
  graphqlFilesResponse,
  sha1,
} from "../helpers/github-repo-fixture.ts";
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

  test("changed files are paginated 100 a page up to GitHub's 3,000; contents come up to 3,000 files per GraphQL request, at several commits at once", async () => {
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
    expect(contents.files.size).toBe(250);
    expect(contents.files.get(paths[7]!)).toBe(files[paths[7]!]);
    expect(contents.unreadable).toEqual([
      { path: "missing.sql", reason: expect.stringContaining("does not exist") },
    ]);
    expect(fake.counts()).toEqual({ "POST /graphql": 1 });
    fake.resetCounts();
    const more = await readFiles(octokit, {
      owner: "o",
      repo: "big",
      sha: SHA,
      paths: tree.paths.slice(0, 1200),
    });
    expect(more.files.size).toBe(1200);
    expect(fake.counts()).toEqual({ "POST /graphql": 1 });
    // A PR's changed files at its head and the others at its base share that request.
    const OTHER = commitSha({ "a.sql": "SELECT 'other';\n" }, "other");
    fake.repos.get("o/big")!.commits.set(OTHER, { "a.sql": "SELECT 'other';\n", [paths[0]!]: "changed\n" });
    fake.resetCounts();
    const [atHead, atBase] = await readFilesAt(octokit, {
      owner: "o",
      repo: "big",
      reads: [
        { sha: OTHER, paths: ["a.sql", paths[0]!] },
        { sha: SHA, paths: tree.paths.slice(0, 2999) },
      ],
    });
    expect(atHead?.files).toEqual(
      new Map([
        ["a.sql", "SELECT 'other';\n"],
        [paths[0]!, "changed\n"],
      ]),
    );
    expect(atBase?.files.size).toBe(2999);
    expect(atBase?.files.get(paths[0]!)).toBe(files[paths[0]!]);
    expect(fake.counts()).toEqual({ "POST /graphql": 2 });
    expect(fake.conformance.problems).toEqual([]);
  });

  test("a seed's CSV is kept to its header: no blob fetched, never unreadable", async () => {
    const octokit = new TestOctokit({ auth: "t", baseUrl: fake.url }) as unknown as Octokit;
    const big = `\uFEFFid,"last, first"\r\n${'1,"Doe, Jane"\r\n'.repeat(150_000)}`;
    const seeds: Files = { "dbt/seeds/big.csv": big, "dbt/seeds/empty.csv": "" };
    const sha = commitSha(seeds);
    fake.repos.get("o/big")!.commits.set(sha, seeds);
    fake.resetCounts();
    const read = await readFiles(octokit, {
      owner: "o",
      repo: "big",
      sha,
      paths: Object.keys(seeds),
      entries: new Map(
        Object.entries(seeds).map(([path, text]) => [
          path,
          { type: "blob", mode: "100644", oid: blobSha(text), size: Buffer.byteLength(text) },
        ]),
      ),
    });
    expect(Buffer.byteLength(big)).toBeGreaterThan(2 * 1024 * 1024);
    expect(read.unreadable).toEqual([]);
    expect(read.files.get("dbt/seeds/big.csv")).toBe('\uFEFFid,"last, first"');
    expect(read.files.get("dbt/seeds/empty.csv")).toBe("");
    expect(fake.counts()).toEqual({ "POST /graphql": 1 });
  });

  test("a request GitHub fails for its size (a 502, a GraphQL timeout) is read again 100 files at a time", async () => {
    const API = "https://github.test";
    const octokit = new TestOctokit({ auth: "t", baseUrl: API }) as unknown as Octokit;
    const paths = Object.keys(files).slice(0, 250);
    const answer = (_uri: string, body: unknown) =>
      graphqlFilesResponse((body as { query: string }).query, new Map([[SHA, files]]));
    const sizes: number[] = [];
    const scope = nock(API)
      .post("/graphql")
      .reply(502, { message: "We couldn't respond to your request in time. Sorry about that." })
      .post("/graphql")
      .times(3)
      .reply(200, answer);
    scope.on("request", (_req: unknown, _i: unknown, body: string) =>
      sizes.push((JSON.parse(body).query.match(/: object\(/g) ?? []).length),
    );
    const read = await readFiles(octokit, { owner: "o", repo: "big", sha: SHA, paths });
    expect(read.files.size).toBe(250);
    expect(sizes).toEqual([250, 100, 100, 50]);
    expect(scope.isDone()).toBe(true);

    // The same after GitHub's GraphQL timeout, answered 200 with an error.
    sizes.length = 0;
    const timedOut = nock(API)
      .post("/graphql")
      .reply(200, {
        data: null,
        errors: [
          {
            message: "Something went wrong while executing your query. This may be the result of a timeout.",
          },
        ],
      })
      .post("/graphql")
      .times(3)
      .reply(200, answer);
    timedOut.on("request", (_req: unknown, _i: unknown, body: string) =>
      sizes.push((JSON.parse(body).query.match(/: object\(/g) ?? []).length),
    );
    expect((await readFiles(octokit, { owner: "o", repo: "big", sha: SHA, paths })).files.size).toBe(250);
    expect(sizes).toEqual([250, 100, 100, 50]);

    // A request of more than 500 files is read again 500 at a time, and a 500 that fails 100 at a time.
    sizes.length = 0;
    const large = nock(API)
      .post("/graphql")
      .reply(502, { message: "We couldn't respond to your request in time. Sorry about that." })
      .post("/graphql")
      .reply(502, { message: "We couldn't respond to your request in time. Sorry about that." })
      .post("/graphql")
      .times(7)
      .reply(200, answer);
    large.on("request", (_req: unknown, _i: unknown, body: string) =>
      sizes.push((JSON.parse(body).query.match(/: object\(/g) ?? []).length),
    );
    const many = Object.keys(files).slice(0, 1200);
    expect((await readFiles(octokit, { owner: "o", repo: "big", sha: SHA, paths: many })).files.size).toBe(
      1200,
    );
    expect(sizes).toEqual([1200, 500, 100, 100, 100, 100, 100, 500, 200]);
    expect(large.isDone()).toBe(true);

    // Any other failure is not retried: it is the reader's to report.
    nock(API).post("/graphql").reply(401, { message: "Bad credentials" });
    await expect(readFiles(octokit, { owner: "o", repo: "big", sha: SHA, paths })).rejects.toMatchObject({
      status: 401,
    });
    expect(nock.isDone()).toBe(true);
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
    expect(contents.files.get("a.sql")).toBe("SELECT 1;\n");
    expect(scope.isDone()).toBe(true);
    expect(log.problems).toEqual([]);
    await app.stop();
  });
});

describe("reading a repository completely (GitHub's REST and GraphQL shapes)", () => {
  const API = "https://api.github.com";
  const SHA = "a".repeat(40);
  const octokit = () => new TestOctokit({ auth: "t" }) as unknown as Octokit;
  const treeItem = (path: string, content: string, mode = "100644") => ({
    path,
    mode,
    type: "blob",
    sha: blobSha(content),
    size: Buffer.byteLength(content),
    url: `${API}/repos/o/r/git/blobs/${blobSha(content)}`,
  });
  const subtree = (path: string, sha: string) => ({
    path,
    mode: "040000",
    type: "tree",
    sha,
    url: `${API}/repos/o/r/git/trees/${sha}`,
  });
  const blobReply = (bytes: Buffer) => ({
    sha: sha1(bytes.toString("latin1")),
    node_id: "B_1",
    size: bytes.length,
    url: `${API}/repos/o/r/git/blobs/x`,
    content: bytes.toString("base64"),
    encoding: "base64",
  });
  const recording = () => {
    const log = createConformanceLog();
    const scope = nock(API);
    scope.on("request", (req: { method: string; path: string }, _i: unknown, body: string) =>
      log.record({ method: req.method, url: req.path, body: body ? JSON.parse(body) : undefined }),
    );
    return { log, scope };
  };

  beforeAll(() => nock.disableNetConnect());
  afterAll(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  test("a truncated recursive tree is completed by reading its subtrees", async () => {
    const { log, scope } = recording();
    const DB = "d".repeat(40);
    const CONTRACTS = "c".repeat(40);
    scope
      .get(`/repos/o/r/git/trees/${SHA}`)
      .query({ recursive: "1" })
      .reply(200, { sha: SHA, url: "", truncated: true, tree: [treeItem("README.md", "# r\n")] })
      .get(`/repos/o/r/git/trees/${SHA}`)
      .reply(200, {
        sha: SHA,
        url: "",
        truncated: false,
        tree: [treeItem("README.md", "# r\n"), subtree("db", DB), subtree("contracts", CONTRACTS)],
      })
      .get(`/repos/o/r/git/trees/${DB}`)
      .query({ recursive: "1" })
      .reply(200, {
        sha: DB,
        url: "",
        truncated: false,
        tree: [
          subtree("migrations", "e".repeat(40)),
          treeItem("migrations/0002_drop.sql", "ALTER TABLE orders DROP COLUMN email;\n"),
        ],
      })
      .get(`/repos/o/r/git/trees/${CONTRACTS}`)
      .query({ recursive: "1" })
      .reply(200, {
        sha: CONTRACTS,
        url: "",
        truncated: false,
        tree: [treeItem("orders.yaml", "name: orders\n")],
      });
    const tree = await readTree(octokit(), { owner: "o", repo: "r", sha: SHA });
    expect(tree.paths.sort()).toEqual(["README.md", "contracts/orders.yaml", "db/migrations/0002_drop.sql"]);
    expect(scope.isDone()).toBe(true);
    expect(log.problems).toEqual([]);
  });

  test("files GraphQL cannot give as text are read as blobs and decoded; what cannot be read says why", async () => {
    const { log, scope } = recording();
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from("ALTER TABLE orders DROP COLUMN email;\n", "utf16le"),
    ]);
    const latin1 = Buffer.from("-- supprimé\nALTER TABLE orders DROP COLUMN email;\n", "latin1");
    const large = "-- x\n";
    const target = "ALTER TABLE orders DROP COLUMN status;\n";
    const entries = new Map<string, TreeEntry>([
      ["m/1_utf16.sql", { type: "blob", mode: "100644", oid: sha1("utf16"), size: utf16.length }],
      ["m/2_latin1.sql", { type: "blob", mode: "100644", oid: sha1("latin1"), size: latin1.length }],
      ["m/3_large.sql", { type: "blob", mode: "100644", oid: blobSha(large), size: 30 * 1024 * 1024 }],
      ["m/4_link.sql", { type: "blob", mode: "120000", oid: blobSha("../sql/drop.sql") }],
      ["sql/drop.sql", { type: "blob", mode: "100644", oid: blobSha(target), size: target.length }],
      ["m/5_sub.sql", { type: "commit", mode: "160000", oid: "f".repeat(40) }],
      ["m/6_truncated.sql", { type: "blob", mode: "100644", oid: blobSha(target) }],
    ]);
    scope
      .post("/graphql")
      .reply(200, {
        data: {
          repository: {
            f0: {
              __typename: "Blob",
              oid: sha1("utf16"),
              byteSize: utf16.length,
              text: null,
              isTruncated: false,
              isBinary: true,
            },
            f1: {
              __typename: "Blob",
              oid: sha1("latin1"),
              byteSize: latin1.length,
              text: "-- supprim\uFFFD\n",
              isTruncated: false,
              isBinary: false,
            },
            f2: {
              __typename: "Blob",
              oid: blobSha(target),
              byteSize: 600_000,
              text: "ALTER",
              isTruncated: true,
              isBinary: false,
            },
          },
        },
      })
      .get(`/repos/o/r/git/blobs/${blobSha("../sql/drop.sql")}`)
      .reply(200, blobReply(Buffer.from("../sql/drop.sql")))
      .get(`/repos/o/r/git/blobs/${blobSha(target)}`)
      .reply(200, blobReply(Buffer.from(target)))
      .get(`/repos/o/r/git/blobs/${sha1("utf16")}`)
      .reply(200, blobReply(utf16))
      .get(`/repos/o/r/git/blobs/${sha1("latin1")}`)
      .reply(200, blobReply(latin1));
    const read = await readFiles(octokit(), {
      owner: "o",
      repo: "r",
      sha: SHA,
      paths: [
        "m/1_utf16.sql",
        "m/2_latin1.sql",
        "m/3_large.sql",
        "m/4_link.sql",
        "m/5_sub.sql",
        "m/6_truncated.sql",
      ],
      entries,
    });
    expect(Object.fromEntries(read.files)).toEqual({
      "m/1_utf16.sql": "ALTER TABLE orders DROP COLUMN email;\n",
      "m/2_latin1.sql": "-- supprimé\nALTER TABLE orders DROP COLUMN email;\n",
      "m/4_link.sql": target,
      "m/6_truncated.sql": target,
    });
    expect(read.unreadable).toEqual([
      { path: "m/3_large.sql", reason: expect.stringContaining("30.0 MB") },
      { path: "m/5_sub.sql", reason: expect.stringContaining("submodule") },
    ]);
    expect(read.findings.map((f) => f.file).sort()).toEqual(["m/1_utf16.sql", "m/2_latin1.sql"]);
    expect(scope.isDone()).toBe(true);
    expect(log.problems).toEqual([]);
  });

  test("without a tree, a submodule or a file GraphQL truncates is still not skipped", async () => {
    const { log, scope } = recording();
    const target = "ALTER TABLE orders DROP COLUMN status;\n";
    scope
      .post("/graphql")
      .reply(200, {
        data: {
          repository: {
            f0: { __typename: "Commit" },
            f1: {
              __typename: "Blob",
              oid: blobSha(target),
              byteSize: 600_000,
              text: null,
              isTruncated: true,
              isBinary: false,
            },
            f2: null,
          },
        },
      })
      .get(`/repos/o/r/git/blobs/${blobSha(target)}`)
      .reply(200, blobReply(Buffer.from(target)));
    const read = await readFiles(octokit(), {
      owner: "o",
      repo: "r",
      sha: SHA,
      paths: ["sub", "big.sql", "gone.sql"],
    });
    expect(Object.fromEntries(read.files)).toEqual({ "big.sql": target });
    expect(read.unreadable.map((u) => u.path)).toEqual(["sub", "gone.sql"]);
    expect(scope.isDone()).toBe(true);
    expect(log.problems).toEqual([]);
  });
});
