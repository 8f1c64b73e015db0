import type { Db } from "../../db/client.ts";
import type { JobQueue } from "../../jobs/job-queue.ts";
import type { AnalyzeJobPayload } from "../analyze-pull-request.ts";

export type HandlerDeps = { db: Db; queue: JobQueue };

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
  });
