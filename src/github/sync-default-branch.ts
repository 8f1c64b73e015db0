import picomatch from "picomatch";
import { contractChecksum, contractOwners, parseRepositoryContract } from "../core/model/contract.ts";
import { syncRepositoryContract } from "../db/github-contracts.ts";
import {
  findInstallationByGitHubId,
  upsertGitHubInstallation,
  upsertGitHubRepositories,
} from "../db/github-repositories.ts";
import { markDefaultBranchSnapshot } from "../db/github-snapshots.ts";
import { markPullRequestViolationsMerged } from "../db/github-violations.ts";
import type { AppServices } from "./analyze-pull-request.ts";
import { type LoadedBase, loadBase } from "./load-base.ts";
import { changedPathsOf, listChangedFiles, MAX_PR_FILES, type Octokit } from "./read-repository.ts";

type RepoPayload = {
  installationId: number;
  owner: string;
  repo: string;
  repoId: number;
  private: boolean;
  defaultBranch: string;
};

export type MergedJobPayload = RepoPayload & {
  pullNumber: number;
  mergeCommitSha: string;
  mergedAt: string;
  deliveryId: string;
};
export type PushJobPayload = RepoPayload & {
  after: string;
  /** null: not known (huge push), sync every contract file. */
  changedPaths: string[] | null;
  pushedAt: string;
  /** When the webhook arrived (absent on jobs queued before it was recorded). */
  receivedAt?: string;
  pusher: string;
  deliveryId: string;
};

const ensureRepository = async ({ db }: AppServices, p: RepoPayload) => {
  const installation =
    (await findInstallationByGitHubId(db, p.installationId)) ??
    (await upsertGitHubInstallation(db, {
      githubId: p.installationId,
      login: p.owner,
      type: "Organization",
    }));
  const [repository] = await upsertGitHubRepositories(db, installation.id, [
    {
      githubId: p.repoId,
      fullName: `${p.owner}/${p.repo}`,
      private: p.private,
      defaultBranch: p.defaultBranch,
    },
  ]);
  return { installationId: installation.id, repositoryId: repository!.id };
};

/** Contract files among `paths`, as they are at `base`, into the registry with Gable's fields. */
const syncContracts = async (
  services: AppServices,
  {
    base,
    paths,
    ids,
    p,
    reviewers,
    mergedAt,
    by,
  }: {
    base: LoadedBase;
    paths: string[];
    ids: { installationId: string; repositoryId: string };
    p: RepoPayload;
    reviewers: string[];
    mergedAt: Date | null;
    by: string | null;
  },
): Promise<number> => {
  const isContract = picomatch(base.config.contracts, { dot: true });
  let synced = 0;
  for (const path of paths.filter((path) => isContract(path))) {
    const text = base.files.get(path);
    if (text === undefined) continue; // deleted: the registry keeps its history
    const parsed = parseRepositoryContract(text, path);
    if (!parsed.ok) {
      services.logger.warn(
        { path, errors: parsed.errors },
        "contract on the default branch does not validate; not synced",
      );
      continue;
    }
    const c = parsed.contract;
    await syncRepositoryContract(services.db, {
      ...ids,
      filePath: path,
      fileUrl: `https://github.com/${p.owner}/${p.repo}/blob/${base.sha}/${path}`,
      contents: text,
      checksum: contractChecksum(text),
      contract: {
        name: c.name,
        version: c.version,
        status: c.status,
        enforcement: c.enforcement,
        datasetType: c.dataset.type,
        datasetName: c.dataset.name,
        owners: contractOwners(c),
        description: c.description,
      },
      gitHash: base.sha,
      reviewers,
      mergedAt,
      by,
    });
    synced++;
  }
  return synced;
};

const approvers = async (
  octokit: Octokit,
  { owner, repo, pullNumber }: { owner: string; repo: string; pullNumber: number },
) => {
  const reviews = await octokit.paginate(octokit.rest.pulls.listReviews, {
    owner,
    repo,
    pull_number: pullNumber,
    per_page: 100,
  });
  const latest = new Map<string, string>();
  for (const review of reviews)
    if (review.user && review.state !== "COMMENTED") latest.set(review.user.login, review.state);
  return [...latest].filter(([, state]) => state === "APPROVED").map(([login]) => login);
};

/** A merged PR: its violations get the merge, its contract files become registry versions. */
export const recordMergedPullRequest = async (services: AppServices, p: MergedJobPayload): Promise<void> => {
  const octokit = await services.octokitFor(p.installationId);
  const ids = await ensureRepository(services, p);
  const reviewers = await approvers(octokit, { owner: p.owner, repo: p.repo, pullNumber: p.pullNumber });
  const mergedAt = new Date(p.mergedAt);
  await markPullRequestViolationsMerged(services.db, {
    installationId: ids.installationId,
    repoFullName: `${p.owner}/${p.repo}`,
    prNumber: p.pullNumber,
    mergedAt,
    mergeCommitSha: p.mergeCommitSha,
    reviewers,
  });
  const files = await listChangedFiles(octokit, { owner: p.owner, repo: p.repo, pullNumber: p.pullNumber });
  // The merge commit is the new base of the default branch: loading it also warms the cache.
  const base = await loadBase({
    octokit,
    db: services.db,
    analyze: services.analyze,
    owner: p.owner,
    repo: p.repo,
    repositoryId: ids.repositoryId,
    sha: p.mergeCommitSha,
  });
  await markDefaultBranchSnapshot(services.db, {
    repositoryId: ids.repositoryId,
    commitSha: p.mergeCommitSha,
    seenAt: mergedAt,
  });
  await syncContracts(services, {
    base,
    // GitHub lists at most 3,000 files of a PR: past that, a contract changed beyond the list must
    // not be missed, so every contract of the merge commit is synced (unchanged ones stay as they are).
    paths: files.length < MAX_PR_FILES ? changedPathsOf(files) : [...base.files.keys()],
    ids,
    p,
    reviewers,
    mergedAt,
    by: null,
  });
};

/** A push to the default branch: cache its base snapshot, sync the contracts it changed. */
export const syncDefaultBranch = async (services: AppServices, p: PushJobPayload): Promise<void> => {
  const octokit = await services.octokitFor(p.installationId);
  const ids = await ensureRepository(services, p);
  const base = await loadBase({
    octokit,
    db: services.db,
    analyze: services.analyze,
    owner: p.owner,
    repo: p.repo,
    repositoryId: ids.repositoryId,
    sha: p.after,
  });
  await markDefaultBranchSnapshot(services.db, {
    repositoryId: ids.repositoryId,
    commitSha: p.after,
    seenAt: new Date(p.receivedAt ?? p.pushedAt),
  });
  await syncContracts(services, {
    base,
    paths: p.changedPaths ?? [...base.files.keys()],
    ids,
    p,
    reviewers: [],
    mergedAt: new Date(p.pushedAt),
    by: p.pusher,
  });
};
