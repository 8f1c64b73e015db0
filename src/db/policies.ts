import type { Db } from "./client.ts";
import type { RepoPolicy } from "./generated/sqlite/client.ts";

export type { RepoPolicy as RepoPolicyRow } from "./generated/sqlite/client.ts";

export const getRepoPolicy = (
  db: Db,
  installationId: string,
  repoFullName: string,
): Promise<RepoPolicy | null> =>
  db.repoPolicy.findUnique({ where: { installationId_repoFullName: { installationId, repoFullName } } });

/** Sets (replaces) a repository's enforcement cap and floor; a missing bound is cleared. */
export const putRepoPolicy = (
  db: Db,
  policy: {
    installationId: string;
    repoFullName: string;
    maxLevel: string | null;
    minLevel: string | null;
    updatedBy?: string | null;
  },
): Promise<RepoPolicy> => {
  const data = { maxLevel: policy.maxLevel, minLevel: policy.minLevel, updatedBy: policy.updatedBy ?? null };
  return db.repoPolicy.upsert({
    where: {
      installationId_repoFullName: {
        installationId: policy.installationId,
        repoFullName: policy.repoFullName,
      },
    },
    create: { installationId: policy.installationId, repoFullName: policy.repoFullName, ...data },
    update: data,
  });
};

/** Every repository policy of an installation, by repository name. */
export const listRepoPolicies = (db: Db, installationId: string): Promise<RepoPolicy[]> =>
  db.repoPolicy.findMany({ where: { installationId }, orderBy: [{ repoFullName: "asc" }] });
