import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** Files to write into a working tree (text as UTF-8, or raw bytes); `null` deletes the file. */
export type RepoFiles = Record<string, string | Uint8Array | null>;

export type GitRepo = {
  dir: string;
  git: (...args: string[]) => string;
  /** Writes the files, commits everything (an empty commit is allowed) and returns the new SHA. */
  commit: (files: RepoFiles, message: string) => string;
  remove: () => void;
};

const IDENTITY = {
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@t",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@t",
};

/** A real git repository in a fresh temporary folder, on branch main, for end-to-end CLI tests. */
export const createGitRepo = (prefix = "covenant-repo-"): GitRepo => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const git = (...args: string[]) =>
    execFileSync("git", ["-C", dir, ...args], { env: { ...process.env, ...IDENTITY } })
      .toString()
      .trim();
  git("init", "-q", "-b", "main");
  return {
    dir,
    git,
    commit: (files, message) => {
      for (const [path, content] of Object.entries(files)) {
        const full = join(dir, path);
        if (content === null) rmSync(full, { force: true });
        else {
          mkdirSync(dirname(full), { recursive: true });
          writeFileSync(full, content);
        }
      }
      git("add", "-A");
      git("commit", "-q", "--allow-empty", "-m", message);
      return git("rev-parse", "HEAD");
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
};
