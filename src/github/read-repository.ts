import type { ProbotOctokit } from "probot";
import { headerOnly } from "../core/dbt/seed-header.ts";
import { CovenantError } from "../core/errors.ts";
import {
  decodePlanned,
  followLinks,
  keepHeaderText,
  linkBlobsNeeded,
  MAX_FILE_BYTES,
  planReads,
  type ReadFiles,
  type TreeEntry,
  tooLargeFile,
} from "../core/files/repository-files.ts";

export type Octokit = ProbotOctokit;
type RepoRef = { owner: string; repo: string };

export type ChangedFile = { path: string; status: string; previousPath?: string };

/** GitHub lists at most 3,000 files of a pull request, 100 per page. */
export const MAX_PR_FILES = 3000;

export const listChangedFiles = async (
  octokit: Octokit,
  { owner, repo, pullNumber }: RepoRef & { pullNumber: number },
): Promise<ChangedFile[]> => {
  const files = await octokit.paginate(octokit.rest.pulls.listFiles, {
    owner,
    repo,
    pull_number: pullNumber,
    per_page: 100,
  });
  return files.map((file) => ({
    path: file.filename,
    status: file.status,
    ...(file.previous_filename ? { previousPath: file.previous_filename } : {}),
  }));
};

/**
 * The files a PR changes, from the trees of its merge base and its head: for a PR over GitHub's
 * MAX_PR_FILES, whose file list GitHub cuts. One compare request finds the merge base (the diff
 * GitHub shows a PR is from there, not from the base branch's tip), then both trees are read.
 * Renames come out as a removal and an addition, which the analysis reads the same way.
 */
export const treeChangedFiles = async (
  octokit: Octokit,
  { owner, repo, baseSha, headSha }: RepoRef & { baseSha: string; headSha: string },
): Promise<{ files: ChangedFile[]; headTree: Tree; mergeBase: string }> => {
  const { data } = await octokit.rest.repos.compareCommitsWithBasehead({
    owner,
    repo,
    basehead: `${baseSha}...${headSha}`,
    per_page: 1,
  });
  const mergeBase = data.merge_base_commit.sha;
  const [before, headTree] = await Promise.all([
    readTree(octokit, { owner, repo, sha: mergeBase }),
    readTree(octokit, { owner, repo, sha: headSha }),
  ]);
  return { files: treeChanges(before, headTree), headTree, mergeBase };
};

/**
 * What changed from one tree to another, file by file (blob ids, modes and submodule commits tell):
 * where GitHub cuts a list of changed files. A rename is a removal and an addition.
 */
export const treeChanges = (before: Tree, after: Tree): ChangedFile[] => {
  const files: ChangedFile[] = [];
  for (const [path, entry] of after.entries) {
    const old = before.entries.get(path);
    if (!old) files.push({ path, status: "added" });
    else if (old.oid !== entry.oid || old.mode !== entry.mode || old.type !== entry.type)
      files.push({ path, status: "modified" });
  }
  for (const path of before.entries.keys())
    if (!after.entries.has(path)) files.push({ path, status: "removed" });
  return files;
};

/** Every changed path, including where renamed files came from (their old path is a change too). */
export const changedPathsOf = (files: readonly ChangedFile[]): string[] => [
  ...new Set(files.flatMap((file) => (file.previousPath ? [file.path, file.previousPath] : [file.path]))),
];

export type Tree = {
  /** Files and submodules: a submodule where Covenant looks for files must not read as absent. */
  paths: string[];
  entries: Map<string, TreeEntry>;
  blobs: Map<string, string>;
  sizes: Map<string, number>;
};

/** Requests one tree may take when GitHub truncates the recursive listing (a very large repository). */
export const MAX_TREE_REQUESTS = 2000;

type TreeItem = { path?: string; mode?: string; type?: string; sha?: string; size?: number };

