import type { Db } from "./client.ts";
import type { CheckRecord } from "./generated/sqlite/client.ts";

export type { CheckRecord } from "./generated/sqlite/client.ts";

export const getCheckRecord = (db: Db, repositoryId: string, headSha: string): Promise<CheckRecord | null> =>
  db.checkRecord.findUnique({ where: { repositoryId_headSha: { repositoryId, headSha } } });

/** The check run (and comment) of a repository + head SHA: one row, updated in place. */
export const saveCheckRecord = (
  db: Db,
  record: {
    repositoryId: string;
    headSha: string;
    prNumber?: number | null;
    checkRunId?: number | bigint | null;
    commentId?: number | bigint | null;
    conclusion?: string | null;
  },
): Promise<CheckRecord> => {
  const data = {
    ...(record.prNumber != null ? { prNumber: record.prNumber } : {}),
    ...(record.checkRunId !== undefined ? { checkRunId: toBigInt(record.checkRunId) } : {}),
    ...(record.commentId !== undefined ? { commentId: toBigInt(record.commentId) } : {}),
    ...(record.conclusion !== undefined ? { conclusion: record.conclusion } : {}),
  };
  return db.checkRecord.upsert({
    where: { repositoryId_headSha: { repositoryId: record.repositoryId, headSha: record.headSha } },
    create: { repositoryId: record.repositoryId, headSha: record.headSha, ...data },
    update: data,
  });
};

/** The sticky comment of a PR, whichever of its pushes created it. */
export const findPullRequestCommentId = async (
  db: Db,
  repositoryId: string,
  prNumber: number,
): Promise<bigint | null> => {
  const row = await db.checkRecord.findFirst({
    where: { repositoryId, prNumber, commentId: { not: null } },
    orderBy: { updatedAt: "desc" },
    select: { commentId: true },
  });
  return row?.commentId ?? null;
};

/** Forgets a comment that no longer exists on GitHub (deleted by someone). */
export const clearPullRequestCommentId = async (db: Db, repositoryId: string, prNumber: number) => {
  await db.checkRecord.updateMany({ where: { repositoryId, prNumber }, data: { commentId: null } });
};

const toBigInt = (value: number | bigint | null): bigint | null =>
  value === null ? null : typeof value === "bigint" ? value : BigInt(value);

/** Whether Covenant has looked at this PR before (any head SHA): only then can a comment exist. */
export const hasPullRequestCheckRecords = async (
  db: Db,
  repositoryId: string,
  prNumber: number,
): Promise<boolean> => (await db.checkRecord.count({ where: { repositoryId, prNumber } })) > 0;
