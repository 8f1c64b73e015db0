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
export const upsertGitHubInstallation = (db: Db, account: GitHubAccount): Promise<Installation> => {
  const data = { accountLogin: account.login, accountType: account.type };
  return db.installation.upsert({
    where: { githubId: account.githubId },
    create: { githubId: account.githubId, ...data },
    update: data,
  });
};

export type InstallationEvent = GitHubAccount & {
  action: string;
  /** GitHub's installation.updated_at (suspended_at for a suspension), when the payload has it. */
  changedAt: Date | null;
  now: Date;
};

/**
 * Applies an installation event unless it is older than the state it would overwrite (a replayed
 * body under a new delivery id) or the installation was uninstalled. Suspension changes only on
 * suspend/unsuspend; uninstalling revokes the installation's API keys, in the same transaction.
 * Returns why an event was ignored, or null.
 */
export const applyGitHubInstallationEvent = (db: Db, event: InstallationEvent): Promise<string | null> =>
  db.$transaction(async (tx) => {
    const known = await tx.installation.findUnique({ where: { githubId: event.githubId } });
    if (known?.deletedAt) return "the installation was uninstalled";
    if (
      event.action !== "deleted" &&
      event.changedAt &&
      known?.githubUpdatedAt &&
      event.changedAt < known.githubUpdatedAt
    ) {
      return `it describes the installation at ${event.changedAt.toISOString()}, older than the state applied (${known.githubUpdatedAt.toISOString()})`;
    }
    const data = {
      accountLogin: event.login,
      accountType: event.type,
      ...(event.changedAt && (!known?.githubUpdatedAt || event.changedAt > known.githubUpdatedAt)
        ? { githubUpdatedAt: event.changedAt }
        : {}),
      ...(event.action === "suspend" ? { suspendedAt: event.changedAt ?? event.now } : {}),
      ...(event.action === "unsuspend" ? { suspendedAt: null } : {}),
      ...(event.action === "deleted" ? { deletedAt: event.now } : {}),
    };
    const row = await tx.installation.upsert({
      where: { githubId: event.githubId },
      create: { githubId: event.githubId, ...data },
      update: data,
    });
    if (event.action === "deleted") {
      await tx.apiKey.updateMany({
        where: { installationId: row.id, revokedAt: null },
        data: { revokedAt: event.now },
      });
    }
    return null;
  });

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
