import type { Conclusion } from "../core/model/violation.ts";
import type { CheckRunOutput } from "../core/report/render-check-run.ts";
import type { Octokit } from "./read-repository.ts";

export const CHECK_NAME = "Covenant";
/** GitHub takes at most 50 annotations per check-run request; more are appended by further updates. */
export const ANNOTATIONS_PER_REQUEST = 50;
const MAX_SUMMARY = 65_000;

type RepoRef = { owner: string; repo: string };

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
  let checkRunId = known;
  if (checkRunId === null && retry) {
    const { data } = await octokit.rest.checks.listForRef({
      owner,
      repo,
      ref: headSha,
      check_name: CHECK_NAME,
      filter: "latest",
      per_page: 1,
    });
    checkRunId = data.check_runs[0]?.id ?? null;
  }
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
  const batches: CheckRunOutput["annotations"][] = [];
  for (let i = 0; i < output.annotations.length; i += ANNOTATIONS_PER_REQUEST) {
    batches.push(output.annotations.slice(i, i + ANNOTATIONS_PER_REQUEST));
  }
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
