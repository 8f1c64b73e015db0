import type { Logger } from "pino";
import type { AnalysisPlan, AnalysisResult, AnalyzeInput, PlanInput } from "../core/analyze.ts";
import { dbtProjectFiles } from "../core/dbt/discover-dbt-projects.ts";
import { judge, levelActions, type Waiver } from "../core/enforce/judge.ts";
import { type Contract, parseContract } from "../core/model/contract.ts";
import type { EnforcementLevel } from "../core/model/contract-levels.ts";
import type { Verdict, Violation } from "../core/model/violation.ts";
import { renderCheckRun } from "../core/report/render-check-run.ts";
import { renderPrComment } from "../core/report/render-pr-comment.ts";
import type { Db } from "../db/client.ts";
import {
  findPullRequestCommentId,
  getCheckRecord,
  hasPullRequestCheckRecords,
  saveCheckRecord,
} from "../db/github-checks.ts";
import { listRegisteredContracts, repositoryHasBlockingContracts } from "../db/github-contracts.ts";
import {
  findInstallationByGitHubId,
  upsertGitHubInstallation,
  upsertGitHubRepositories,
} from "../db/github-repositories.ts";
import { markDefaultBranchSnapshot } from "../db/github-snapshots.ts";
import {
  listPullRequestWaivers,
  pullRequestViolationKey,
  resolveFixedPullRequestViolations,
} from "../db/github-violations.ts";
import { getRepoPolicy } from "../db/policies.ts";
import { recordViolations } from "../db/violations.ts";
import { loadBase } from "./load-base.ts";
import { requestOwnerReviews } from "./owners.ts";
import { openCheckRun, type PendingCheckRun } from "./publish-check.ts";
import {
  type ChangedFile,
  changedPathsOf,
  listChangedFiles,
  MAX_PR_FILES,
  type Octokit,
  readFiles,
  readFilesAt,
  type Tree,
  treeChangedFiles,
} from "./read-repository.ts";
import { COMMENT_MARKER, upsertStickyComment } from "./sticky-comment.ts";
import { applyWaiverRequest, type WaiverRequest } from "./waivers.ts";

export type AnalyzeJobPayload = {
  installationId: number;
  owner: string;
  repo: string;
  pullNumber: number;
  deliveryId: string;
  waiver?: WaiverRequest;
};

export type AppServices = {
  db: Db;
  logger: Logger;
  octokitFor: (installationId: number) => Promise<Octokit>;
  /** `analyze()` off the main thread (the analysis pool), so webhooks are acknowledged meanwhile. */
  analyze: (input: AnalyzeInput) => Promise<AnalysisResult>;
  /** `planAnalysis()` off the main thread too: it reads every path of the repository. */
  plan: (input: PlanInput) => Promise<AnalysisPlan>;
  /** An analysis still running after this long shows its check run in progress (see `openCheckRun`). */
  checkRunProgressAfterMs: number;
  /**
   * Aborted when the instance shuts down mid-job (see `JobContext.signal`): the run stops without
   * completing its check run, which the job's rerun completes.
   */
  signal?: AbortSignal;
};

type PullRequest = Awaited<ReturnType<Octokit["rest"]["pulls"]["get"]>>["data"];

/** Head paths without reading the head tree: the base's paths with the PR's file changes applied. */
export const headPathsOf = (basePaths: readonly string[], files: readonly ChangedFile[]): string[] => {
  const paths = new Set(basePaths);
  for (const file of files) {
    if (file.previousPath) paths.delete(file.previousPath);
    if (file.status === "removed") paths.delete(file.path);
    else paths.add(file.path);
  }
  return [...paths];
};

/** GitHub outages and network errors are worth another attempt; a broken input is not. */
export const isTransient = (error: unknown): boolean => {
  const e = error as { status?: unknown; code?: unknown } | null;
  if (typeof e?.status === "number") return e.status >= 500 || e.status === 403 || e.status === 429;
  return (
    typeof e?.code === "string" && /^(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|UND_ERR_.*)$/.test(e.code)
  );
};

