import { type BaseSnapshot, SNAPSHOT_VERSION } from "../core/analyze.ts";
import type { UnreadableFile } from "../core/files/repository-files.ts";
import type { Finding } from "../core/model/finding.ts";
import type { Db } from "./client.ts";

/** What the App stores per commit (the base of its pull requests): a replay and the files it still reads. */
export type CachedBase = {
  version: 2;
  paths: string[];
  files: Record<string, string>;
  snapshot: BaseSnapshot;
  unreadable: UnreadableFile[];
  readFindings: Finding[];
};

/** A stored snapshot this version of Covenant reads (null: none, or of an older format: replay again). */
export const cachedBaseOf = (data: unknown): CachedBase | null => {
  const cached = data as CachedBase | null;
  return cached?.version === 2 && cached.snapshot?.version === SNAPSHOT_VERSION ? cached : null;
};

/** A cached base: whatever the App needs to analyse a PR on this commit without reading it again. */
export const getSchemaSnapshot = async (
  db: Db,
  repositoryId: string,
  commitSha: string,
): Promise<unknown> => {
  const row = await db.schemaSnapshot.findUnique({
    where: { repositoryId_commitSha: { repositoryId, commitSha } },
    select: { data: true },
  });
  return row ? JSON.parse(row.data) : null;
};

export const saveSchemaSnapshot = async (
  db: Db,
  { repositoryId, commitSha, data }: { repositoryId: string; commitSha: string; data: unknown },
): Promise<void> => {
  const text = JSON.stringify(data);
  await db.schemaSnapshot.upsert({
    where: { repositoryId_commitSha: { repositoryId, commitSha } },
    create: { repositoryId, commitSha, data: text },
    update: { data: text },
  });
};

/**
 * The commit now at the tip of the default branch, whose snapshot GET /lineage reads. A push or a
 * merge (`seenAt` known) replaces an older one; a pull request's base (`seenAt` null: its age is
 * not known) is kept only while no push or merge has been seen, so it never hides a newer tip.
 */
export const markDefaultBranchSnapshot = async (
  db: Db,
  { repositoryId, commitSha, seenAt }: { repositoryId: string; commitSha: string; seenAt: Date | null },
): Promise<void> => {
  await db.repository.updateMany({
    where: {
      id: repositoryId,
      ...(seenAt
        ? { OR: [{ defaultBranchSeenAt: null }, { defaultBranchSeenAt: { lte: seenAt } }] }
        : { defaultBranchSeenAt: null }),
    },
    data: { defaultBranchSha: commitSha, defaultBranchSeenAt: seenAt },
  });
};

export type DefaultBranchSnapshot = {
  repository: { id: string; fullName: string; defaultBranch: string };
  /** The default branch's latest analysed commit, if any. */
  commitSha: string | null;
  seenAt: Date | null;
  /** null: none kept yet, or kept by an older version of Covenant (`stale`). */
  snapshot: BaseSnapshot | null;
  stale: boolean;
};

/** An installation's repository (null: not one of its own) and its default branch's latest snapshot. */
export const getDefaultBranchSnapshot = async (
  db: Db,
  { installationId, fullName }: { installationId: string; fullName: string },
): Promise<DefaultBranchSnapshot | null> => {
  const row = await db.repository.findFirst({
    where: { installationId, fullName },
    select: {
      id: true,
      fullName: true,
      defaultBranch: true,
      defaultBranchSha: true,
      defaultBranchSeenAt: true,
    },
  });
  if (!row) return null;
  const { defaultBranchSha: commitSha, defaultBranchSeenAt: seenAt, ...repository } = row;
  const data = commitSha ? await getSchemaSnapshot(db, row.id, commitSha) : null;
  const cached = cachedBaseOf(data);
  return {
    repository,
    commitSha,
    seenAt,
    snapshot: cached?.snapshot ?? null,
    stale: data !== null && !cached,
  };
};
