import type { ApplicationFunction, Context } from "probot";
import { claimDelivery, releaseDelivery } from "../db/github-deliveries.ts";
import { onCheckRunRerequested, onCheckSuite } from "./handlers/checks.ts";
import type { HandlerDeps } from "./handlers/deps.ts";
import { onInstallation, onInstallationRepositories } from "./handlers/installation.ts";
import { onMergeGroupChecksRequested } from "./handlers/merge-group.ts";
import { onPullRequestChanged, onPullRequestClosed } from "./handlers/pull-request.ts";
import { onPush } from "./handlers/push.ts";
import { onIssueComment, onReviewSubmitted } from "./handlers/waivers.ts";

/**
 * A redelivered webhook (same delivery id) is acknowledged without doing anything again. If the
 * handler fails, the delivery is released so that GitHub's redelivery is handled; handlers are
 * idempotent (jobs are keyed) for the window in between.
 */
const once =
  <C extends Context>(deps: HandlerDeps, handler: (context: C) => Promise<void>) =>
  async (context: C) => {
    if (!(await claimDelivery(deps.db, { id: context.id, event: context.name }))) {
      context.log.info({ deliveryId: context.id }, "redelivery ignored");
      return;
    }
    try {
      await handler(context);
    } catch (error) {
      await releaseDelivery(deps.db, context.id).catch(() => {});
      throw error;
    }
  };

/** Every webhook Covenant handles, registered in one place. Handlers only record and enqueue. */
export const covenantApp =
  (deps: HandlerDeps): ApplicationFunction =>
  (app) => {
    app.on(
      [
        "pull_request.opened",
        "pull_request.synchronize",
        "pull_request.reopened",
        "pull_request.ready_for_review",
      ],
      once(deps, onPullRequestChanged(deps)),
    );
    app.on("pull_request.closed", once(deps, onPullRequestClosed(deps)));
    app.on(["check_suite.requested", "check_suite.rerequested"], once(deps, onCheckSuite(deps)));
    app.on("check_run.rerequested", once(deps, onCheckRunRerequested(deps)));
    app.on("issue_comment.created", once(deps, onIssueComment(deps)));
    app.on("pull_request_review.submitted", once(deps, onReviewSubmitted(deps)));
    app.on("push", once(deps, onPush(deps)));
    // merge_group.destroyed needs nothing: a check run on a discarded group's head is harmless.
    app.on("merge_group.checks_requested", once(deps, onMergeGroupChecksRequested(deps)));
    app.on("installation", once(deps, onInstallation(deps)));
    app.on("installation_repositories", once(deps, onInstallationRepositories(deps)));
  };
