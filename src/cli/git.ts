import { execFileSync, spawnSync } from "node:child_process";
import { HEADER_BYTES, headerOnly } from "../core/dbt/seed-header.ts";
import { CovenantError } from "../core/errors.ts";
import {
  decodePlanned,
  followLinks,
  linkBlobsNeeded,
  planReads,
  type ReadFiles,
  type TreeEntry,
} from "../core/files/repository-files.ts";

/**
 * Reads revisions straight from the object database: no checkout, no working tree touched. Paths
 * only ever travel NUL-separated (`-z`) and contents are fetched by object id, so no file name,
 * newlines included, can make git answer for another file.
 */
export type GitReader = {
  /** The top of the working tree: every path is relative to it, wherever the command ran. */
  root: string;
  resolve: (rev: string) => string;
  /** Whether `rev` names a commit here (never throws). */
  has: (rev: string) => boolean;
  /** True in a shallow clone (only the last commits fetched, as CI checkouts usually are). */
  isShallow: () => boolean;
  /** Remotes and local branches, for messages about a missing revision. */
  revisionContext: () => RevisionContext;
  /** `origin/<branch>` that refs/remotes/origin/HEAD points at (set by `git clone`), if any. */
  originHead: () => string | undefined;
  /** Their merge base; `names` (as the user wrote them) go into the error when there is none. */
  mergeBase: (a: string, b: string, names?: readonly [string, string]) => string;
  /** Every file (and submodule) of a commit, with its mode, object id and size. */
  listTree: (commit: string) => Map<string, TreeEntry>;
  changedPaths: (base: string, head: string) => string[];
  /** The text of each path through `entryOf`; what cannot be read is listed with the reason. */
  readFiles: (paths: readonly string[], entryOf: (path: string) => TreeEntry | undefined) => ReadFiles;
};

const MAX_BUFFER = 1024 * 1024 * 1024;

export const GITHUB_ACTIONS_HINT =
  "in GitHub Actions, fetch the whole history: actions/checkout with `fetch-depth: 0`";

/** What a repository has that a message about a missing revision can point at. */
export type RevisionContext = { shallow: boolean; remotes: readonly string[]; branches: readonly string[] };

/**
 * What to run when a revision is missing: a remote branch (`origin/main`) or a branch name is
 * fetched from its remote (in a shallow clone with enough history to find the merge base); without
 * such a remote, the branches the repository does have.
 */
export const fetchHints = (rev: string, { shallow, remotes, branches }: RevisionContext): string[] => {
  const slash = rev.indexOf("/");
  const remote = slash > 0 && remotes.includes(rev.slice(0, slash)) ? rev.slice(0, slash) : undefined;
  const looksLikeBranch = /^[A-Za-z0-9._][A-Za-z0-9._/-]*$/.test(rev) && !/^[0-9a-f]{7,40}$/.test(rev);
  const local =
    branches.length > 0
      ? [`branches here: ${branches.slice(0, 10).join(", ")}${branches.length > 10 ? ", …" : ""}`]
      : [];
  const fallback = remotes.includes("origin") ? "origin" : remotes[0];
  if (!looksLikeBranch || (!remote && fallback === undefined)) {
    const noRemote = /^origin\//.test(rev) && remotes.length === 0 ? ["this repository has no remote"] : [];
    return [...noRemote, ...local, ...(shallow ? [GITHUB_ACTIONS_HINT] : [])];
  }
  const name = remote ?? (fallback as string);
  const branch = remote ? rev.slice(slash + 1) : rev;
  const then = remote ? "" : `, then compare with ${name}/${branch}: covenant check --base ${name}/${branch}`;
  // The explicit destination also works in a single-branch clone, whose refspec covers one branch.
  const refspec = `${branch}:refs/remotes/${name}/${branch}`;
  return [
    shallow
      ? `fetch it with some history: git fetch --depth=1000 ${name} ${refspec} (or all of it: git fetch --unshallow ${name} ${refspec})${then}`
      : `fetch it: git fetch ${name} ${refspec}${then}`,
    ...(shallow ? [GITHUB_ACTIONS_HINT] : local),
  ];
};

