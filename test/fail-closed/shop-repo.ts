import { execFile } from "node:child_process";
import { cpSync } from "node:fs";
import { resolve } from "node:path";
import { createGitRepo, type GitRepo, type RepoFiles } from "../helpers/git-repo.ts";

const BIN = resolve(import.meta.dirname, "../../bin/covenant.js");
const SHOP = resolve(import.meta.dirname, "../../examples/shop");

export type CheckJson = {
  conclusion: string;
  violations: Array<{
    rule: string;
    severity: string;
    contract: string;
    enforcement: string;
    dataset: string;
    file: string | null;
    line: number | null;
    message: string;
  }>;
  findings: Array<{ rule: string; severity: string; file: string; line: number; message: string }>;
};

export type CliRun = { code: number | null; stdout: string; stderr: string };

/** Runs the real CLI as a process (what a CI job runs). */
export const runCovenant = (args: string[], timeout = 120_000): Promise<CliRun> =>
  new Promise((done) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { encoding: "utf8", timeout, maxBuffer: 64 * 1024 * 1024 },
      (_error, stdout, stderr) => done({ code: child.exitCode, stdout, stderr }),
    );
  });

/**
 * The shop example (orders at BLOCK, customers at NOTIFY, PostgreSQL migrations) as a real git
 * repository; `pr` commits a change on top of it and `check` judges it like a pull request.
 */
export const shopRepo = () => {
  const repository: GitRepo = createGitRepo("covenant-fail-closed-");
  cpSync(SHOP, repository.dir, { recursive: true });
  const base = repository.commit({}, "shop");
  return {
    dir: repository.dir,
    remove: repository.remove,
    pr: (files: RepoFiles): string => {
      repository.git("checkout", "-q", base);
      return repository.commit(files, "pr");
    },
    check: (head: string, format = "json") =>
      runCovenant(["check", "--repo", repository.dir, "--base", base, "--head", head, "--format", format]),
  };
};
