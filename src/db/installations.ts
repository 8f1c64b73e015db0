import type { Db } from "./client.ts";
import type { Installation } from "./generated/sqlite/client.ts";

export type { Installation as InstallationRow } from "./generated/sqlite/client.ts";

export const LOCAL_INSTALLATION_LOGIN = "local";

/** A tenant not backed by a GitHub App installation (API-only use, tests). */
export const createInstallation = (
  db: Db,
  input: { accountLogin: string; accountType?: string; githubId?: number | null },
): Promise<Installation> =>
  db.installation.create({
    data: {
      accountLogin: input.accountLogin,
      accountType: input.accountType ?? "Organization",
      githubId: input.githubId ?? null,
    },
  });

/** Oldest installation with this account login (a GitHub login, or "local"). */
export const findInstallationByLogin = (db: Db, accountLogin: string): Promise<Installation | null> =>
  db.installation.findFirst({ where: { accountLogin }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });

/** Every installation, GitHub's and local ones, oldest first (to say which exist). */
export const listInstallations = (db: Db): Promise<Installation[]> =>
  db.installation.findMany({ orderBy: [{ createdAt: "asc" }, { id: "asc" }] });

export const getInstallation = (db: Db, id: string): Promise<Installation | null> =>
  db.installation.findUnique({ where: { id } });

/**
 * The installation named `login`, created as a local tenant when none exists. Find-or-create
 * without a lock: it runs at bootstrap (`covenant keys create`), not concurrently.
 */
export const ensureInstallation = async (
  db: Db,
  login: string = LOCAL_INSTALLATION_LOGIN,
): Promise<Installation> =>
  (await findInstallationByLogin(db, login)) ??
  db.installation.create({ data: { accountLogin: login, accountType: "Local" } });

type InstallationState = Pick<Installation, "accountLogin" | "suspendedAt" | "deletedAt">;

/**
 * Why no work may run for this installation (API keys, analyses, scans), or null. An App suspended
 * or uninstalled on GitHub stops everything until GitHub says otherwise (unsuspend); uninstalling
 * is final.
 */
export const installationStopReason = (installation: InstallationState | null): string | null => {
  if (installation?.deletedAt) {
    return `The GitHub App was uninstalled from ${installation.accountLogin}: its API keys are revoked and nothing runs for it any more.`;
  }
  if (installation?.suspendedAt) {
    return `The GitHub App installation of ${installation.accountLogin} is suspended on GitHub: the API, analyses and scans are stopped until it is unsuspended.`;
  }
  return null;
};

/** The stop reason of an installation by Covenant id (scans) or GitHub id (the App's jobs). */
export const findInstallationStopReason = async (
  db: Db,
  where: { id: string } | { githubId: number },
): Promise<string | null> =>
  installationStopReason(
    await db.installation.findUnique({
      where: "id" in where ? { id: where.id } : { githubId: where.githubId },
      select: { accountLogin: true, suspendedAt: true, deletedAt: true },
    }),
  );
