import type { Conclusion } from "../core/model/violation.ts";
import type { CheckRunOutput } from "../core/report/render-check-run.ts";
import type { Octokit } from "./read-repository.ts";

export const CHECK_NAME = "Covenant";
/** GitHub takes at most 50 annotations per check-run request; more are appended by further updates. */
export const ANNOTATIONS_PER_REQUEST = 50;
const MAX_SUMMARY = 65_000;

type RepoRef = { owner: string; repo: string };

/** Covenant's latest check run on the commit, or null. */
const findCheckRun = async (
  octokit: Octokit,
  { owner, repo, headSha }: RepoRef & { headSha: string },
): Promise<number | null> => {
  const { data } = await octokit.rest.checks.listForRef({
    owner,
    repo,
    ref: headSha,
    check_name: CHECK_NAME,
    filter: "latest",
    per_page: 1,
  });
  return data.check_runs[0]?.id ?? null;
};

/**
 * Creates the check run in progress, or puts an existing one (same head SHA) back in progress.
 * `retry`: an earlier attempt may have created the run and died before recording its id (its
 * instance was killed): look for it on the commit first, so the PR keeps one check run. Only
 * retries pay for that request.
 */
export const startCheckRun = async (
  octokit: Octokit,
  {
    owner,
    repo,
    headSha,
    checkRunId: known,
    retry = false,
  }: RepoRef & { headSha: string; checkRunId: number | null; retry?: boolean },
): Promise<number> => {
  const started_at = new Date().toISOString();
  const checkRunId = known === null && retry ? await findCheckRun(octokit, { owner, repo, headSha }) : known;
  if (checkRunId !== null) {
    await octokit.rest.checks.update({
      owner,
      repo,
      check_run_id: checkRunId,
      status: "in_progress",
      started_at,
    });
    return checkRunId;
  }
  const { data } = await octokit.rest.checks.create({
    owner,
    repo,
    name: CHECK_NAME,
    head_sha: headSha,
    status: "in_progress",
    started_at,
  });
  return data.id;
};

/** Creates the check run completed, in one request when its annotations fit in one batch. */
const createCompletedCheckRun = async (
  octokit: Octokit,
  {
    owner,
    repo,
    headSha,
    startedAt,
    conclusion,
    output,
  }: RepoRef & { headSha: string; startedAt: string; conclusion: Conclusion; output: CheckRunOutput },
): Promise<number> => {
  const [first = [], ...rest] = annotationBatches(output);
  const text = { title: output.title, summary: clip(output.summary) };
  const { data } = await octokit.rest.checks.create({
    owner,
    repo,
    name: CHECK_NAME,
    head_sha: headSha,
    status: "completed",
    conclusion,
    started_at: startedAt,
    completed_at: new Date().toISOString(),
    output: { ...text, annotations: first },
  });
  // GitHub appends the annotations of each update to the run's.
  for (const batch of rest) {
    await octokit.rest.checks.update({
      owner,
      repo,
      check_run_id: data.id,
      output: { ...text, annotations: batch },
    });
  }
  return data.id;
};

export type PendingCheckRun = {
  /** Completes the run with the result (creating it completed if it was never shown); returns its id. */
  complete: (result: { conclusion: Conclusion; output: CheckRunOutput }) => Promise<number>;
  /** The analysis will be retried later: nothing is shown from here on. */
  cancel: () => void;
};

/**
 * The check run of one analysis. A fast analysis (most of them: the base is cached) creates its run
 * completed, one request instead of "in progress" and then "completed"; one that takes longer than
 * `progressAfterMs` shows it in progress meanwhile, and 0 shows it at once. `onShown` records the
 * id of a run shown in progress, so that a retry completes that run instead of opening another.
 * GitHub spaces an installation's writes (secondary rate limits), so a write saved is throughput.
 */
export const openCheckRun = async (
  octokit: Octokit,
  {
    owner,
    repo,
    headSha,
    checkRunId: known,
    retry = false,
    progressAfterMs,
    onShown,
  }: RepoRef & {
    headSha: string;
    /** The run already on this head SHA (a re-run), or null. */
    checkRunId: number | null;
    /** A retried job: an earlier attempt may have created the run without recording it (see startCheckRun). */
    retry?: boolean;
    progressAfterMs: number;
    onShown: (checkRunId: number) => Promise<unknown>;
  },
): Promise<PendingCheckRun> => {
  const startedAt = new Date().toISOString();
  const checkRunId = known === null && retry ? await findCheckRun(octokit, { owner, repo, headSha }) : known;
  let shown: Promise<number> | undefined;
  const show = () => {
    shown = startCheckRun(octokit, { owner, repo, headSha, checkRunId }).then(async (id) => {
      await onShown(id);
      return id;
    });
    return shown;
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (progressAfterMs <= 0) await show();
  else {
    timer = setTimeout(() => {
      // Showing progress is a courtesy: if it fails, the result is still published at the end.
      show().catch(() => {});
    }, progressAfterMs);
    timer.unref();
  }
  return {
    complete: async ({ conclusion, output }) => {
      clearTimeout(timer);
      const id = shown ? await shown.catch(() => checkRunId) : checkRunId;
      if (id === null)
        return createCompletedCheckRun(octokit, { owner, repo, headSha, startedAt, conclusion, output });
      await completeCheckRun(octokit, { owner, repo, checkRunId: id, conclusion, output });
      return id;
    },
    cancel: () => clearTimeout(timer),
  };
};

const annotationBatches = (output: CheckRunOutput): CheckRunOutput["annotations"][] => {
  const batches: CheckRunOutput["annotations"][] = [];
  for (let i = 0; i < output.annotations.length; i += ANNOTATIONS_PER_REQUEST) {
    batches.push(output.annotations.slice(i, i + ANNOTATIONS_PER_REQUEST));
  }
  return batches;
};

const clip = (text: string): string =>
  text.length <= MAX_SUMMARY
    ? text
    : `${text.slice(0, MAX_SUMMARY)}\n\n… (cut: the full report is in the API)`;

/** Completes the check run, sending every annotation in batches of 50. */
export const completeCheckRun = async (
  octokit: Octokit,
  {
    owner,
    repo,
    checkRunId,
    conclusion,
    output,
  }: RepoRef & { checkRunId: number; conclusion: Conclusion; output: CheckRunOutput },
): Promise<void> => {
  const batches = annotationBatches(output);
  const text = { title: output.title, summary: clip(output.summary) };
  for (const batch of batches.slice(0, -1)) {
    await octokit.rest.checks.update({
      owner,
      repo,
      check_run_id: checkRunId,
      output: { ...text, annotations: batch },
    });
  }
  await octokit.rest.checks.update({
    owner,
    repo,
    check_run_id: checkRunId,
    status: "completed",
    conclusion,
    completed_at: new Date().toISOString(),
    output: { ...text, annotations: batches.at(-1) ?? [] },
  });
};
