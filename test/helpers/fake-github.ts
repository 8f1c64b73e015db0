// A small fake of GitHub's REST and GraphQL APIs for end-to-end tests and the benchmark: serves
// the endpoints the App uses from in-memory repositories, records every request (checked
// against GitHub's OpenAPI description) and keeps the check runs, comments and review requests
// it receives so tests can look at them.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { blobSha, type Files, graphqlFilesResponse, treeResponse } from "./github-repo-fixture.ts";
import { createConformanceLog } from "./openapi-conformance.ts";

export type FakePullRequest = {
  number: number;
  baseSha: string;
  headSha: string;
  author: string;
  state?: "open" | "closed";
  files: Array<{
    filename: string;
    status: "added" | "modified" | "removed" | "renamed";
    previous_filename?: string;
  }>;
  reviews?: Array<{ login: string; state: string }>;
  requestedReviewers?: string[];
  requestedTeams?: string[];
};

export type FakeRepository = {
  owner: string;
  name: string;
  id: number;
  defaultBranch: string;
  commits: Map<string, Files>;
  pulls: Map<number, FakePullRequest>;
  /** team slug -> member logins */
  teams?: Record<string, string[]>;
};

export type CheckRun = {
  id: number;
  repo: string;
  head_sha: string;
  name: string;
  status: string;
  conclusion?: string;
  output?: { title: string; summary: string; annotations: unknown[] };
  annotations: unknown[];
  history: string[];
  completedAt?: number;
};
export type Comment = { id: number; repo: string; issue: number; body: string; user: string };

export type FakeGitHub = {
  url: string;
  repos: Map<string, FakeRepository>;
  checkRuns: Map<number, CheckRun>;
  comments: Map<number, Comment>;
  reviewRequests: Array<{ repo: string; pull: number; reviewers: string[]; team_reviewers: string[] }>;
  reactions: Array<{ commentId: number; content: string }>;
  conformance: ReturnType<typeof createConformanceLog>;
  /** Requests per route template since the last reset (e.g. "GET /repos/{o}/{r}/git/trees/{sha}"). */
  counts: () => Record<string, number>;
  resetCounts: () => void;
  onCheckCompleted: (listener: (run: CheckRun) => void) => void;
  /**
   * GitHub unreachable for the requests `matches` picks: "hang" never answers them (a black hole),
   * "reset" drops their connection; null answers everything again. Held requests end at close().
   */
  outage: (
    mode: { kind: "hang" | "reset"; matches: (method: string, path: string) => boolean } | null,
  ) => void;
  /** Requests the outage took so far (held or dropped). */
  cutOff: () => number;
  close: () => Promise<void>;
};

const QUOTA = 15_000;

type Route = {
  method: string;
  pattern: RegExp;
  name: string;
  handle: (m: string[], req: Parsed) => [number, unknown];
};
type Parsed = { url: URL; body: unknown };

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });

