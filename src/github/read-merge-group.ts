import type { ChangedFile, Octokit } from "./read-repository.ts";
import { readTree, treeChanges } from "./read-repository.ts";

type RepoRef = { owner: string; repo: string };

/** GitHub's compare API lists at most 300 files; a longer list is cut. */
export const MAX_COMPARE_FILES = 300;

/**
 * The pull requests a merge group carries. GitHub names the last one in the group's branch
 * (`gh-readonly-queue/<base>/pr-<N>-<sha>`); the others are in its commits' messages, as merge
 * commits ("Merge pull request #N from …") or squashed commits ("Title (#N)"). Only these forms
 * count: a "fixes #N" in a message must not bring another PR's waivers into the group.
 */
export const mergeGroupPullNumbers = ({
  headRef,
  messages,
}: {
  headRef: string;
  messages: readonly string[];
}): number[] => {
  const numbers = new Set<number>();
  const fromRef = /\/pr-(\d+)-[0-9a-f]+$/.exec(headRef);
  if (fromRef) numbers.add(Number(fromRef[1]));
  for (const message of messages) {
    const subject = message.split("\n", 1)[0] ?? "";
    const merge = /^Merge pull request #(\d+) from /.exec(subject);
    const squash = /\(#(\d+)\)\s*$/.exec(subject);
    for (const match of [merge, squash]) if (match) numbers.add(Number(match[1]));
  }
  return [...numbers].sort((a, b) => a - b);
};

/**
 * What changed between a merge group's base and head, and the messages of its commits. When
 * GitHub cuts the file list, the two trees are compared instead (blob ids tell what changed).
 */
export const readMergeGroupChanges = async (
  octokit: Octokit,
  { owner, repo, baseSha, headSha }: RepoRef & { baseSha: string; headSha: string },
): Promise<{ files: ChangedFile[]; messages: string[] }> => {
  const { data } = await octokit.rest.repos.compareCommitsWithBasehead({
    owner,
    repo,
    basehead: `${baseSha}...${headSha}`,
  });
  const messages = data.commits.map((c) => c.commit.message);
  const listed = data.files ?? [];
  if (listed.length < MAX_COMPARE_FILES) {
    return {
      files: listed.map((file) => ({
        path: file.filename,
        status: file.status,
        ...(file.previous_filename ? { previousPath: file.previous_filename } : {}),
      })),
      messages,
    };
  }
  const [base, head] = await Promise.all([
    readTree(octokit, { owner, repo, sha: baseSha }),
    readTree(octokit, { owner, repo, sha: headSha }),
  ]);
  return { files: treeChanges(base, head), messages };
};