export const openGitRepo = (dir: string): GitReader => {
  const run = (cwd: string, args: string[], input?: string): Buffer => {
    try {
      return execFileSync("git", ["-C", cwd, ...args], {
        maxBuffer: MAX_BUFFER,
        stdio: ["pipe", "pipe", "pipe"],
        ...(input === undefined ? {} : { input }),
      });
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
      throw new CovenantError(
        "invalid_input",
        `git ${args[0]} failed in ${cwd}: ${stderr || (error as Error).message}`,
      );
    }
  };
  let root: string;
  try {
    root = run(dir, ["rev-parse", "--show-toplevel"]).toString().replace(/\n$/, "");
  } catch {
    throw new CovenantError(
      "invalid_input",
      `${dir} is not a git repository (nor inside one): use --repo DIR`,
    );
  }
  const git = (args: string[], input?: string) => run(root, args, input);
  const lines = (args: string[]): string[] => {
    try {
      return git(args).toString().split("\n").filter(Boolean);
    } catch {
      return [];
    }
  };
  const revisionContext = (): RevisionContext => ({
    shallow: isShallow(),
    remotes: lines(["remote"]),
    branches: lines(["for-each-ref", "--format=%(refname:short)", "refs/heads"]),
  });
  let shallow: boolean | undefined;
  const isShallow = (): boolean => {
    shallow ??= git(["rev-parse", "--is-shallow-repository"]).toString().trim() === "true";
    return shallow;
  };

  const readBlobs = (oids: readonly string[]): Map<string, Buffer> => {
    const blobs = new Map<string, Buffer>();
    const unique = [...new Set(oids)];
    if (unique.length === 0) return blobs;
    const out = git(["cat-file", "--batch"], unique.map((oid) => `${oid}\n`).join(""));
    let offset = 0;
    for (const oid of unique) {
      const headerEnd = out.indexOf(10, offset);
      if (headerEnd < 0) break;
      const [id, type, size] = out.subarray(offset, headerEnd).toString().split(" ");
      offset = headerEnd + 1;
      if (type === "missing" || size === undefined) continue;
      if (id !== oid) throw new CovenantError("internal", `git cat-file answered ${id} for ${oid}`);
      blobs.set(oid, out.subarray(offset, offset + Number(size)));
      offset += Number(size) + 1;
    }
    return blobs;
  };

  /**
   * The first bytes of a blob, for a file of which only the header is read (a seed's CSV): git
   * is stopped once HEADER_BYTES are out, so a large seed is never held whole.
   */
  const readHead = (oid: string): Buffer | undefined => {
    const out = spawnSync("git", ["-C", root, "cat-file", "blob", oid], {
      maxBuffer: HEADER_BYTES + 1,
      stdio: ["ignore", "pipe", "ignore"],
    });
    const stopped = (out.error as NodeJS.ErrnoException | undefined)?.code === "ENOBUFS";
    if (!stopped && out.status !== 0) return undefined;
    return out.stdout.subarray(0, HEADER_BYTES + 1);
  };

  return {
    root,
    resolve: (rev) => {
      try {
        return git(["rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{commit}`])
          .toString()
          .trim();
      } catch {
        throw new CovenantError(
          "invalid_input",
          `unknown revision "${rev}" in ${root}${isShallow() ? ", a shallow clone (only its last commits were fetched)" : ""}`,
          fetchHints(rev, revisionContext()).map((message) => ({ message })),
        );
      }
    },
    has: (rev) => {
      try {
        git(["rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{commit}`]);
        return true;
      } catch {
        return false;
      }
    },
    isShallow,
    revisionContext,
    originHead: () => {
      try {
        const ref = git(["symbolic-ref", "--quiet", "refs/remotes/origin/HEAD"]).toString().trim();
        return ref.startsWith("refs/remotes/") ? ref.slice("refs/remotes/".length) : undefined;
      } catch {
        return undefined;
      }
    },
    mergeBase: (a, b, names) => {
      const shown = (sha: string, name: string | undefined) =>
        name && name !== sha ? `${name} (${sha.slice(0, 12)})` : sha.slice(0, 12);
      const pair = `${shown(a, names?.[0])} and ${shown(b, names?.[1])}`;
      try {
        return git(["merge-base", a, b]).toString().trim();
      } catch {
        if (isShallow())
          throw new CovenantError(
            "invalid_input",
            `${pair} have no common ancestor in the history this shallow clone holds, so where the change left the base is unknown`,
            [
              {
                message:
                  "fetch more history: git fetch --deepen=1000 origin (or all of it: git fetch --unshallow origin)",
              },
              { message: GITHUB_ACTIONS_HINT },
            ],
          );
        throw new CovenantError(
          "invalid_input",
          `${pair} have no common ancestor: a pull request between them cannot be formed`,
        );
      }
    },
    listTree: (commit) => {
      const entries = new Map<string, TreeEntry>();
      for (const record of git(["ls-tree", "-r", "-l", "-z", "--full-tree", commit]).toString().split("\0")) {
        const tab = record.indexOf("\t");
        if (tab < 0) continue;
        const [mode = "", type = "", oid = "", size = "-"] = record.slice(0, tab).split(/ +/);
        entries.set(record.slice(tab + 1), {
          mode,
          type,
          oid,
          ...(size === "-" ? {} : { size: Number(size) }),
        });
      }
      return entries;
    },
    changedPaths: (base, head) =>
      git(["diff", "--name-only", "-z", "--no-renames", "--no-ext-diff", base, head])
        .toString()
        .split("\0")
        .filter(Boolean),
    readFiles: (paths, entryOf) => {
      const plan = planReads(paths, entryOf);
      const linkText = new Map<string, string>();
      for (let needed = linkBlobsNeeded(plan, linkText, entryOf); needed.length > 0; ) {
        const blobs = readBlobs(needed);
        for (const oid of needed) linkText.set(oid, blobs.get(oid)?.toString("utf8") ?? "");
        needed = linkBlobsNeeded(plan, linkText, entryOf);
      }
      followLinks(plan, linkText, entryOf);
      const heads = new Map<string, Buffer | undefined>();
      for (const [path, oid] of plan.blobs) if (headerOnly(path)) heads.set(oid, readHead(oid));
      const whole = [...plan.blobs].filter(([path]) => !headerOnly(path)).map(([, oid]) => oid);
      const blobs = readBlobs(whole);
      return decodePlanned(plan, (oid) => blobs.get(oid) ?? heads.get(oid));
    },
  };
};
