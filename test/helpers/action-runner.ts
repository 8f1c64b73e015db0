// The GitHub Action run the way a runner runs it: a pull_request event file (a real payload from
// @octokit/webhooks-examples, pointed at the test's commits), a workspace checked out like
// actions/checkout does by default (the PR's merge commit, depth 1, remote "origin"), and the
// files the runner collects (GITHUB_STEP_SUMMARY, GITHUB_OUTPUT), then the action's entry.
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { examplePayload } from "./github-app-harness.ts";

const root = resolve(import.meta.dirname, "../..");

/** dist/action/main.js when the build is newer than every source, else the TypeScript entry through tsx. */
const entry = (): string[] => {
  const stamp = join(root, "dist", ".build-stamp");
  if (existsSync(stamp)) {
    const built = statSync(stamp).mtimeMs;
    const stale = readdirSync(join(root, "src"), { recursive: true, withFileTypes: true }).some(
      (e) => e.isFile() && statSync(join(e.parentPath, e.name)).mtimeMs > built,
    );
    if (!stale) return [join(root, "dist", "action", "main.js")];
  }
  return ["--import", import.meta.resolve("tsx"), join(root, "src", "action", "main.ts")];
};

export type ActionRun = {
  code: number | null;
  stdout: string;
  stderr: string;
  summary: string;
  outputs: Record<string, string>;
  sarif: string | undefined;
};

/** `git` in a directory, failing loudly. */
const git = (dir: string, ...args: string[]): string => {
  const result = spawnSync("git", ["-C", dir, ...args], {
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@t",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@t",
    },
  });
  if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
  return result.stdout.trim();
};

/**
 * Like actions/checkout@v4 on a pull_request event: a new repository fetching only the merge
 * commit (`--depth=1`) from origin and checking it out detached.
 */
export const shallowCheckout = (origin: string, sha: string, dir: string): void => {
  mkdirSync(dir, { recursive: true });
  git(dir, "init", "-q");
  git(dir, "remote", "add", "origin", `file://${origin}`);
  git(dir, "fetch", "-q", "--no-tags", "--depth=1", "origin", sha);
  git(dir, "checkout", "-q", "--detach", sha);
};

/**
 * A pull request in `origin` (a repository whose `main` is the base and `headRef` the change): its
 * merge commit as GitHub makes it (refs/pull/<n>/merge), the event payload, a shallow workspace.
 */
export const runActionOnPullRequest = ({
  origin,
  headRef,
  inputs = {},
  env = {},
  number = 7,
}: {
  origin: string;
  headRef: string;
  inputs?: Record<string, string>;
  env?: Record<string, string>;
  number?: number;
}): ActionRun => {
  // GitHub serves any reachable commit to a fetch by id (actions/checkout relies on it).
  git(origin, "config", "uploadpack.allowAnySHA1InWant", "true");
  const baseSha = git(origin, "rev-parse", "main");
  const headSha = git(origin, "rev-parse", headRef);
  const tree = git(origin, "merge-tree", "--write-tree", baseSha, headSha);
  const mergeSha = git(
    origin,
    "commit-tree",
    tree,
    "-p",
    baseSha,
    "-p",
    headSha,
    "-m",
    `Merge ${headSha} into ${baseSha}`,
  );
  git(origin, "update-ref", `refs/pull/${number}/merge`, mergeSha);

  const runner = mkdtempSync(join(tmpdir(), "covenant-runner-"));
  try {
    const workspace = join(runner, "work", "repo");
    shallowCheckout(origin, mergeSha, workspace);
    // biome-ignore lint/suspicious/noExplicitAny: a webhook payload, edited in a few known places
    const payload = examplePayload("pull_request", "opened") as Record<string, any>;
    payload.number = number;
    payload.pull_request.number = number;
    payload.pull_request.base.sha = baseSha;
    payload.pull_request.base.ref = "main";
    payload.pull_request.head.sha = headSha;
    payload.pull_request.head.ref = headRef;
    const eventPath = join(runner, "event.json");
    writeFileSync(eventPath, JSON.stringify(payload));
    const summaryPath = join(runner, "step_summary.md");
    const outputPath = join(runner, "output.txt");
    writeFileSync(summaryPath, "");
    writeFileSync(outputPath, "");
    mkdirSync(join(runner, "temp"));
    const result = spawnSync(process.execPath, entry(), {
      cwd: workspace,
      encoding: "utf8",
      env: {
        PATH: process.env.PATH ?? "",
        HOME: runner,
        CI: "true",
        GITHUB_ACTIONS: "true",
        GITHUB_EVENT_NAME: "pull_request",
        GITHUB_EVENT_PATH: eventPath,
        GITHUB_WORKSPACE: workspace,
        GITHUB_STEP_SUMMARY: summaryPath,
        GITHUB_OUTPUT: outputPath,
        GITHUB_SHA: mergeSha,
        GITHUB_REF: `refs/pull/${number}/merge`,
        GITHUB_REPOSITORY: payload.repository.full_name,
        RUNNER_TEMP: join(runner, "temp"),
        ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
        ...env,
      },
    });
    if (result.error) throw result.error;
    const outputs = Object.fromEntries(
      readFileSync(outputPath, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    const sarifPath = outputs["sarif-file"];
    return {
      code: result.status,
      stdout: result.stdout,
      stderr: result.stderr,
      summary: readFileSync(summaryPath, "utf8"),
      outputs,
      sarif: sarifPath && existsSync(sarifPath) ? readFileSync(sarifPath, "utf8") : undefined,
    };
  } finally {
    rmSync(runner, { recursive: true, force: true });
  }
};