/**
 * The analysis job: check run in progress, read only what the PR needs (cached base), analyse,
 * store the violations, then publish check run, sticky comment and review requests. Analysis
 * errors complete the check run with the reason; GitHub outages are retried by the queue and only
 * the last attempt reports them.
 */
export const analyzePullRequest = async (
  services: AppServices,
  payload: AnalyzeJobPayload,
  {
    lastAttempt,
    attempt = 1,
    holdsLease = async () => true,
  }: { lastAttempt: boolean; attempt?: number; holdsLease?: () => Promise<boolean> },
): Promise<void> => {
  const { db, logger } = services;
  const { owner, repo, pullNumber, deliveryId } = payload;
  const octokit = await services.octokitFor(payload.installationId);
  const { data: pr } = await octokit.rest.pulls.get({ owner, repo, pull_number: pullNumber });
  if (pr.state !== "open") return;
  const installation =
    (await findInstallationByGitHubId(db, payload.installationId)) ??
    (await upsertGitHubInstallation(db, {
      githubId: payload.installationId,
      login: owner,
      type: pr.base.repo.owner.type,
    }));
  const [repository] = await upsertGitHubRepositories(db, installation.id, [
    {
      githubId: pr.base.repo.id,
      fullName: pr.base.repo.full_name,
      private: pr.base.repo.private,
      defaultBranch: pr.base.repo.default_branch,
    },
  ]);
  const repositoryId = repository!.id;
  const headSha = pr.head.sha;
  const record = await getCheckRecord(db, repositoryId, headSha);
  // A PR Covenant never looked at cannot carry its comment: no need to search for the marker.
  const seenBefore = await hasPullRequestCheckRecords(db, repositoryId, pullNumber);
  const checkRun = await openCheckRun(octokit, {
    owner,
    repo,
    headSha,
    checkRunId: record?.checkRunId ? Number(record.checkRunId) : null,
    retry: attempt > 1,
    progressAfterMs: services.checkRunProgressAfterMs,
    onShown: (checkRunId) => saveCheckRecord(db, { repositoryId, headSha, prNumber: pullNumber, checkRunId }),
  });
  // From here on the check run is ours: whatever fails, it must end completed with the reason.
  let policy: Policy | undefined;
  let verdict: Verdict | undefined;
  try {
    policy = await getRepoPolicy(db, installation.id, pr.base.repo.full_name);
    // GitHub lists at most 3,000 files of a PR: past that, the PR's changes come from the trees of
    // its merge base and head (listing 3,000 of them first would add nothing but 30 requests).
    const overCap = pr.changed_files > MAX_PR_FILES;
    const { files, headTree } = overCap
      ? await treeChangedFiles(octokit, { owner, repo, baseSha: pr.base.sha, headSha })
      : { files: await listChangedFiles(octokit, { owner, repo, pullNumber }), headTree: undefined };
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
      baseSha: pr.base.sha,
      headSha,
      files,
      ...(headTree ? { headTree } : {}),
      waivers: await listPullRequestWaivers(db, {
        installationId: installation.id,
        repoFullName: pr.base.repo.full_name,
        prNumber: pullNumber,
      }),
    });
    // The base of a PR against the default branch is a commit of it, its snapshot just kept.
    if (pr.base.ref === pr.base.repo.default_branch)
      await markDefaultBranchSnapshot(db, { repositoryId, commitSha: pr.base.sha, seenAt: null });
    const prKey = {
      installationId: installation.id,
      repoFullName: pr.base.repo.full_name,
      prNumber: pullNumber,
    };
    await storeViolations(db, { ...prKey, repositoryId, pr, verdict });
    if (payload.waiver) {
      const waivers = await applyWaiverRequest({
        octokit,
        db,
        logger,
        prKey,
        pr,
        verdict,
        request: payload.waiver,
      });
      if (waivers.length > 0)
        verdict = judge({
          violations: verdict.violations,
          findings: verdict.findings,
          changes: verdict.changes,
          waivers,
        });
    }
    // Fenced by the lease: a run that stalled until another took the job over leaves publishing
    // to that one (its violations above are stored idempotently).
    if (!(await holdsLease())) {
      checkRun.cancel();
      logger.warn(
        { deliveryId, pullNumber, headSha },
        "analysis lost its job lease; the run that took over publishes",
      );
      return;
    }
    const output = renderCheckRun(verdict);
    const checkRunId = await checkRun.complete({
      conclusion: verdict.conclusion,
      output: overCap
        ? { ...output, summary: `${overCapNote(pr.changed_files)}\n\n${output.summary}` }
        : output,
    });
    await saveCheckRecord(db, { repositoryId, headSha, prNumber: pullNumber, checkRunId });
  } catch (error) {
    if ((isTransient(error) && !lastAttempt) || services.signal?.aborted) {
      checkRun.cancel();
      throw error;
    }
    await reportAnalysisFailure(services, {
      error,
      context: { deliveryId, repo: pr.base.repo.full_name, pullNumber, headSha },
      checkRun,
      prNumber: pullNumber,
      repositoryId,
      headSha,
      installationId: installation.id,
      policy,
      verdict,
    });
    return;
  }
  // The verdict is published; a comment or review request that fails is retried by the queue.
  const commentId = await publishComment({ octokit, db, repositoryId, pr, verdict, seenBefore });
  await requestReviews(octokit, pr, verdict.violations);
  await saveCheckRecord(db, { repositoryId, headSha, conclusion: verdict.conclusion, commentId });
};

