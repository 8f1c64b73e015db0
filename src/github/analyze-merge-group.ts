import type { Waiver } from "../core/enforce/judge.ts";
import type { Verdict } from "../core/model/violation.ts";
import { renderCheckRun } from "../core/report/render-check-run.ts";
import { getCheckRecord, saveCheckRecord } from "../db/github-checks.ts";
import {
  findInstallationByGitHubId,
  upsertGitHubInstallation,
  upsertGitHubRepositories,
} from "../db/github-repositories.ts";
import { listPullRequestWaivers } from "../db/github-violations.ts";
import { getRepoPolicy } from "../db/policies.ts";
import { type AppServices, isTransient, reportAnalysisFailure, runAnalysis } from "./analyze-pull-request.ts";
import { openCheckRun } from "./publish-check.ts";
import { mergeGroupPullNumbers, readMergeGroupChanges } from "./read-merge-group.ts";

export type MergeGroupJobPayload = {
  installationId: number;
  owner: string;
  repo: string;
  repoId: number;
  private: boolean;
  defaultBranch: string;
  accountType: string;
  headSha: string;
  headRef: string;
  baseSha: string;
  headCommitMessage: string;
  deliveryId: string;
};

/**
 * A merge queue asks for checks on a merge group: its head (the base branch with the queued PRs
 * applied) is analysed against its base, like a PR, and the check run is completed on the group's
 * head SHA. The waivers given on the group's PRs hold; nothing is commented or stored, since each
 * PR's own check already did that.
 */
export const analyzeMergeGroup = async (
  services: AppServices,
  payload: MergeGroupJobPayload,
  { lastAttempt }: { lastAttempt: boolean },
): Promise<void> => {
  const { db } = services;
  const { owner, repo, headSha, baseSha, deliveryId } = payload;
  const fullName = `${owner}/${repo}`;
  const octokit = await services.octokitFor(payload.installationId);
  const installation =
    (await findInstallationByGitHubId(db, payload.installationId)) ??
    (await upsertGitHubInstallation(db, {
      githubId: payload.installationId,
      login: owner,
      type: payload.accountType,
    }));
  const [repository] = await upsertGitHubRepositories(db, installation.id, [
    { githubId: payload.repoId, fullName, private: payload.private, defaultBranch: payload.defaultBranch },
  ]);
  const repositoryId = repository!.id;
  const record = await getCheckRecord(db, repositoryId, headSha);
  const checkRun = await openCheckRun(octokit, {
    owner,
    repo,
    headSha,
    checkRunId: record?.checkRunId ? Number(record.checkRunId) : null,
    progressAfterMs: services.checkRunProgressAfterMs,
    onShown: (checkRunId) => saveCheckRecord(db, { repositoryId, headSha, checkRunId }),
  });
  // From here on the check run is ours: whatever fails, it must end completed with the reason.
  let policy: Awaited<ReturnType<typeof getRepoPolicy>> | undefined;
  let verdict: Verdict | undefined;
  let pulls: number[] = [];
  try {
    policy = await getRepoPolicy(db, installation.id, fullName);
    const { files, messages } = await readMergeGroupChanges(octokit, { owner, repo, baseSha, headSha });
    pulls = mergeGroupPullNumbers({
      headRef: payload.headRef,
      messages: [payload.headCommitMessage, ...messages],
    });
    const waivers: Waiver[] = [];
    for (const prNumber of pulls) {
      waivers.push(
        ...(await listPullRequestWaivers(db, {
          installationId: installation.id,
          repoFullName: fullName,
          prNumber,
        })),
      );
    }
    verdict = await runAnalysis({
      octokit,
      db,
      analyze: services.analyze,
      plan: services.plan,
      owner,
      repo,
      repositoryId,
      installationId: installation.id,
      policy,
      baseSha,
      headSha,
      files,
      waivers,
    });
    const output = renderCheckRun(verdict);
    const names = pulls.map((n) => `#${n}`).join(", ");
    const checkRunId = await checkRun.complete({
      conclusion: verdict.conclusion,
      output: {
        ...output,
        summary: `Merge group \`${payload.headRef}\`${names ? ` (pull requests ${names}; their waivers apply)` : ""}.\n\n${output.summary}`,
      },
    });
    await saveCheckRecord(db, { repositoryId, headSha, checkRunId });
  } catch (error) {
    if ((isTransient(error) && !lastAttempt) || services.signal?.aborted) {
      checkRun.cancel();
      throw error;
    }
    await reportAnalysisFailure(services, {
      error,
      context: { deliveryId, repo: fullName, mergeGroup: payload.headRef, headSha },
      checkRun,
      repositoryId,
      headSha,
      installationId: installation.id,
      policy,
      verdict,
      subject: "merge group",
    });
    return;
  }
  await saveCheckRecord(db, { repositoryId, headSha, conclusion: verdict.conclusion });
};
