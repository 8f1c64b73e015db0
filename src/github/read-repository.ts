import type { ProbotOctokit } from "probot";

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

/** Every changed path, including where renamed files came from (their old path is a change too). */
export const changedPathsOf = (files: readonly ChangedFile[]): string[] => [
  ...new Set(files.flatMap((file) => (file.previousPath ? [file.path, file.previousPath] : [file.path]))),
];

export type Tree = {
  paths: string[];
  blobs: Map<string, string>;
  sizes: Map<string, number>;
  truncated: boolean;
};

/** All file paths at a commit, in one request (the recursive tree). */
export const readTree = async (
  octokit: Octokit,
  { owner, repo, sha }: RepoRef & { sha: string },
): Promise<Tree> => {
  const { data } = await octokit.rest.git.getTree({ owner, repo, tree_sha: sha, recursive: "1" });
  const blobs = new Map<string, string>();
  const sizes = new Map<string, number>();
  for (const entry of data.tree) {
    if (entry.type !== "blob" || !entry.path || !entry.sha) continue;
    blobs.set(entry.path, entry.sha);
    if (entry.size !== undefined) sizes.set(entry.path, entry.size);
  }
  return { paths: [...blobs.keys()], blobs, sizes, truncated: data.truncated };
};

/**
 * Files per GraphQL request: one `object(expression:)` alias each, up to FILES_PER_QUERY files or
 * BYTES_PER_QUERY bytes when the sizes are known (from the tree). Octokit's throttling spaces
 * GraphQL requests a second apart, so fewer, fuller requests matter for a cold base.
 */
export const FILES_PER_QUERY = 100;
export const MAX_FILES_PER_QUERY = 500;
export const BYTES_PER_QUERY = 2_000_000;

/** Groups paths into GraphQL batches: by count, or by size when every size is known. */
export const batchPaths = (paths: readonly string[], sizes?: ReadonlyMap<string, number>): string[][] => {
  const batches: string[][] = [];
  let batch: string[] = [];
  let bytes = 0;
  for (const path of paths) {
    const size = sizes?.get(path);
    const limit = size === undefined ? FILES_PER_QUERY : MAX_FILES_PER_QUERY;
    if (batch.length > 0 && (batch.length >= limit || bytes + (size ?? 0) > BYTES_PER_QUERY)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(path);
    bytes += size ?? 0;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
};

type BlobResult = { text: string | null; isTruncated: boolean; isBinary: boolean | null } | null;

const quote = (value: string): string => JSON.stringify(value);

/**
 * The contents of many files at one commit: one GraphQL request per batch (`object(expression:
 * "sha:path")`), where REST would take one request per file. Files GraphQL truncates are fetched
 * as git blobs; missing and binary files are left out.
 */
export const readFiles = async (
  octokit: Octokit,
  {
    owner,
    repo,
    sha,
    paths,
    blobs,
    sizes,
  }: RepoRef & {
    sha: string;
    paths: readonly string[];
    blobs?: Map<string, string>;
    sizes?: ReadonlyMap<string, number>;
  },
): Promise<Map<string, string>> => {
  const contents = new Map<string, string>();
  for (const batch of batchPaths([...new Set(paths)], sizes)) {
    const fields = batch
      .map(
        (path, i) =>
          `f${i}: object(expression: ${quote(`${sha}:${path}`)}) { ... on Blob { text isTruncated isBinary } }`,
      )
      .join("\n    ");
    const query = `query($owner: String!, $repo: String!) {\n  repository(owner: $owner, name: $repo) {\n    ${fields}\n  }\n}`;
    const result = await octokit.graphql<{ repository: Record<string, BlobResult> }>(query, { owner, repo });
    for (const [i, path] of batch.entries()) {
      const blob = result.repository[`f${i}`];
      if (!blob || blob.isBinary) continue;
      if (blob.isTruncated || blob.text === null) {
        const blobSha = blobs?.get(path);
        if (blobSha) contents.set(path, await readBlob(octokit, { owner, repo, blobSha }));
        continue;
      }
      contents.set(path, blob.text);
    }
  }
  return contents;
};

const readBlob = async (octokit: Octokit, { owner, repo, blobSha }: RepoRef & { blobSha: string }) => {
  const { data } = await octokit.rest.git.getBlob({ owner, repo, file_sha: blobSha });
  return Buffer.from(data.content, data.encoding === "base64" ? "base64" : "utf8").toString("utf8");
};