/** What the check run of a PR over GitHub's file-list cap says about how its changes were found. */
export const overCapNote = (changedFiles: number): string =>
  `This pull request changes ${changedFiles.toLocaleString("en-US")} files, more than the ${MAX_PR_FILES.toLocaleString("en-US")} GitHub lists. ` +
  "Covenant found every change by comparing the head's tree with the merge base's (a renamed file counts as removed and added), so none goes unchecked.";

type Policy = { maxLevel: string | null; minLevel: string | null } | null;

/**
 * Completes the check run of an analysis that could not finish, with the reason. A repository that
 * BLOCKs (policy floor, or a BLOCK contract of its own) must not go green by accident: failure
 * there, neutral elsewhere.
 */
export const reportAnalysisFailure = async (
  { db, logger }: Pick<AppServices, "db" | "logger">,
  {
    error,
    context,
    checkRun,
    prNumber,
    repositoryId,
    headSha,
    installationId,
    policy,
    verdict,
    subject = "pull request",
  }: {
    error: unknown;
    /** What the log line names (delivery, repository, PR or merge group). */
    context: Record<string, unknown> & { deliveryId: string };
    checkRun: PendingCheckRun;
    prNumber?: number;
    repositoryId: string;
    headSha: string;
    installationId: string;
    /** Undefined when it could not be read: then the failure fails the check. */
    policy: Policy | undefined;
    /** The verdict, when the failure came after it (publishing it): a failing one stays failing. */
    verdict?: Verdict | undefined;
    subject?: string;
  },
): Promise<void> => {
  logger.error({ err: error, ...context }, "analysis failed");
  const reason = error instanceof Error ? error.message : String(error);
  const blocking =
    verdict?.conclusion === "failure" ||
    policy === undefined ||
    policy?.minLevel === "BLOCK" ||
    (await repositoryHasBlockingContracts(db, { installationId, repositoryId }));
  const conclusion = blocking ? "failure" : "neutral";
  const checkRunId = await checkRun.complete({
    conclusion,
    output: {
      title: `Covenant could not analyse this ${subject}`,
      summary: `The analysis failed: ${reason}\n\nDelivery: \`${context.deliveryId}\`. Re-run the check once the cause is fixed.`,
      annotations: [],
    },
  });
  await saveCheckRecord(db, { repositoryId, headSha, prNumber: prNumber ?? null, checkRunId, conclusion });
};

