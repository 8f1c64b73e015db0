import type { Db } from "../../db/client.ts";
import type { EnqueueJobInput } from "../../db/jobs.ts";
import type { AnalyzeJobPayload } from "../analyze-pull-request.ts";

/**
 * What a handler may use. `queue.enqueue` only collects the delivery's jobs: they are written with
 * the delivery's record, in one statement, once the handler returns (see `app.ts`).
 */
export type HandlerDeps = { db: Db; queue: { enqueue: (input: EnqueueJobInput) => Promise<void> } };

export const JOB_KINDS = {
  analyze: "github.analyze",
  mergeGroup: "github.merge-group",
  merged: "github.merged",
  push: "github.push",
} as const;

/**
 * One analysis per repository + head SHA: the pull_request and check_suite events of one push,
 * and redeliveries, land on the same job. `rerun` asks for a fresh analysis of a SHA already done.
 */
export const enqueueAnalysis = (
  { queue }: HandlerDeps,
  payload: AnalyzeJobPayload,
  { headSha, rerun, key }: { headSha: string; rerun: boolean; key?: string },
) =>
  queue.enqueue({
    kind: JOB_KINDS.analyze,
    dedupeKey:
      key ??
      `analyze:${payload.installationId}:${payload.owner}/${payload.repo}#${payload.pullNumber}@${headSha}`,
    payload,
    rerun,
    githubInstallationId: payload.installationId,
  });
