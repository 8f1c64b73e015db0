// A bare `covenant check` in a repository does what a pull request would: HEAD against the branch
// it would merge into; a shallow CI clone is told how to fetch what is missing; colours follow
// the terminal, NO_COLOR and FORCE_COLOR. All through the real CLI on real git repositories.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGitRepo, type GitRepo } from "./helpers/git-repo.ts";
import { runCli } from "./helpers/run-cli.ts";

const BIN = resolve(import.meta.dirname, "../bin/covenant.js");

const CONTRACT = `name: orders
version: 1.0.0
owner: "@acme/data-platform"
enforcement: BLOCK
dataset: { type: table, name: public.orders }
schema:
  columns:
    - { name: id, type: bigint, required: true }
    - { name: email, type: string }
`;

/** The environment of a plain terminal session: nothing that changes colours or the base. */
const cleanEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const key of ["NO_COLOR", "FORCE_COLOR", "GITHUB_ACTIONS", "GITHUB_BASE_REF", "TERM"])
    if (!(key in extra)) delete env[key];
  return env;
};

const covenant = (args: string[], cwd: string, extra: Record<string, string> = {}) => {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: "utf8",
    timeout: 60_000,
    env: cleanEnv(extra),
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
};

const ESC = "\u001b[";

let origin: GitRepo;
let worktree: string;
const cleanup: string[] = [];

beforeAll(() => {
  origin = createGitRepo("covenant-defaults-");
  origin.commit(
    {
      "db/migrations/0001_create_orders.up.sql":
        "CREATE TABLE orders (id bigint PRIMARY KEY, email varchar(255));\n",
      "contracts/orders.yaml": CONTRACT,
    },
    "base",
  );
  origin.git("switch", "-q", "-c", "drop-email");
  origin.commit(
    { "db/migrations/0002_drop_email.up.sql": "ALTER TABLE orders DROP COLUMN email;\n" },
    "drop",
  );
  origin.git("switch", "-q", "main");
  // The branch checked out beside main, as a developer has it: local main, no remote.
  const parent = mkdtempSync(join(tmpdir(), "covenant-worktree-"));
  cleanup.push(parent);
  worktree = join(parent, "drop-email");
  origin.git("worktree", "add", "-q", worktree, "drop-email");
});

afterAll(() => {
  origin?.remove();
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

const clone = (...options: string[]): string => {
  const parent = mkdtempSync(join(tmpdir(), "covenant-clone-"));
  cleanup.push(parent);
  const dir = join(parent, "clone");
  execFileSync("git", ["clone", "-q", ...options, `file://${origin.dir}`, dir]);
  return dir;
};

describe("a bare `covenant check` compares HEAD with the branch it would merge into", {
  timeout: 120_000,
}, () => {
  it("uses main when there is no remote, and says so", () => {
    const { code, stdout, stderr } = covenant(["check"], worktree);
    expect(stderr).toContain("comparing HEAD with main");
    expect(stdout).toContain("column-removed");
    expect(code).toBe(1);
    // JSON stays clean: the choice is said in text output, or on stderr with --verbose.
    const json = covenant(["check", "--format", "json", "--verbose"], worktree);
    expect(JSON.parse(json.stdout).violations.map((v: { rule: string }) => v.rule)).toEqual([
      "column-removed",
    ]);
    expect(json.stderr).toContain("comparing HEAD with main");
  });

  it("a misspelt base is answered with the branches there are, not a fetch from a remote that does not exist", async () => {
    const { code, stderr } = await runCli({}, ["check", "mian...HEAD", "--repo", worktree]);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown revision "mian"');
    expect(stderr).toContain("branches here: drop-email, main");
    expect(stderr).not.toContain("git fetch");
  });

  it("uses origin/HEAD in a clone, and --head still picks the change", () => {
    const dir = clone();
    const { code, stdout, stderr } = covenant(["check", "--head", "origin/drop-email"], dir);
    expect(stderr).toContain(
      "comparing origin/drop-email with origin/main (the default branch, from origin/HEAD",
    );
    expect(stdout).toContain("column-removed");
    expect(code).toBe(1);
  });

  it("on the default branch itself says there is nothing to judge", () => {
    const dir = clone();
    const { code, stderr } = covenant(["check"], dir);
    expect(code).toBe(0);
    expect(stderr).toContain("HEAD is already part of origin/main");
  });

  it("in a shallow clone without the base, names the git fetch and the Actions setting", () => {
    const dir = clone("--depth", "1", "--branch", "drop-email");
    const bare = covenant(["check"], dir, { GITHUB_ACTIONS: "true" });
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain("shallow clone");
    expect(bare.stderr).toContain("git fetch --depth=1000 origin main:refs/remotes/origin/main");
    expect(bare.stderr).toContain("fetch-depth: 0");
    const named = covenant(["check", "--base", "origin/main", "--format", "json"], dir);
    expect(named.code).toBe(2);
    const error = JSON.parse(named.stdout).error;
    expect(error.message).toContain('unknown revision "origin/main"');
    expect(error.details.join("\n")).toContain("git fetch --depth=1000 origin main:refs/remotes/origin/main");
    // Following the advice gets the base, but the branch's own history is still one commit deep.
    execFileSync("git", [
      "-C",
      dir,
      "fetch",
      "-q",
      "--depth=1000",
      "origin",
      "main:refs/remotes/origin/main",
    ]);
    const noAncestor = covenant(["check", "--base", "origin/main"], dir);
    expect(noAncestor.code).toBe(2);
    expect(noAncestor.stderr).toContain("origin/main");
    expect(noAncestor.stderr).toContain("git fetch --deepen=");
    execFileSync("git", ["-C", dir, "fetch", "-q", "--unshallow", "origin"]);
    const judged = covenant(["check", "--base", "origin/main"], dir);
    expect(judged.stdout).toContain("column-removed");
    expect(judged.code).toBe(1);
  });
});

describe("colours: only on a terminal, NO_COLOR turns them off, FORCE_COLOR on", { timeout: 120_000 }, () => {
  const check = ["check", "main...drop-email"];

  it("a pipe gets no colour unless FORCE_COLOR asks (FORCE_COLOR=0 does not)", async () => {
    const piped = async (env: Record<string, string>) =>
      (await runCli(env, [...check, "--repo", origin.dir])).stdout;
    expect(await piped({})).not.toContain(ESC);
    expect(await piped({ FORCE_COLOR: "1" })).toContain(ESC);
    expect(await piped({ FORCE_COLOR: "1", NO_COLOR: "1" })).toContain(ESC);
    expect(await piped({ FORCE_COLOR: "0" })).not.toContain(ESC);
    expect(await piped({ FORCE_COLOR: "false" })).not.toContain(ESC);
    expect(await piped({ FORCE_COLOR: "" })).not.toContain(ESC);
  });

  it("a terminal gets colour, unless NO_COLOR is set", () => {
    // `script` runs the command on a pseudo-terminal, as a user's shell would.
    const onTerminal = (extra: Record<string, string>) =>
      spawnSync("script", ["-qec", `${process.execPath} ${BIN} check main...drop-email`, "/dev/null"], {
        cwd: origin.dir,
        encoding: "utf8",
        timeout: 60_000,
        env: cleanEnv({ TERM: "xterm", ...extra }),
      }).stdout;
    const plain = onTerminal({});
    expect(plain).toContain("column-removed");
    expect(plain).toContain(ESC);
    expect(onTerminal({ NO_COLOR: "1" })).not.toContain(ESC);
  });
});