/**
 * Analyses a head commit against a base commit given the files that changed between them: the
 * base comes from its cache, only the files the plan needs are read at the head.
 */
export const runAnalysis = async ({
  octokit,
  db,
  analyze,
  plan: planOf,
  owner,
  repo,
  repositoryId,
  installationId,
  policy,
  baseSha,
  headSha,
  files,
  headTree,
  waivers,
}: {
  octokit: Octokit;
  db: Db;
  analyze: AppServices["analyze"];
  plan: AppServices["plan"];
  owner: string;
  repo: string;
  repositoryId: string;
  installationId: string;
  policy: Policy;
  baseSha: string;
  headSha: string;
  files: readonly ChangedFile[];
  /** The head's tree, when already read (a PR over GitHub's file-list cap): its paths and files are read from it. */
  headTree?: Tree;
  waivers: Waiver[];
}): Promise<Verdict> => {
  const base = await loadBase({ octokit, db, analyze, owner, repo, repositoryId, sha: baseSha });
  const changedPaths = changedPathsOf(files);
  const headPaths = headTree ? headTree.paths : headPathsOf(base.paths, files);
  // A dbt_project.yml the PR edits is read first: its folder settings say which files to fetch.
  const editedProjects = dbtProjectFiles(
    files.flatMap((file) => (file.status === "removed" ? [] : [file.path])),
    base.config,
  );
  const headProjects =
    editedProjects.length > 0
      ? await readFiles(octokit, {
          owner,
          repo,
          sha: headSha,
          paths: editedProjects,
          ...(headTree ? { entries: headTree.entries } : {}),
        })
      : undefined;
  const plan = await planOf({
    basePaths: base.paths,
    headPaths,
    changedPaths,
    config: base.config,
    haveBaseSnapshot: true,
    dbtProjectTexts: { base: base.files, head: headProjects?.files ?? new Map() },
  });
  // What the base becomes once merged: the PR's files as the head has them, the others as the
  // base has them now (the head may predate the base's newer commits), as `covenant check` reads.
  const changed = new Set(changedPaths);
  // One GraphQL request for both commits (see readFilesAt); a head dbt_project.yml already read is not read again.
  const notYetRead = (path: string) => !headProjects?.files.has(path);
  const read = await readFilesAt(octokit, {
    owner,
    repo,
    reads: headTree
      ? [{ sha: headSha, paths: plan.head.filter(notYetRead), entries: headTree.entries }]
      : [
          { sha: headSha, paths: plan.head.filter((path) => changed.has(path) && notYetRead(path)) },
          { sha: baseSha, paths: plan.head.filter((path) => !changed.has(path)) },
        ],
  });
  const [fromHead, fromBase] = [read[0]!, read[1]];
  const head = new Map([...(fromBase?.files ?? []), ...(headProjects?.files ?? []), ...fromHead.files]);
  const enforcement = {
    ...(policy?.maxLevel ? { max: policy.maxLevel as EnforcementLevel } : {}),
    ...(policy?.minLevel ? { min: policy.minLevel as EnforcementLevel } : {}),
  };
  const registeredContracts = (await listRegisteredContracts(db, installationId)).flatMap((row) => {
    const parsed = parseContract(row.contents, "registered contract");
    if (!parsed.ok) return [];
    const [first, ...rest] = row.owners;
    const contract = {
      ...parsed.contract,
      status: row.status as Contract["status"],
      enforcement: row.enforcement as EnforcementLevel,
      ...(first ? { owner: rest.length === 0 ? first : [first, ...rest] } : {}),
    };
    return [{ contract }];
  });
  const result = await analyze({
    basePaths: base.paths,
    headPaths,
    changedPaths,
    base: base.files,
    head,
    config: base.config,
    policy: enforcement,
    waivers,
    baseSnapshot: base.snapshot,
    registeredContracts,
    unreadable: [
      ...base.unreadable,
      ...(fromBase?.unreadable ?? []),
      ...(headProjects?.unreadable ?? []),
      ...fromHead.unreadable,
    ],
    readFindings: [
      ...base.readFindings,
      ...(fromBase?.findings ?? []),
      ...(headProjects?.findings ?? []),
      ...fromHead.findings,
    ],
  });
  return result.verdict;
};

