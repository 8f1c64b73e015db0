import type { Octokit } from "./read-repository.ts";

export { PR_COMMENT_MARKER as COMMENT_MARKER } from "../core/report/render-pr-comment.ts";

import { PR_COMMENT_MARKER as COMMENT_MARKER } from "../core/report/render-pr-comment.ts";

type Target = { owner: string; repo: string; issueNumber: number };

const isNotFound = (error: unknown): boolean =>
  typeof error === "object" && error !== null && (error as { status?: unknown }).status === 404;

/** The App's comment on the PR, found by its hidden marker (when our record of it was lost). */
export const findStickyComment = async (octokit: Octokit, { owner, repo, issueNumber }: Target) => {
  for await (const { data } of octokit.paginate.iterator(octokit.rest.issues.listComments, {
    owner,
    repo,
    issue_number: issueNumber,
    per_page: 100,
  })) {
    const found = data.find((comment) => comment.body?.includes(COMMENT_MARKER));
    if (found) return found.id;
  }
  return null;
};

/**
 * Updates the one sticky comment in place, or creates it. `knownId` (from our records) saves
 * listing the comments; without it the marker is searched (unless `searchIfUnknown` is false: a
 * PR seen for the first time). `createIfMissing: false` is for
 * "all clear": no comment is opened just to say nothing is wrong.
 */
export const upsertStickyComment = async (
  octokit: Octokit,
  target: Target & {
    body: string;
    knownId: number | null;
    searchIfUnknown?: boolean;
    createIfMissing: boolean;
  },
): Promise<number | null> => {
  const { owner, repo, issueNumber, body } = target;
  let id =
    target.knownId ?? (target.searchIfUnknown === false ? null : await findStickyComment(octokit, target));
  if (id !== null) {
    try {
      await octokit.rest.issues.updateComment({ owner, repo, comment_id: id, body });
      return id;
    } catch (error) {
      if (!isNotFound(error)) throw error;
      id = null; // deleted by someone: open a new one if there is something to say
    }
  }
  if (!target.createIfMissing) return null;
  const { data } = await octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body });
  return data.id;
};
