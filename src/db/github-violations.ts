import type { Db } from "./client.ts";
import type { Violation } from "./generated/sqlite/client.ts";

/** The dedupe key of a violation found on a pull request: one row per fact per PR. */
export const pullRequestViolationKey = (
  repoFullName: string,
  prNumber: number,
  fingerprint: string,
): string => `${repoFullName}#${prNumber}:${fingerprint}`;

export const findPullRequestViolation = (
  db: Db,
  { installationId, repoFullName, prNumber, fingerprint }: PrKey & { fingerprint: string },
): Promise<Violation | null> =>
  db.violation.findUnique({
    where: {
      installationId_dedupeKey: {
        installationId,
        dedupeKey: pullRequestViolationKey(repoFullName, prNumber, fingerprint),
      },
    },
  });

type PrKey = { installationId: string; repoFullName: string; prNumber: number };

/** Waivers given on this PR, as the engine takes them. */
export const listPullRequestWaivers = async (db: Db, { installationId, repoFullName, prNumber }: PrKey) => {
  const rows = await db.violation.findMany({
    where: { installationId, gitRepo: repoFullName, prNumber, status: "waived" },
    select: { fingerprint: true, waivedBy: true, waiverReason: true, waivedAt: true },
  });
  return rows.map((row) => ({
    violationId: row.fingerprint,
    by: row.waivedBy ?? "",
    reason: row.waiverReason ?? "",
    at: (row.waivedAt ?? new Date(0)).toISOString(),
  }));
};

/** Open violations of this PR that its latest push no longer has: fixed by the author. */
export const resolveFixedPullRequestViolations = async (
  db: Db,
  {
    installationId,
    repoFullName,
    prNumber,
    stillOpen,
    headSha,
  }: PrKey & { stillOpen: string[]; headSha: string },
): Promise<number> => {
  const { count } = await db.violation.updateMany({
    where: {
      installationId,
      gitRepo: repoFullName,
      prNumber,
      status: "open",
      fingerprint: { notIn: stillOpen },
    },
    data: { status: "resolved", resolvedAt: new Date(), resolution: `fixed in ${headSha}` },
  });
  return count;
};

/** Stamps the PR's violations with the merge (Gable's mergedAt, git hash, reviewers). */
export const markPullRequestViolationsMerged = async (
  db: Db,
  {
    installationId,
    repoFullName,
    prNumber,
    mergedAt,
    mergeCommitSha,
    reviewers,
  }: PrKey & { mergedAt: Date; mergeCommitSha: string | null; reviewers: string[] },
): Promise<number> => {
  const { count } = await db.violation.updateMany({
    where: { installationId, gitRepo: repoFullName, prNumber, status: { not: "resolved" } },
    data: { mergedAt, mergeCommitSha, reviewers: JSON.stringify(reviewers) },
  });
  return count;
};

/** Records an owner's waiver of one violation on one PR (who, when, why). */
export const waivePullRequestViolation = async (
  db: Db,
  {
    installationId,
    repoFullName,
    prNumber,
    fingerprint,
    by,
    reason,
    at,
  }: PrKey & { fingerprint: string; by: string; reason: string; at: Date },
): Promise<boolean> => {
  const { count } = await db.violation.updateMany({
    where: { installationId, dedupeKey: pullRequestViolationKey(repoFullName, prNumber, fingerprint) },
    data: { status: "waived", waivedBy: by, waiverReason: reason, waivedAt: at },
  });
  return count === 1;
};
