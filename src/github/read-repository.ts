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

export type Tree = { paths: string[]; blobs: Map<string, string>; truncated: boolean };

/** All file paths at a commit, in one request (the recursive tree). */
export const readTree = async (
  octokit: Octokit,
  { owner, repo, sha }: RepoRef & { sha: string },
): Promise<Tree> => {
  const { data } = await octokit.rest.git.getTree({ owner, repo, tree_sha: sha, recursive: "1" });
  const blobs = new Map<string, string>();
  for (const entry of data.tree) {
    if (entry.type === "blob" && entry.path && entry.sha) blobs.set(entry.path, entry.sha);
  }
  return { paths: [...blobs.keys()], blobs, truncated: data.truncated };
};

/** Files per GraphQL request: one `object(expression:)` alias each. */
export const FILES_PER_QUERY = 100;

type BlobResult = { text: string | null; isTruncated: boolean; isBinary: boolean | null } | null;

const quote = (value: string): string => JSON.stringify(value);

/**
 * The contents of many files at one commit: one GraphQL request per 100 files (`object(expression:
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
  }: RepoRef & { sha: string; paths: readonly string[]; blobs?: Map<string, string> },
): Promise<Map<string, string>> => {
  const contents = new Map<string, string>();
  const unique = [...new Set(paths)];
  for (let start = 0; start < unique.length; start += FILES_PER_QUERY) {
    const batch = unique.slice(start, start + FILES_PER_QUERY);
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