/**
 * All file paths at a commit: one request (the recursive tree), unless GitHub truncates it (over
 * 100,000 entries or 7 MB). Then the tree is walked directory by directory, each subtree read
 * recursively again, so the App never judges a partial repository; past MAX_TREE_REQUESTS it fails
 * rather than guess.
 */
export const readTree = async (
  octokit: Octokit,
  { owner, repo, sha }: RepoRef & { sha: string },
): Promise<Tree> => {
  const entries = new Map<string, TreeEntry>();
  let requests = 0;
  const get = async (treeSha: string, recursive: boolean) => {
    if (++requests > MAX_TREE_REQUESTS)
      throw new CovenantError(
        "unprocessable",
        `The tree of ${owner}/${repo} at ${sha.slice(0, 12)} is too large to read completely (over ${MAX_TREE_REQUESTS} requests); Covenant does not judge a partial repository.`,
      );
    const { data } = await octokit.rest.git.getTree({
      owner,
      repo,
      tree_sha: treeSha,
      ...(recursive ? { recursive: "1" } : {}),
    });
    return data as { tree: TreeItem[]; truncated: boolean };
  };
  const add = (prefix: string, item: TreeItem) => {
    if (!item.path || !item.sha || (item.type !== "blob" && item.type !== "commit")) return;
    entries.set(`${prefix}${item.path}`, {
      type: item.type,
      mode: item.mode ?? "100644",
      oid: item.sha,
      ...(item.size === undefined ? {} : { size: item.size }),
    });
  };
  const walk = async (treeSha: string, prefix: string): Promise<void> => {
    const whole = await get(treeSha, true);
    if (!whole.truncated) {
      for (const item of whole.tree) add(prefix, item);
      return;
    }
    const level = await get(treeSha, false);
    for (const item of level.tree) {
      if (item.type === "tree" && item.sha && item.path) await walk(item.sha, `${prefix}${item.path}/`);
      else add(prefix, item);
    }
  };
  await walk(sha, "");
  const blobs = new Map<string, string>();
  const sizes = new Map<string, number>();
  for (const [path, entry] of entries) {
    if (entry.type !== "blob") continue;
    blobs.set(path, entry.oid);
    if (entry.size !== undefined) sizes.set(path, entry.size);
  }
  return { paths: [...entries.keys()], entries, blobs, sizes };
};

/**
 * Files per GraphQL request: one `object(expression:)` alias each, up to MAX_FILES_PER_QUERY files
 * and, as far as the sizes are known (from the tree), BYTES_PER_QUERY bytes. Every request counts
 * against the installation's quota and Octokit spaces GraphQL requests a second apart, so all the
 * files a PR needs (its changed files at the head, the others at the base: sizes unknown) come in
 * one request, up to the 3,000 files GitHub lists of a PR. GitHub sets no limit on aliases; what it
 * limits is a request's time and resources. Should it fail a request that large (a timeout, a
 * resource limit), its files are read again 500 at a time, and a 500 that fails 100 at a time.
 */
export const FILES_PER_QUERY = 100;
const FALLBACK_FILES_PER_QUERY = 500;
/**
 * A seed's CSV is read for its header only: GraphQL's text (whole or truncated) gives it; a seed
 * whose text GraphQL withholds is fetched as a blob up to this size, else its columns are unknown.
 */
const HEADER_BLOB_BYTES = 1024 * 1024;
export const MAX_FILES_PER_QUERY = MAX_PR_FILES;
export const BYTES_PER_QUERY = 2_000_000;

