import { execFileSync } from "node:child_process";
import { CovenantError } from "../core/errors.ts";

/** Reads revisions straight from the object database: no checkout, no working tree touched. */
export type GitReader = {
  resolve: (rev: string) => string;
  listFiles: (commit: string) => string[];
  changedPaths: (base: string, head: string) => string[];
  readFiles: (commit: string, paths: readonly string[]) => Map<string, string>;
};

const MAX_BUFFER = 1024 * 1024 * 512;

export const openGitRepo = (dir: string): GitReader => {
  const git = (args: string[], input?: string): Buffer => {
    try {
      return execFileSync("git", ["-C", dir, ...args], {
        maxBuffer: MAX_BUFFER,
        stdio: ["pipe", "pipe", "pipe"],
        ...(input === undefined ? {} : { input }),
      });
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
      throw new CovenantError(
        "invalid_input",
        `git ${args[0]} failed in ${dir}: ${stderr || (error as Error).message}`,
      );
    }
  };
  try {
    git(["rev-parse", "--git-dir"]);
  } catch {
    throw new CovenantError("invalid_input", `${dir} is not a git repository (use --repo DIR)`);
  }
  return {
    resolve: (rev) => {
      try {
        return git(["rev-parse", "--verify", "--quiet", `${rev}^{commit}`])
          .toString()
          .trim();
      } catch {
        throw new CovenantError("invalid_input", `unknown revision "${rev}" in ${dir}`);
      }
    },
    listFiles: (commit) =>
      git(["ls-tree", "-r", "-z", "--name-only", commit]).toString().split("\0").filter(Boolean),
    changedPaths: (base, head) =>
      git(["diff", "--name-only", "-z", "--no-renames", base, head]).toString().split("\0").filter(Boolean),
    readFiles: (commit, paths) => {
      const files = new Map<string, string>();
      if (paths.length === 0) return files;
      const out = git(["cat-file", "--batch"], paths.map((p) => `${commit}:${p}\n`).join(""));
      let offset = 0;
      for (const path of paths) {
        const headerEnd = out.indexOf(10, offset);
        if (headerEnd < 0) break;
        const header = out.subarray(offset, headerEnd).toString();
        offset = headerEnd + 1;
        if (header.endsWith(" missing")) continue;
        const size = Number(header.split(" ")[2]);
        files.set(path, out.subarray(offset, offset + size).toString("utf8"));
        offset += size + 1;
      }
      return files;
    },
  };
};
