import type { Context } from "probot";
import { type HandlerDeps, JOB_KINDS } from "./deps.ts";

/** A push to the default branch: refresh the cached base and the registry's contracts. */
export const onPush = (deps: HandlerDeps) => async (context: Context<"push">) => {
  const { ref, after, deleted, repository, installation, commits, head_commit, pusher } = context.payload;
  if (!installation || deleted || ref !== `refs/heads/${repository.default_branch}`) return;
  // GitHub lists at most 2,048 commits of a push; past that, every contract file is synced.
  const changedPaths =
    commits.length >= 2048
      ? null
      : [
          ...new Set(
            commits.flatMap((c) => [...(c.added ?? []), ...(c.modified ?? []), ...(c.removed ?? [])]),
          ),
        ];
  await deps.queue.enqueue({
    kind: JOB_KINDS.push,
    githubInstallationId: installation.id,
    dedupeKey: `push:${installation.id}:${repository.full_name}@${after}`,
    payload: {
      installationId: installation.id,
      owner: repository.owner?.login ?? repository.full_name.split("/")[0]!,
      repo: repository.name,
      repoId: repository.id,
      private: repository.private,
      defaultBranch: repository.default_branch,
      after,
      changedPaths,
      pushedAt: head_commit?.timestamp ?? new Date().toISOString(),
      // Pushes are ordered by arrival: a commit's own timestamp may be older (rebased, amended).
      receivedAt: new Date().toISOString(),
      pusher: pusher.name,
      deliveryId: context.id,
    },
  });
};