/** Groups keys (paths, or `sha:path` expressions) into GraphQL batches: by count, and by size as far as known. */
export const batchPaths = (
  paths: readonly string[],
  sizes?: ReadonlyMap<string, number>,
  maxFiles = MAX_FILES_PER_QUERY,
): string[][] => {
  const batches: string[][] = [];
  let batch: string[] = [];
  let bytes = 0;
  for (const path of paths) {
    const size = sizes?.get(path) ?? 0;
    if (batch.length > 0 && (batch.length >= maxFiles || bytes + size > BYTES_PER_QUERY)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(path);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
};

/** GitHub gave up on a request's size: a 5xx, or a GraphQL timeout or resource limit. */
const tooLargeForGitHub = (error: unknown): boolean => {
  const { status, errors } = error as {
    status?: number;
    errors?: Array<{ type?: string; message?: string }>;
  };
  if (typeof status === "number" && status >= 500) return true;
  return (errors ?? []).some((e) =>
    /timeout|timed ?out|something went wrong|resource_limits|max_node_limit/i.test(
      `${e.type ?? ""} ${e.message ?? ""}`,
    ),
  );
};

type BlobResult = {
  __typename?: string;
  oid?: string;
  byteSize?: number;
  text?: string | null;
  isTruncated?: boolean;
  isBinary?: boolean | null;
} | null;

const quote = (value: string): string => JSON.stringify(value);

/** Files to read at one commit; with the commit's tree `entries`, links are followed and submodules known. */
export type CommitRead = {
  sha: string;
  paths: readonly string[];
  entries?: ReadonlyMap<string, TreeEntry>;
};

/**
 * The contents of many files at one commit: one GraphQL request per batch (`object(expression:
 * "sha:path")`), where REST would take one request per file. GraphQL gives UTF-8 text only: files
 * it truncates, calls binary or had to patch (U+FFFD) are fetched as git blobs and decoded as the
 * CLI decodes them. With the tree's `entries`, symbolic links are followed and submodules known;
 * what cannot be read is listed with the reason, never left out silently.
 */
export const readFiles = async (
  octokit: Octokit,
  { owner, repo, ...read }: RepoRef & CommitRead,
): Promise<ReadFiles> => (await readFilesAt(octokit, { owner, repo, reads: [read] }))[0]!;

/**
 * `readFiles` at several commits at once (a PR's changed files at its head, the others at its
 * base): the expressions name their commit, so all of them share the same GraphQL batches.
 */
export const readFilesAt = async (
  octokit: Octokit,
  { owner, repo, reads }: RepoRef & { reads: readonly CommitRead[] },
): Promise<ReadFiles[]> => {
  const results: ReadFiles[] = reads.map(() => ({ files: new Map(), unreadable: [], findings: [] }));
  const fromBlobs = reads.map(() => new Map<string, string>());
  /** `sha:path` expression -> which read and path it answers (one expression may answer several reads). */
  const wanted = new Map<string, Array<{ index: number; path: string }>>();
  // A seed's CSV counts for what is kept of it: GraphQL truncates the text of a large blob.
  const sizes = new Map<string, number>();
  for (const [index, { sha, paths, entries }] of reads.entries()) {
    const result = results[index]!;
    let direct = [...new Set(paths)];
    if (entries) {
      const entryOf = (path: string) => entries.get(path);
      const plan = planReads(direct, entryOf);
      const linkText = new Map<string, string>();
      for (let needed = linkBlobsNeeded(plan, linkText, entryOf); needed.length > 0; ) {
        for (const oid of needed)
          linkText.set(oid, (await readBlob(octokit, { owner, repo, blobSha: oid })).toString("utf8"));
        needed = linkBlobsNeeded(plan, linkText, entryOf);
      }
      const linked = new Set(plan.links.keys());
      followLinks(plan, linkText, entryOf);
      result.unreadable.push(...plan.unreadable);
      for (const [path, oid] of plan.blobs) if (linked.has(path)) fromBlobs[index]!.set(path, oid);
      direct = [...plan.blobs.keys()].filter((path) => !linked.has(path));
    }
    for (const path of direct) {
      const expression = `${sha}:${path}`;
      wanted.set(expression, [...(wanted.get(expression) ?? []), { index, path }]);
      const size = entries?.get(path)?.size;
      if (size !== undefined)
        sizes.set(expression, headerOnly(path) ? Math.min(size, HEADER_BLOB_BYTES) : size);
    }
  }
  const readBatch = async (batch: readonly string[]): Promise<Array<[string, BlobResult]>> => {
    const fields = batch
      .map(
        (expression, i) =>
          `f${i}: object(expression: ${quote(expression)}) { __typename ... on Blob { oid byteSize text isTruncated isBinary } }`,
      )
      .join("\n    ");
    const query = `query($owner: String!, $repo: String!) {\n  repository(owner: $owner, name: $repo) {\n    ${fields}\n  }\n}`;
    try {
      const answer = await octokit.graphql<{ repository: Record<string, BlobResult> }>(query, {
        owner,
        repo,
      });
      return batch.map((expression, i) => [expression, answer.repository[`f${i}`] ?? null]);
    } catch (error) {
      if (batch.length <= FILES_PER_QUERY || !tooLargeForGitHub(error)) throw error;
      const smaller: Array<[string, BlobResult]> = [];
      const size = batch.length > FALLBACK_FILES_PER_QUERY ? FALLBACK_FILES_PER_QUERY : FILES_PER_QUERY;
      for (const part of batchPaths(batch, sizes, size)) smaller.push(...(await readBatch(part)));
      return smaller;
    }
  };
  for (const batch of batchPaths([...wanted.keys()], sizes)) {
    for (const [expression, blob] of await readBatch(batch)) {
      for (const { index, path } of wanted.get(expression) ?? []) {
        const { sha, entries } = reads[index]!;
        const result = results[index]!;
        const oid = blob?.oid ?? entries?.get(path)?.oid;
        if (!blob) result.unreadable.push({ path, reason: `it does not exist at ${sha.slice(0, 12)}` });
        else if (blob.__typename !== undefined && blob.__typename !== "Blob")
          result.unreadable.push({
            path,
            reason: "it is not a file (a git submodule or a directory), so Covenant cannot read it",
          });
        else if (headerOnly(path) && typeof blob.text === "string" && !blob.isBinary)
          result.files.set(path, keepHeaderText(blob.text, !blob.isTruncated));
        else if (headerOnly(path) && (blob.byteSize ?? 0) > HEADER_BLOB_BYTES)
          // Fetching a large seed whole for its header is not worth its memory: columns unknown.
          result.files.set(path, "");
        else if (blob.byteSize !== undefined && blob.byteSize > MAX_FILE_BYTES)
          result.unreadable.push(tooLargeFile(path, blob.byteSize));
        else if (
          typeof blob.text === "string" &&
          !blob.isTruncated &&
          !blob.isBinary &&
          !blob.text.includes("\uFFFD")
        )
          result.files.set(path, blob.text);
        else if (oid) fromBlobs[index]!.set(path, oid);
        else result.unreadable.push({ path, reason: "GitHub did not return its content" });
      }
    }
  }
  const bytes = new Map<string, Uint8Array>();
  for (const [index, blobs] of fromBlobs.entries()) {
    if (blobs.size === 0) continue;
    for (const oid of new Set(blobs.values()))
      if (!bytes.has(oid)) bytes.set(oid, await readBlob(octokit, { owner, repo, blobSha: oid }));
    const decoded = decodePlanned({ blobs, links: new Map(), unreadable: [] }, (oid) => bytes.get(oid));
    const result = results[index]!;
    for (const [path, text] of decoded.files) result.files.set(path, text);
    result.unreadable.push(...decoded.unreadable);
    result.findings.push(...decoded.findings);
  }
  return results;
};

/** A git blob's bytes; the blob API serves files up to 100 MB, beyond Covenant's own limit. */
const readBlob = async (octokit: Octokit, { owner, repo, blobSha }: RepoRef & { blobSha: string }) => {
  const { data } = await octokit.rest.git.getBlob({ owner, repo, file_sha: blobSha });
  return Buffer.from(data.content, data.encoding === "base64" ? "base64" : "utf8");
};
