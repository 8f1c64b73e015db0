import type { Db } from "./client.ts";
import type { Installation, Repository } from "./generated/sqlite/client.ts";

export type GitHubAccount = { githubId: number; login: string; type: string };
export type GitHubRepository = {
  githubId: number;
  fullName: string;
  private: boolean;
  defaultBranch?: string;
};

/** The tenant of a GitHub App installation, created or refreshed (idempotent on the GitHub id). */
export const upsertGitHubInstallation = (
  db: Db,
  account: GitHubAccount & { suspended?: boolean },
): Promise<Installation> => {
  const data = {
    accountLogin: account.login,
    accountType: account.type,
    ...(account.suspended !== undefined ? { suspendedAt: account.suspended ? new Date() : null } : {}),
  };
  return db.installation.upsert({
    where: { githubId: account.githubId },
    create: { githubId: account.githubId, ...data },
    update: data,
  });
};

export const findInstallationByGitHubId = (db: Db, githubId: number): Promise<Installation | null> =>
  db.installation.findUnique({ where: { githubId } });

/** Adds (or brings back) repositories of an installation; one transaction. */
export const upsertGitHubRepositories = (
  db: Db,
  installationId: string,
  repositories: readonly GitHubRepository[],
): Promise<Repository[]> =>
  db.$transaction(async (tx) => {
    const rows: Repository[] = [];
    for (const repo of repositories) {
      const data = {
        githubId: repo.githubId,
        private: repo.private,
        removedAt: null,
        ...(repo.defaultBranch ? { defaultBranch: repo.defaultBranch } : {}),
      };
      rows.push(
        await tx.repository.upsert({
          where: { installationId_fullName: { installationId, fullName: repo.fullName } },
          create: { installationId, fullName: repo.fullName, ...data },
          update: data,
        }),
      );
    }
    return rows;
  });

/** Repositories taken out of the installation keep their history; they are only marked removed. */
export const markGitHubRepositoriesRemoved = async (
  db: Db,
  installationId: string,
  fullNames: readonly string[],
): Promise<number> => {
  const { count } = await db.repository.updateMany({
    where: { installationId, fullName: { in: [...fullNames] } },
    data: { removedAt: new Date() },
  });
  return count;
};

export const findRepositoryByFullName = (
  db: Db,
  installationId: string,
  fullName: string,
): Promise<Repository | null> =>
  db.repository.findUnique({ where: { installationId_fullName: { installationId, fullName } } });
