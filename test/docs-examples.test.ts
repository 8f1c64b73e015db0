// The README's and docs/*.md's shell examples, run as a reader runs them: in document order, in
// the directory a server started by the real `covenant serve` runs in (a fresh SQLite database,
// the embedded default), against that server over HTTP and with the real CLI on a real git
// repository (examples/shop copied). A block fails the test when it exits otherwise than the
// document says (`<!-- exit: N -->`, default 0; curl fails on an HTTP error), or when its output
// differs from the unlabelled block the document shows right after it. A block that cannot run
// here says why in the document (`<!-- not-run: reason -->`), so nothing is skipped silently.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../src/db/client.ts";
import { upsertGitHubInstallation } from "../src/db/github-repositories.ts";
import { COVENANT_BIN as BIN } from "./helpers/covenant-bin.ts";
import { markdownExamples, outputMatches, type ShellExample } from "./helpers/markdown-examples.ts";

const ROOT = resolve(import.meta.dirname, "..");
const DOCUMENTS = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`),
];

let work: string;
/** The directory the server runs in, as the README's clone: its `.env`, `data/`, `examples/shop`. */
let serverDir: string;
let server: ChildProcess | undefined;
let serverUrl: string;
let serverLog = "";

/**
 * Only what a reader's shell would have (a git identity included): nothing of the test runner's
 * environment leaks into the examples.
 */
const shellEnv = () => ({
  PATH: process.env.PATH ?? "",
  HOME: join(work, "home"),
  LANG: "C.UTF-8",
  GIT_AUTHOR_NAME: "Ada Reader",
  GIT_AUTHOR_EMAIL: "ada@example.com",
  GIT_COMMITTER_NAME: "Ada Reader",
  GIT_COMMITTER_EMAIL: "ada@example.com",
});

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "covenant-docs-"));
  serverDir = join(work, "covenant");
  mkdirSync(join(serverDir, "data"), { recursive: true });
  mkdirSync(join(work, "home"));
  cpSync(join(ROOT, "examples/shop"), join(serverDir, "examples/shop"), { recursive: true });
  // The GitHub App installed on the organizations my-org (the README's) and acme (whose id is
  // docs/data-validation.md's example), as their installation webhooks record them.
  const db = await openDatabase(`file:${join(serverDir, "data/covenant.db")}`);
  try {
    await upsertGitHubInstallation(db, { githubId: 4321, login: "my-org", type: "Organization" });
    await db.installation.create({
      data: {
        id: "clx4q2w9e0000ab12cd34ef56",
        githubId: 4322,
        accountLogin: "acme",
        accountType: "Organization",
      },
    });
  } finally {
    await db.close();
  }
  server = spawn(process.execPath, [BIN, "serve"], {
    cwd: serverDir,
    env: { ...shellEnv(), HOST: "127.0.0.1", PORT: "0", JOB_WORKERS: "1", ANALYSIS_THREADS: "0" },
  });
  server.stderr?.on("data", (chunk: Buffer) => {
    serverLog += chunk.toString();
  });
  server.stdout?.on("data", (chunk: Buffer) => {
    serverLog += chunk.toString();
  });
  serverUrl = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`no banner: ${serverLog}`)), 90_000);
    const look = () => {
      const match = /listening on (http:\/\/\S+)/.exec(serverLog);
      if (!match) return;
      clearTimeout(timer);
      done(match[1]!.replace(/\/$/, ""));
    };
    server!.stderr?.on("data", look);
    server!.stdout?.on("data", look);
    server!.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`serve exited ${code}: ${serverLog}`));
    });
  });
}, 120_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    await new Promise<void>((done) => {
      server!.once("exit", () => done());
      server!.kill("SIGTERM");
    });
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

/**
 * What the documents assume that differs here, in commands and in outputs: the server listens on
 * a port of its own and runs in this test's directory (the docs' /srv/covenant), and the
 * walkthrough's scratch copy lives beside it.
 */
const substitute = (text: string) =>
  text
    .replaceAll("http://localhost:3000", serverUrl)
    .replaceAll("/tmp/shop", join(work, "shop"))
    .replaceAll("/srv/covenant", serverDir);

/**
 * One example in a bash of its own with `set -eo pipefail`, starting where the previous one ended
 * (directory and shell variables are carried over in `state`). `npx [--prefix DIR] covenant` is
 * this checkout's command (as `npx` finds it in the clone); curl fails on an HTTP error status.
 */
const script = (state: string, example: ShellExample, where: string) => `set -eo pipefail
__base=" $(compgen -v | tr '\\n' ' ') __base "
if [ -f ${state}/vars.sh ]; then source ${state}/vars.sh; fi
cd "$(cat ${state}/oldpwd)"; cd "$(cat ${state}/pwd)"
npx() {
  while [ $# -gt 0 ]; do case "$1" in --prefix) shift 2 ;; --prefix=*|--yes|-y|--no) shift ;; *) break ;; esac; done
  if [ "$1" != covenant ]; then echo "docs test: npx $1 is not this project's command" >&2; return 127; fi
  shift
  node ${JSON.stringify(BIN)} "$@"
}
curl() { command curl --fail-with-body "$@"; }
__save() {
  local rc=$?
  for __v in $(compgen -v); do
    case "$__base" in *" $__v "*) continue ;; esac
    case "$__v" in __*|FUNCNAME|BASH_*|PIPESTATUS|OLDPWD|PWD|_) continue ;; esac
    declare -p "$__v"
  done > ${state}/vars.sh
  printf %s "$OLDPWD" > ${state}/oldpwd
  pwd > ${state}/pwd
  exit $rc
}
trap __save EXIT
# ${where}
${substitute(example.text)}
`;

const runDocument = (document: string, state: string) => {
  const { shell, contracts, problems } = markdownExamples(readFileSync(join(ROOT, document), "utf8"));
  const failures = problems.map((p) => `${document} ${p}`);
  // A contract shown whole is one a reader may copy: the real `covenant validate` must accept it.
  for (const contract of contracts) {
    const file = join(state, `contract-${contract.line}.yaml`);
    writeFileSync(file, contract.text);
    const result = spawnSync(process.execPath, [BIN, "validate", file], {
      env: shellEnv(),
      encoding: "utf8",
    });
    if (result.status !== 0)
      failures.push(
        `${document}:${contract.line}: the contract shown is refused\n${result.stdout}${result.stderr}`,
      );
  }
  const skipped: string[] = [];
  for (const example of shell) {
    const where = `${document}:${example.line}`;
    if (example.notRun !== undefined) {
      if (example.notRun.length < 10) failures.push(`${where}: not-run needs a reason a reader understands`);
      skipped.push(`${where}: ${example.notRun}`);
      continue;
    }
    const file = join(state, "example.sh");
    writeFileSync(file, script(state, example, where));
    const result = spawnSync("bash", [file], {
      env: shellEnv(),
      encoding: "utf8",
      timeout: 180_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    const report = `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
    if (result.status !== example.exit) {
      failures.push(
        `${where}: exit ${result.status ?? result.signal} where the document says ${example.exit}\n${report}`,
      );
      break;
    }
    if (example.output && !outputMatches(substitute(example.output.text), result.stdout)) {
      failures.push(
        `${document}:${example.output.line}: the output differs from what the document shows\n` +
          `shown:\n${example.output.text}\n${report}`,
      );
      break;
    }
  }
  return { failures, skipped };
};

describe("the documents' examples run as written", { timeout: 900_000 }, () => {
  const readmeState = () => join(work, "state-README.md");

  for (const document of DOCUMENTS) {
    it(document, () => {
      const state = join(work, `state-${document.replaceAll("/", "-")}`);
      mkdirSync(state);
      // Every document continues the README's: its variables ($KEY, $API, $ID …), from the
      // directory the server runs in.
      if (document !== "README.md" && existsSync(join(readmeState(), "vars.sh")))
        cpSync(join(readmeState(), "vars.sh"), join(state, "vars.sh"));
      writeFileSync(join(state, "pwd"), serverDir);
      writeFileSync(join(state, "oldpwd"), serverDir);
      const { failures, skipped } = runDocument(document, state);
      // CI keeps a passing run quiet; locally the list says which blocks the test leaves to a reader.
      if (skipped.length > 0 && !process.env.CI)
        console.info(`not run, as ${document} says:\n  ${skipped.join("\n  ")}`);
      expect(failures, `server output:\n${serverLog.slice(-2000)}`).toEqual([]);
    });
  }
});
