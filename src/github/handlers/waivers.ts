import type { Context } from "probot";
import { parseWaiveCommand } from "../waivers.ts";
import { enqueueAnalysis, type HandlerDeps } from "./deps.ts";

/** `/covenant waive <violation-id> <reason>` on a PR: checked against the owners in the analysis job. */
export const onIssueComment = (deps: HandlerDeps) => async (context: Context<"issue_comment.created">) => {
  const { issue, comment, repository, installation } = context.payload;
  if (!installation || !issue.pull_request || comment.user?.type === "Bot" || !comment.user) return;
  const command = parseWaiveCommand(comment.body);
  if (!command) return;
  await enqueueAnalysis(
    deps,
    {
      installationId: installation.id,
      owner: repository.owner.login,
      repo: repository.name,
      pullNumber: issue.number,
      deliveryId: context.id,
      waiver: { kind: "comment", by: comment.user.login, commentId: comment.id, ...command },
    },
    // Each command is its own job: two waivers in a row must not merge into one.
    { headSha: "", rerun: true, key: `waive:${context.id}` },
  );
};

/** An owner's approving review waives the violations of the contracts they own, for this PR. */
export const onReviewSubmitted =
  (deps: HandlerDeps) => async (context: Context<"pull_request_review.submitted">) => {
    const { review, pull_request: pr, repository, installation } = context.payload;
    if (!installation || review.state.toLowerCase() !== "approved" || !review.user) return;
    await enqueueAnalysis(
      deps,
      {
        installationId: installation.id,
        owner: repository.owner.login,
        repo: repository.name,
        pullNumber: pr.number,
        deliveryId: context.id,
        waiver: {
          kind: "review",
          by: review.user.login,
          reason: review.body?.trim() || "approved the pull request",
        },
      },
      { headSha: pr.head.sha, rerun: true, key: `review:${context.id}` },
    );
  };
