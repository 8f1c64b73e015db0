// Several Covenant instances as real processes on one database, a local stand-in for GitHub with a
// repository to analyse, and signed pull_request deliveries: for the multi-instance tests and
// `npm run bench:scale`.
import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { type FakeGitHub, type FakeRepository, startFakeGitHub } from "./fake-github.ts";
import { commitSha, type Files } from "./github-repo-fixture.ts";
import { sendDelivery } from "./signed-delivery.ts";
import { pullRequestPayload, testPrivateKey } from "./webhook-examples.ts";

/** Polls `condition` every 50 ms until it holds; past `timeoutMs` it throws, naming `what`. */
export const waitFor = async (
  what: string,
  condition: () => Promise<boolean> | boolean,
  timeoutMs: number,
) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((done) => setTimeout(done, 50));
  }
};

export const BIN = resolve(import.meta.dirname, "../../bin/covenant.js");
const APP_ENTRY = resolve(import.meta.dirname, "app-server-process.mjs");
export const WEBHOOK_SECRET = "scale-secret";

export type Instance = {
  /** Where it listens (a worker: its health port, if any). */
  url: string;
  pid: number;
  child: ChildProcess;
  /** What it wrote so far (its log on stdout and its messages on stderr). */
  output: () => string;
  /** SIGTERM, and wait for the exit. */
  stop: () => Promise<void>;
  /** SIGKILL: no shutdown at all, as a crashed machine. */
  kill: () => Promise<void>;
};

const exited = (child: ChildProcess) =>
  new Promise<void>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once("exit", () => done());
  });

/**
 * Starts `covenant <args>` (the real command) or, with `app: true`, the App server entry with
 * GitHub's write spacing off; resolves once it prints where it listens.
 */
export const startInstance = async ({
  args = ["serve"],
  app = false,
  env,
  timeoutMs = 120_000,
}: {
  args?: string[];
  app?: boolean;
  env: Record<string, string>;
  timeoutMs?: number;
}): Promise<Instance> => {
  const child = spawn(process.execPath, app ? [APP_ENTRY] : [BIN, ...args], {
    env: {
      PATH: process.env.PATH ?? "",
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "warn",
      ANALYSIS_THREADS: "1",
      ...env,
    } as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Its log (JSON lines on stdout) and messages (stderr), read as they come so a pipe never fills.
  let output = "";
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`no banner within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    // `Covenant listening on <url> …`, `Covenant worker running … (…; health: <url>/healthz …)`.
    const look = () => {
      const banner = /^Covenant (?:\w+ )?(?:listening|running)\b.*$/m.exec(output)?.[0];
      if (banner === undefined) return;
      clearTimeout(timer);
      child.stderr!.off("data", look);
      done(/http:\/\/[^\s/,;)]+/.exec(banner)?.[0] ?? "");
    };
    child.stderr!.on("data", look);
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`exited with ${code} before it listened:\n${output}`));
    });
  });
  return {
    url,
    pid: child.pid!,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited(child);
    },
    kill: async () => {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited(child);
    },
  };
};

/** The App's settings for an instance: its credentials and the stand-in for GitHub. */
export const appEnv = (databaseUrl: string, github: FakeGitHub): Record<string, string> => ({
  DATABASE_URL: databaseUrl,
  APP_ID: "1",
  PRIVATE_KEY: testPrivateKey(),
  WEBHOOK_SECRET,
  GITHUB_API_URL: github.url,
});

const SCALE_REPOSITORY = { owner: "scale", name: "shop", id: 4242 };

const pad = (n: number) => String(n).padStart(4, "0");

/**
 * `migrations` numbered migrations (a table every 10 files, columns added in between) and a BLOCK
 * contract on the first table; each PR adds `prFiles - 1` tables and drops a contracted column, so
 * its check run fails with one violation.
 */
export const scaleRepository = async ({
  migrations = 200,
  prFiles = 5,
  latencyMs = 0,
}: {
  migrations?: number;
  prFiles?: number;
  latencyMs?: number;
} = {}) => {
  const github = await startFakeGitHub({ latencyMs });
  const base: Files = {
    "README.md": "# scale\n",
    "contracts/t_1.yaml": [
      "name: t_1",
      "version: 1.0.0",
      "status: active",
      'owner: "@scale/data"',
      "enforcement: BLOCK",
      "dataset: { type: table, name: public.t_1 }",
      "schema:",
      "  columns:",
      "    - { name: id, type: bigint, required: true }",
      "    - { name: c_2, type: integer, required: false }",
      "",
    ].join("\n"),
  };
  for (let k = 1; k <= migrations; k++) {
    const table = `t_${k - ((k - 1) % 10)}`;
    base[`migrations/${pad(k)}_m.sql`] =
      (k - 1) % 10 === 0
        ? `CREATE TABLE ${table} (\n  id bigint PRIMARY KEY,\n  name text NOT NULL\n);\n`
        : `ALTER TABLE ${table} ADD COLUMN c_${k} integer;\n`;
  }
  const baseSha = commitSha(base, "base");
  const repo: FakeRepository = {
    ...SCALE_REPOSITORY,
    defaultBranch: "main",
    commits: new Map([[baseSha, base]]),
    pulls: new Map(),
  };
  github.repos.set("scale/shop", repo);
  /** Adds PR `number` to the repository; answers its head SHA. */
  const addPull = (number: number): string => {
    const head: Files = { ...base };
    const files: Array<{ filename: string; status: "added" }> = [];
    for (let i = 1; i <= prFiles; i++) {
      const path = `migrations/${pad(migrations + i)}_pr${number}.sql`;
      head[path] =
        i === prFiles
          ? "ALTER TABLE t_1 DROP COLUMN c_2;\n"
          : `CREATE TABLE pr${number}_${i} (\n  id bigint PRIMARY KEY\n);\n`;
      files.push({ filename: path, status: "added" });
    }
    const sha = commitSha(head, `pr-${number}`);
    repo.commits.set(sha, head);
    repo.pulls.set(number, { number, baseSha, headSha: sha, author: "dev", files });
    return sha;
  };
  return { github, repo, addPull };
};

/** A signed `pull_request.opened` delivery for PR `number` of scale/shop at `sha`. */
export const deliverPullRequest = ({
  url,
  number,
  sha,
  id,
}: {
  url: string;
  number: number;
  sha: string;
  id?: string;
}) => {
  const payload = pullRequestPayload({
    number,
    sha,
    installation: 77,
    repository: SCALE_REPOSITORY,
  });
  return sendDelivery({ url, secret: WEBHOOK_SECRET, event: "pull_request", payload, ...(id ? { id } : {}) });
};
