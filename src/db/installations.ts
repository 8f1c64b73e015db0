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
