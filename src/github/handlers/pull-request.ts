import type { Context } from "probot";
import { enqueueAnalysis, type HandlerDeps, JOB_KINDS } from "./deps.ts";

type PrEvent =
  | "pull_request.opened"
  | "pull_request.synchronize"
  | "pull_request.reopened"
  | "pull_request.ready_for_review";

/** A PR opened or pushed to: analyse its head (once per head SHA). */
export const onPullRequestChanged = (deps: HandlerDeps) => async (context: Context<PrEvent>) => {
  const { pull_request: pr, repository, installation } = context.payload;
  if (!installation) return;
  await enqueueAnalysis(
    deps,
    {
      installationId: installation.id,
      owner: repository.owner.login,
      repo: repository.name,
      pullNumber: pr.number,
      deliveryId: context.id,
    },
    // Reopening or leaving draft asks for a fresh look even at a SHA analysed before.
    {
      headSha: pr.head.sha,
      rerun: context.payload.action === "reopened" || context.payload.action === "ready_for_review",
    },
  );
};

/** A merged PR: stamp its violations and publish its contract files as new versions. */
export const onPullRequestClosed = (deps: HandlerDeps) => async (context: Context<"pull_request.closed">) => {
  const { pull_request: pr, repository, installation } = context.payload;
  if (!installation || !pr.merged || !pr.merge_commit_sha) return;
  await deps.queue.enqueue({
    kind: JOB_KINDS.merged,
    githubInstallationId: installation.id,
    dedupeKey: `merged:${installation.id}:${repository.full_name}#${pr.number}`,
    payload: {
      installationId: installation.id,
      owner: repository.owner.login,
      repo: repository.name,
      repoId: repository.id,
      private: repository.private,
      defaultBranch: repository.default_branch,
      pullNumber: pr.number,
      mergeCommitSha: pr.merge_commit_sha,
      mergedAt: pr.merged_at ?? new Date().toISOString(),
      deliveryId: context.id,
    },
  });
};
