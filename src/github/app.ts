import type { ApplicationFunction, Context } from "probot";
import { isDeliveryHandled, recordDelivery } from "../db/github-deliveries.ts";
import { onCheckRunRerequested, onCheckSuite } from "./handlers/checks.ts";
import type { HandlerDeps } from "./handlers/deps.ts";
import { onInstallation, onInstallationRepositories } from "./handlers/installation.ts";
import { onPullRequestChanged, onPullRequestClosed } from "./handlers/pull-request.ts";
import { onPush } from "./handlers/push.ts";
import { onIssueComment, onReviewSubmitted } from "./handlers/waivers.ts";

/**
 * A redelivered webhook (same delivery id) is acknowledged without doing anything again. The
 * delivery is recorded after the handler succeeded, so a failed one is redone on redelivery;
 * handlers are idempotent for the window in between.
 */
const once =
  <C extends Context>(deps: HandlerDeps, handler: (context: C) => Promise<void>) =>
  async (context: C) => {
    if (await isDeliveryHandled(deps.db, context.id)) {
      context.log.info({ deliveryId: context.id }, "redelivery ignored");
      return;
    }
    await handler(context);
    await recordDelivery(deps.db, { id: context.id, event: context.name });
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
    app.on("installation", once(deps, onInstallation(deps)));
    app.on("installation_repositories", once(deps, onInstallationRepositories(deps)));
  };
