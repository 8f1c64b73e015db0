import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { Probot, ProbotOctokit } from "probot";
import { type Config, githubApiUrl } from "../config.ts";
import type { Db } from "../db/client.ts";
import { openDeliveryWriter } from "../db/delivery-writer.ts";
import { findInstallationStopReason } from "../db/installations.ts";
import { createAnalysisPool } from "../jobs/analysis-pool.ts";
import {
  createJobQueue,
  type JobContext,
  type JobHandler,
  type JobQueue,
  type JobQueueOptions,
} from "../jobs/job-queue.ts";
import { USER_AGENT } from "../version.ts";
import { analyzeMergeGroup, type MergeGroupJobPayload } from "./analyze-merge-group.ts";
import { type AnalyzeJobPayload, type AppServices, analyzePullRequest } from "./analyze-pull-request.ts";
import { covenantWebhooks } from "./app.ts";
import { JOB_KINDS } from "./handlers/deps.ts";
import type { Octokit } from "./read-repository.ts";
import {
  type MergedJobPayload,
  type PushJobPayload,
  recordMergedPullRequest,
  syncDefaultBranch,
} from "./sync-default-branch.ts";
import { createWebhookRoute, withoutEvent } from "./webhook-route.ts";

export const WEBHOOK_PATH = "/api/github/webhooks";

export type GitHubApp = {
  middleware: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  stop: () => Promise<void>;
  probot: Probot;
  queue: JobQueue;
  /** Handles a delivery whose signature and shape were checked (the webhook route's next step). */
  receive: (event: { id: string; name: string; payload: unknown }) => Promise<unknown>;
};

const privateKeyOf = (config: Config): string => {
  const key =
    config.PRIVATE_KEY ?? (config.PRIVATE_KEY_PATH ? readFileSync(config.PRIVATE_KEY_PATH, "utf8") : "");
  return key.replace(/\\n/g, "\n");
};

/**
 * `services` whose clients send every request with `signal`: once it is aborted, a request in
 * flight ends at once, none starts and none is retried.
 */
export const abortableServices = (services: AppServices, signal: AbortSignal): AppServices => ({
  ...services,
  signal,
  octokitFor: async (installationId) => {
    signal.throwIfAborted();
    const octokit = await services.octokitFor(installationId);
    octokit.hook.before("request", (options) => {
      signal.throwIfAborted();
      // The retry plugin retries an aborted request like a server error (three times, waiting 1, 4
      // and 9 s): once aborted, the request allows no retry. Read when the request fails, so any
      // other failure is retried as usual.
      options.request = {
        ...options.request,
        signal,
        get retries() {
          return signal.aborted ? 0 : undefined;
        },
      };
    });
    // A request waiting out a retry's delay (or the throttling plugin's queue) is not in flight:
    // the caller is answered at once, and the request it leaves behind is not sent again.
    octokit.hook.wrap("request", (request, options) => {
      let onAbort = () => {};
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
      });
      return Promise.race([request(options), aborted]).finally(() =>
        signal.removeEventListener("abort", onAbort),
      );
    });
    return octokit;
  },
});

/**
 * The GitHub App: Probot with Covenant's handlers behind Probot's webhook middleware (signature
 * checked, acknowledged once the job is queued), the job workers, and the analysis threads that
 * keep the CPU-bound analysis off the thread that acknowledges webhooks.
 * `Octokit` and `queue` are for tests (retry and throttling off, short polls).
 */
export const createGitHubApp = async ({
  config,
  db,
  logger,
  Octokit = ProbotOctokit,
  queue: queueOptions = {},
  checkRunProgressAfterMs = config.CHECK_RUN_PROGRESS_AFTER_MS,
}: {
  config: Config;
  db: Db;
  logger: Logger;
  Octokit?: typeof ProbotOctokit;
  queue?: Partial<Omit<JobQueueOptions, "db" | "handlers" | "logger">>;
  /** An analysis running longer shows its check run in progress; a faster one creates it completed. */
  checkRunProgressAfterMs?: number;
}): Promise<GitHubApp> => {
  const probot = new Probot({
    appId: config.APP_ID,
    privateKey: privateKeyOf(config),
    secret: config.WEBHOOK_SECRET,
    baseUrl: githubApiUrl(config),
    // Probot logs whole events (payloads up to 25 MB) at debug and inside its errors: ids suffice.
    log: logger.child(
      {},
      {
        serializers: {
          err: withoutEvent,
          event: (event: { id?: string; name?: string }) => ({ id: event?.id, name: event?.name }),
        },
      },
    ),
    // GitHub asks API clients to name themselves; Octokit appends its own name and version.
    Octokit: Octokit.defaults({ userAgent: USER_AGENT }),
  });
  const analysisPool = createAnalysisPool({ threads: config.ANALYSIS_THREADS, logger });
  const services: AppServices = {
    db,
    logger,
    octokitFor: async (installationId) => (await probot.auth(installationId)) as unknown as Octokit,
    analyze: analysisPool.run,
    plan: analysisPool.plan,
    checkRunProgressAfterMs,
  };
  // Jobs queued before a suspension or an uninstall do nothing (GitHub would refuse their tokens).
  // A job's GitHub requests carry its abort signal: a shutdown cuts them off, retries included.
  const unlessStopped =
    (handler: (services: AppServices, payload: unknown, job: JobContext) => Promise<void>): JobHandler =>
    async (payload, job) => {
      const githubId = (payload as { installationId: number }).installationId;
      const stopped = await findInstallationStopReason(db, { githubId });
      if (stopped) return logger.info({ jobId: job.id, kind: job.kind, installationId: githubId }, stopped);
      await handler(abortableServices(services, job.signal), payload, job);
    };
  // Acknowledgements write through a connection of their own, opened now rather than on the first
  // delivery: a burst of webhooks never waits for a connection behind the job workers' queries.
  const deliveries = openDeliveryWriter(db);
  const queue = createJobQueue({
    db,
    deliveries,
    logger,
    workers: config.JOB_WORKERS,
    leaseMs: config.JOB_LEASE_MS,
    maxAttempts: config.JOB_MAX_ATTEMPTS,
    shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
    ...queueOptions,
    handlers: {
      [JOB_KINDS.analyze]: unlessStopped((withSignal, payload, job) =>
        analyzePullRequest(withSignal, payload as AnalyzeJobPayload, job),
      ),
      [JOB_KINDS.mergeGroup]: unlessStopped((withSignal, payload, job) =>
        analyzeMergeGroup(withSignal, payload as MergeGroupJobPayload, job),
      ),
      [JOB_KINDS.merged]: unlessStopped((withSignal, payload) =>
        recordMergedPullRequest(withSignal, payload as MergedJobPayload),
      ),
      [JOB_KINDS.push]: unlessStopped((withSignal, payload) =>
        syncDefaultBranch(withSignal, payload as PushJobPayload),
      ),
    },
  });
  const webhooks = covenantWebhooks({ db, queue }, logger);
  const handle = createWebhookRoute({
    secret: config.WEBHOOK_SECRET ?? "",
    receive: webhooks.receive,
    logger,
  });
  queue.start();
  // A web-only instance (no workers) analyses nothing: it needs no analysis threads.
  if (config.JOB_WORKERS > 0) analysisPool.start();
  return {
    middleware: async (req, res) => {
      await queue.acknowledging(() => handle(req, res));
      return true;
    },
    stop: async () => {
      await queue.stop();
      await analysisPool.stop();
    },
    probot,
    queue,
    receive: webhooks.receive,
  };
};