export const startFakeGitHub = async ({
  latencyMs = 0,
}: {
  latencyMs?: number;
} = {}): Promise<FakeGitHub> => {
  const repos = new Map<string, FakeRepository>();
  const checkRuns = new Map<number, CheckRun>();
  const comments = new Map<number, Comment>();
  const reviewRequests: FakeGitHub["reviewRequests"] = [];
  const reactions: FakeGitHub["reactions"] = [];
  const conformance = createConformanceLog();
  const listeners: Array<(run: CheckRun) => void> = [];
  let counts: Record<string, number> = {};
  // GitHub's primary rate limit, per resource and hour (an installation of an Enterprise Cloud organization).
  const quota = { core: 0, graphql: 0 };
  const quotaReset = Math.floor(Date.now() / 1000) + 3600;
  let nextId = 1000;
  let baseUrl = "";

  const repoOf = (owner: string, name: string): FakeRepository => {
    const repo = repos.get(`${owner}/${name}`);
    if (!repo) throw Object.assign(new Error("Not Found"), { status: 404 });
    return repo;
  };
  const repoJson = (r: FakeRepository) => ({
    id: r.id,
    name: r.name,
    full_name: `${r.owner}/${r.name}`,
    private: false,
    default_branch: r.defaultBranch,
    owner: { login: r.owner, id: 1, type: "Organization" },
    html_url: `https://github.com/${r.owner}/${r.name}`,
  });
  const pullOf = (r: FakeRepository, n: string) => {
    const pull = r.pulls.get(Number(n));
    if (!pull) throw Object.assign(new Error("Not Found"), { status: 404 });
    return pull;
  };
  const page = <T>(items: T[], url: URL): [T[], string | undefined] => {
    const per = Number(url.searchParams.get("per_page") ?? 30);
    const p = Number(url.searchParams.get("page") ?? 1);
    const slice = items.slice((p - 1) * per, p * per);
    if (p * per >= items.length) return [slice, undefined];
    const next = new URL(url.toString());
    next.searchParams.set("page", String(p + 1));
    return [slice, `<${baseUrl}${next.pathname}${next.search}>; rel="next"`];
  };
  let link: string | undefined;

  const routes: Route[] = [
    {
      method: "POST",
      pattern: /^\/app\/installations\/(\d+)\/access_tokens$/,
      name: "POST /app/installations/{id}/access_tokens",
      handle: () => [201, { token: "ghs_fake", expires_at: new Date(Date.now() + 3600_000).toISOString() }],
    },
    {
      method: "GET",
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)$/,
      name: "GET /repos/{o}/{r}/pulls/{n}",
      handle: ([o, r, n]) => {
        const repo = repoOf(o!, r!);
        const pull = pullOf(repo, n!);
        return [
          200,
          {
            number: pull.number,
            state: pull.state ?? "open",
            html_url: `https://github.com/${o}/${r}/pull/${n}`,
            user: { login: pull.author, type: "User" },
            head: { sha: pull.headSha, ref: `pr-${n}`, repo: repoJson(repo) },
            base: { sha: pull.baseSha, ref: repo.defaultBranch, repo: repoJson(repo) },
            requested_reviewers: (pull.requestedReviewers ?? []).map((login) => ({ login })),
            requested_teams: (pull.requestedTeams ?? []).map((slug) => ({ slug })),
            // All of them, where the file list stops at GitHub's 3,000.
            changed_files: pull.files.length,
          },
        ];
      },
    },
    {
      method: "GET",
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)\/files$/,
      name: "GET /repos/{o}/{r}/pulls/{n}/files",
      handle: ([o, r, n], { url }) => {
        const files = pullOf(repoOf(o!, r!), n!).files.slice(0, 3000);
        const [items, next] = page(
          files.map((f) => ({ sha: "0".repeat(40), additions: 1, deletions: 0, changes: 1, ...f })),
          url,
        );
        link = next;
        return [200, items];
      },
    },
    {
      method: "GET",
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)\/reviews$/,
      name: "GET /repos/{o}/{r}/pulls/{n}/reviews",
      handle: ([o, r, n]) => [
        200,
        (pullOf(repoOf(o!, r!), n!).reviews ?? []).map((rv, i) => ({
          id: i + 1,
          user: { login: rv.login },
          state: rv.state,
        })),
      ],
    },
    {
      method: "POST",
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)\/requested_reviewers$/,
      name: "POST /repos/{o}/{r}/pulls/{n}/requested_reviewers",
      handle: ([o, r, n], { body }) => {
        const b = body as { reviewers?: string[]; team_reviewers?: string[] };
        const pull = pullOf(repoOf(o!, r!), n!);
        pull.requestedReviewers = [...(pull.requestedReviewers ?? []), ...(b.reviewers ?? [])];
        pull.requestedTeams = [...(pull.requestedTeams ?? []), ...(b.team_reviewers ?? [])];
        reviewRequests.push({
          repo: `${o}/${r}`,
          pull: Number(n),
          reviewers: b.reviewers ?? [],
          team_reviewers: b.team_reviewers ?? [],
        });
        return [201, { number: Number(n) }];
      },
    },
    {
      method: "GET",
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/compare\/([0-9a-f]+)\.\.\.([0-9a-f]+)$/,
      name: "GET /repos/{o}/{r}/compare/{base}...{head}",
      handle: ([o, r, base, head]) => {
        const commits = repoOf(o!, r!).commits;
        if (!commits.has(base!) || !commits.has(head!)) return [404, { message: "Not Found" }];
        // The fake keeps no history: a PR's head is taken to branch from its base's commit.
        return [
          200,
          { status: "ahead", merge_base_commit: { sha: base }, base_commit: { sha: base }, files: [] },
        ];
      },
    },
    {
      method: "GET",
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/git\/trees\/([0-9a-f]+)$/,
      name: "GET /repos/{o}/{r}/git/trees/{sha}",
      handle: ([o, r, sha]) => {
        const files = repoOf(o!, r!).commits.get(sha!);
        return files ? [200, treeResponse(sha!, files)] : [404, { message: "Not Found" }];
      },
    },
    {
      method: "GET",
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/git\/blobs\/([0-9a-f]+)$/,
      name: "GET /repos/{o}/{r}/git/blobs/{sha}",
      handle: ([o, r, sha]) => {
        for (const files of repoOf(o!, r!).commits.values()) {
          for (const content of Object.values(files)) {
            if (blobSha(content) === sha)
              return [200, { sha, encoding: "base64", content: Buffer.from(content).toString("base64") }];
          }
        }
        return [404, { message: "Not Found" }];
      },
    },
    {
      method: "POST",
      pattern: /^\/(?:api\/)?graphql$/,
      name: "POST /graphql",
      handle: (_m, { body }) => {
        const b = body as { query: string; variables: { owner: string; repo: string } };
        return [200, graphqlFilesResponse(b.query, repoOf(b.variables.owner, b.variables.repo).commits)];
      },
    },
    {
      method: "POST",
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/check-runs$/,
      name: "POST /repos/{o}/{r}/check-runs",
      handle: ([o, r], { body }) => {
        const b = body as {
          name: string;
          head_sha: string;
          status?: string;
          conclusion?: string;
          output?: CheckRun["output"];
        };
        // GitHub: a conclusion completes the run whatever the status says; no status means queued.
        const status = b.conclusion ? "completed" : (b.status ?? "queued");
        const run: CheckRun = {
          id: nextId++,
          repo: `${o}/${r}`,
          head_sha: b.head_sha,
          name: b.name,
          status,
          ...(b.conclusion ? { conclusion: b.conclusion } : {}),
          ...(b.output ? { output: b.output } : {}),
          annotations: [...(b.output?.annotations ?? [])],
          history: [status],
        };
        checkRuns.set(run.id, run);
        if (status === "completed") {
          run.completedAt = Date.now();
          for (const listener of listeners) listener(run);
        }
        return [
          201,
          {
            id: run.id,
            head_sha: run.head_sha,
            name: run.name,
            status: run.status,
            conclusion: run.conclusion ?? null,
          },
        ];
      },
    },
    {
      method: "GET",
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)\/check-runs$/,
      name: "GET /repos/{o}/{r}/commits/{ref}/check-runs",
      handle: ([o, r, ref], { url }) => {
        const name = url.searchParams.get("check_name");
        const runs = [...checkRuns.values()]
          .filter((run) => run.repo === `${o}/${r}` && run.head_sha === ref && (!name || run.name === name))
          .reverse();
        const [items, next] = page(
          runs.map((run) => ({ id: run.id, head_sha: run.head_sha, name: run.name, status: run.status })),
          url,
        );
        link = next;
        return [200, { total_count: runs.length, check_runs: items }];
      },
    },
    {
      method: "PATCH",
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/check-runs\/(\d+)$/,
      name: "PATCH /repos/{o}/{r}/check-runs/{id}",
      handle: ([, , id], { body }) => {
        const run = checkRuns.get(Number(id));
        if (!run) return [404, { message: "Not Found" }];
        const b = body as Partial<CheckRun> & { output?: CheckRun["output"] };
        if (b.status) {
          run.status = b.status;
          run.history.push(b.status);
        }
        if (b.conclusion) run.conclusion = b.conclusion;
        if (b.output) {
          run.output = b.output;
          run.annotations.push(...(b.output.annotations ?? []));
        }
        if (b.status === "in_progress") run.annotations = [];
        if (b.status === "completed") {
          run.completedAt = Date.now();
          for (const listener of listeners) listener(run);
        }
        return [200, { id: run.id }];
      },
    },
    {
      method: "GET",
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/,
      name: "GET /repos/{o}/{r}/issues/{n}/comments",
      handle: ([o, r, n], { url }) => {
        const list = [...comments.values()].filter((c) => c.repo === `${o}/${r}` && c.issue === Number(n));
        const [items, next] = page(
          list.map((c) => ({ id: c.id, body: c.body, user: { login: c.user } })),
          url,
        );
        link = next;
        return [200, items];
      },
    },
    {
      method: "POST",
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/,
      name: "POST /repos/{o}/{r}/issues/{n}/comments",
      handle: ([o, r, n], { body }) => {
        const c: Comment = {
          id: nextId++,
          repo: `${o}/${r}`,
          issue: Number(n),
          body: (body as { body: string }).body,
          user: "covenant[bot]",
        };
        comments.set(c.id, c);
        return [201, { id: c.id, body: c.body }];
      },
    },
    {
      method: "PATCH",
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/,
      name: "PATCH /repos/{o}/{r}/issues/comments/{id}",
      handle: ([, , id], { body }) => {
        const c = comments.get(Number(id));
        if (!c) return [404, { message: "Not Found" }];
        c.body = (body as { body: string }).body;
        return [200, { id: c.id, body: c.body }];
      },
    },
    {
      method: "POST",
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)\/reactions$/,
      name: "POST /repos/{o}/{r}/issues/comments/{id}/reactions",
      handle: ([, , id], { body }) => {
        reactions.push({ commentId: Number(id), content: (body as { content: string }).content });
        return [201, { id: nextId++, content: (body as { content: string }).content }];
      },
    },
    {
      method: "GET",
      pattern: /^\/orgs\/([^/]+)\/teams\/([^/]+)\/memberships\/([^/]+)$/,
      name: "GET /orgs/{org}/teams/{slug}/memberships/{user}",
      handle: ([org, slug, user]) => {
        const repo = [...repos.values()].find((r) => r.owner === org);
        const members = repo?.teams?.[slug!] ?? [];
        return members.includes(user!)
          ? [200, { state: "active", role: "member", url: "" }]
          : [404, { message: "Not Found" }];
      },
    },
  ];

  /** The headers GitHub sends with every API answer (tokens are not counted against the quota). */
  const rateLimitHeaders = (path: string): Record<string, string> => {
    if (path.endsWith("/access_tokens")) return {};
    const resource = path.endsWith("/graphql") ? "graphql" : "core";
    const used = ++quota[resource];
    return {
      "x-ratelimit-limit": String(QUOTA),
      "x-ratelimit-remaining": String(Math.max(0, QUOTA - used)),
      "x-ratelimit-used": String(used),
      "x-ratelimit-reset": String(quotaReset),
      "x-ratelimit-resource": resource,
      "x-github-api-version-selected": "2022-11-28",
    };
  };

  let outage: Parameters<FakeGitHub["outage"]>[0] = null;
  let cutOff = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://fake");
    if (outage?.matches(req.method ?? "GET", url.pathname)) {
      cutOff++;
      if (outage.kind === "reset") return void req.socket.destroy();
      return;
    }
    const text = await readBody(req);
    const body = text ? JSON.parse(text) : undefined;
    conformance.record({ method: req.method ?? "GET", url: `${url.pathname}${url.search}`, body });
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    for (const route of routes) {
      const m = route.method === req.method ? route.pattern.exec(url.pathname) : null;
      if (!m) continue;
      counts[route.name] = (counts[route.name] ?? 0) + 1;
      link = undefined;
      let status: number;
      let payload: unknown;
      try {
        [status, payload] = route.handle(m.slice(1), { url, body });
      } catch (error) {
        status = (error as { status?: number }).status ?? 500;
        payload = { message: (error as Error).message };
      }
      res.writeHead(status, {
        "content-type": "application/json; charset=utf-8",
        ...rateLimitHeaders(url.pathname),
        ...(link ? { link } : {}),
      });
      res.end(JSON.stringify(payload));
      return;
    }
    counts[`unknown ${req.method} ${url.pathname}`] =
      (counts[`unknown ${req.method} ${url.pathname}`] ?? 0) + 1;
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ message: "Not Found" }));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: baseUrl,
    repos,
    checkRuns,
    comments,
    reviewRequests,
    reactions,
    conformance,
    counts: () => ({ ...counts }),
    resetCounts: () => {
      counts = {};
    },
    onCheckCompleted: (listener) => listeners.push(listener),
    outage: (mode) => {
      outage = mode;
    },
    cutOff: () => cutOff,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