const storeViolations = async (
  db: Db,
  {
    installationId,
    repoFullName,
    prNumber,
    repositoryId,
    pr,
    verdict,
  }: {
    installationId: string;
    repoFullName: string;
    prNumber: number;
    repositoryId: string;
    pr: PullRequest;
    verdict: Verdict;
  },
) => {
  const stored = verdict.violations.filter((v) => levelActions(v.enforcement).store);
  await recordViolations(
    db,
    installationId,
    stored.map((v) => ({
      dedupeKey: pullRequestViolationKey(repoFullName, prNumber, v.id),
      fingerprint: v.id,
      rule: v.rule,
      severity: v.severity,
      enforcement: v.enforcement,
      contractName: v.contract,
      contractVersion: v.contractVersion,
      dataset: v.dataset,
      column: v.column,
      message: v.message,
      help: v.help,
      expected: v.expected,
      actual: v.actual,
      file: v.file,
      line: v.line,
      repositoryId,
      gitHash: pr.head.sha,
      gitRepo: repoFullName,
      prNumber,
      prLink: pr.html_url,
      author: pr.user.login,
    })),
  );
  await resolveFixedPullRequestViolations(db, {
    installationId,
    repoFullName,
    prNumber,
    headSha: pr.head.sha,
    stillOpen: stored.map((v) => v.id),
  });
};

const publishComment = async ({
  octokit,
  db,
  repositoryId,
  pr,
  verdict,
  seenBefore,
}: {
  octokit: Octokit;
  db: Db;
  repositoryId: string;
  pr: PullRequest;
  verdict: Verdict;
  seenBefore: boolean;
}): Promise<number | null> => {
  const [owner, repo] = [pr.base.repo.owner.login, pr.base.repo.name];
  const visible = verdict.violations.some((v) => !v.waived && levelActions(v.enforcement).comment);
  const known = await findPullRequestCommentId(db, repositoryId, pr.number);
  // Nothing to say and nothing said before: no comment, and no request to look for one.
  if (!visible && known === null && !seenBefore) return null;
  return upsertStickyComment(octokit, {
    owner,
    repo,
    issueNumber: pr.number,
    body: renderPrComment(verdict, { marker: COMMENT_MARKER }),
    knownId: known === null ? null : Number(known),
    searchIfUnknown: seenBefore,
    createIfMissing: visible,
  });
};

const requestReviews = async (octokit: Octokit, pr: PullRequest, violations: readonly Violation[]) => {
  const owners = violations
    .filter((v) => !v.waived && levelActions(v.enforcement).requestReview)
    .flatMap((v) => v.owners ?? []);
  const already = new Set([
    ...(pr.requested_reviewers ?? []).map((u) => `@${u.login}`.toLowerCase()),
    ...(pr.requested_teams ?? []).map((t) => `@${pr.base.repo.owner.login}/${t.slug}`.toLowerCase()),
  ]);
  const missing = [...new Set(owners)].filter(
    (o) => !already.has((o.startsWith("@") ? o : `@${o}`).toLowerCase()),
  );
  if (missing.length === 0) return;
  await requestOwnerReviews(octokit, {
    owner: pr.base.repo.owner.login,
    repo: pr.base.repo.name,
    pullNumber: pr.number,
    owners: missing,
    author: pr.user.login,
  });
};
