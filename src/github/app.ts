import type { ApplicationFunction, Context } from "probot";
import type { Db } from "../db/client.ts";
import { claimDelivery, releaseDelivery } from "../db/github-deliveries.ts";
import type { EnqueueJobInput } from "../db/jobs.ts";
import type { JobQueue } from "../jobs/job-queue.ts";
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
 * idempotent (jobs are keyed) for the window in between. For handlers that write to the database
 * themselves (installation events).
 */
const once =
  <C extends Context>(deps: AppDeps, handler: (context: C) => Promise<void>) =>
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

/**
 * For handlers that only queue jobs (nearly all): the handler reads the payload and names its
 * jobs, then the delivery is recorded and its jobs queued in one statement, so acknowledging a
 * delivery costs one database round trip. A redelivery queues nothing; a failure records nothing,
 * so GitHub's redelivery is handled.
 */
const enqueueOnce =
  <C extends Context>(deps: AppDeps, handler: (deps: HandlerDeps) => (context: C) => Promise<void>) =>
  async (context: C) => {
    const jobs: EnqueueJobInput[] = [];
    await handler({ db: deps.db, queue: { enqueue: async (job) => void jobs.push(job) } })(context);
    return recordJobs(deps, { id: context.id, event: context.name, jobs }, context.log);
  };

/**
 * Apart from the handler's context: nothing here holds the parsed payload (a few hundred objects)
 * while the delivery's batch is written, so a burst's payloads die young instead of being copied
 * by every garbage collection that runs during the commit.
 */
const recordJobs = async (
  deps: AppDeps,
  delivery: { id: string; event: string; jobs: EnqueueJobInput[] },
  log: Pick<Log, "info">,
) => {
  const { fresh } = await deps.queue.recordDelivery(delivery);
  if (!fresh) log.info({ deliveryId: delivery.id }, "redelivery ignored");
};

type AppDeps = { db: Db; queue: Pick<JobQueue, "recordDelivery"> };

/** Installation handlers queue nothing; their writes are their own. */
const handlerDeps = ({ db }: AppDeps): HandlerDeps => ({
  db,
  queue: {
    enqueue: async () => {
      throw new Error("installation handlers queue no jobs");
    },
  },
});

type Handler = (context: never) => Promise<void>;
type Registrar = { on: (events: string | string[], handler: Handler) => void };

/** Every webhook Covenant handles, registered in one place. Handlers only record and enqueue. */
const registerHandlers = (deps: AppDeps, app: Registrar) => {
  app.on(
    [
      "pull_request.opened",
      "pull_request.synchronize",
      "pull_request.reopened",
      "pull_request.ready_for_review",
    ],
    enqueueOnce(deps, onPullRequestChanged),
  );
  app.on("pull_request.closed", enqueueOnce(deps, onPullRequestClosed));
  app.on(["check_suite.requested", "check_suite.rerequested"], enqueueOnce(deps, onCheckSuite));
  app.on("check_run.rerequested", enqueueOnce(deps, onCheckRunRerequested));
  app.on("issue_comment.created", enqueueOnce(deps, onIssueComment));
  app.on("pull_request_review.submitted", enqueueOnce(deps, onReviewSubmitted));
  app.on("push", enqueueOnce(deps, onPush));
  // merge_group.destroyed needs nothing: a check run on a discarded group's head is harmless.
  app.on("merge_group.checks_requested", enqueueOnce(deps, onMergeGroupChecksRequested));
  app.on("installation", once(deps, onInstallation(handlerDeps(deps))));
  app.on("installation_repositories", once(deps, onInstallationRepositories(handlerDeps(deps))));
};

/** The handlers as a Probot app (what the manifest test reads the subscribed events from). */
export const covenantApp =
  (deps: AppDeps): ApplicationFunction =>
  (app) =>
    registerHandlers(deps, app as unknown as Registrar);

type Log = {
  info: (obj: object, msg: string) => void;
  warn: (obj: object, msg: string) => void;
  child: (bindings: object) => Log;
};

/** `log.child(bindings)`, made only when something is logged (most deliveries log nothing). */
const lazyChild = (log: Log, bindings: object): Log => {
  let child: Log | undefined;
  const made = () => (child ??= log.child(bindings));
  return {
    info: (obj, msg) => made().info(obj, msg),
    warn: (obj, msg) => made().warn(obj, msg),
    child: (more) => made().child(more),
  };
};

/**
 * The same handlers behind a plain dispatcher, for the webhook route. Probot's own `receive`
 * builds an authenticated Octokit (with all its plugins) and a logger for every event; handlers
 * here never call GitHub, so a delivery costs only its routing and its one statement.
 */
export const covenantWebhooks = (deps: AppDeps, log: Log) => {
  const routes = new Map<string, Handler[]>();
  registerHandlers(deps, {
    on: (events, handler) => {
      for (const event of [events].flat()) routes.set(event, [...(routes.get(event) ?? []), handler]);
    },
  });
  return {
    // Not async: no frame of its own holds the payload while the handlers' writes are awaited.
    receive: ({ id, name, payload }: { id: string; name: string; payload: unknown }): Promise<unknown> => {
      const action = (payload as { action?: unknown }).action;
      const handlers = [
        ...(routes.get(name) ?? []),
        ...(typeof action === "string" ? (routes.get(`${name}.${action}`) ?? []) : []),
      ];
      if (handlers.length === 0) return Promise.resolve();
      const context = { id, name, payload, log: lazyChild(log, { name: "event", id }) };
      return Promise.all(handlers.map((handler) => handler(context as never)));
    },
  };
};
