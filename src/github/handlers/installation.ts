import type { Context } from "probot";
import {
  applyGitHubInstallationEvent,
  findInstallationByGitHubId,
  markGitHubRepositoriesRemoved,
  upsertGitHubInstallation,
  upsertGitHubRepositories,
} from "../../db/github-repositories.ts";
import type { HandlerDeps } from "./deps.ts";

type Repo = { id: number; full_name: string; private: boolean };
const toRepos = (repos: readonly Repo[] | undefined) =>
  (repos ?? []).map((r) => ({ githubId: r.id, fullName: r.full_name, private: r.private }));

const accountOf = (account: unknown) => {
  const a = (account ?? {}) as { login?: string; slug?: string; name?: string; type?: string };
  return { login: a.login ?? a.slug ?? a.name ?? "unknown", type: a.type ?? "Organization" };
};

/**
 * GitHub lets a delivery be redelivered for 3 days; a suspension or its lifting older than that
 * (by GitHub's own timestamp) is a replayed body, not news.
 */
export const MAX_INSTALLATION_EVENT_AGE_MS = 3 * 24 * 3600_000 + 3600_000;

/** GitHub sends these as ISO strings or as epoch seconds, depending on the event. */
const toDate = (value: unknown): Date | null => {
  const date =
    typeof value === "number" ? new Date(value * 1000) : typeof value === "string" ? new Date(value) : null;
  return date && !Number.isNaN(date.getTime()) ? date : null;
};

/** When GitHub made the change an installation event reports, and why it must be refused, if so. */
export const installationEventTime = (
  action: string,
  installation: { updated_at?: unknown; suspended_at?: unknown },
  now: Date,
): { changedAt: Date | null; refused: string | null } => {
  const changedAt =
    toDate(
      action === "suspend" ? (installation.suspended_at ?? installation.updated_at) : installation.updated_at,
    ) ?? null;
  if (action !== "suspend" && action !== "unsuspend") return { changedAt, refused: null };
  if (!changedAt) return { changedAt, refused: `an installation.${action} without a valid timestamp` };
  if (now.getTime() - changedAt.getTime() > MAX_INSTALLATION_EVENT_AGE_MS) {
    return { changedAt, refused: `it dates from ${changedAt.toISOString()}, older than GitHub redelivers` };
  }
  return { changedAt, refused: null };
};

/** The tenant and its repositories follow the installation; replays and stale events are ignored. */
export const onInstallation =
  ({ db }: HandlerDeps) =>
  async (context: Context<"installation">) => {
    const { installation, action } = context.payload;
    const now = new Date();
    const time = installationEventTime(action, installation as never, now);
    const ignored =
      time.refused ??
      (await applyGitHubInstallationEvent(db, {
        githubId: installation.id,
        ...accountOf(installation.account),
        action,
        changedAt: time.changedAt,
        now,
      }));
    if (ignored) {
      context.log.warn(
        { deliveryId: context.id, action, installationId: installation.id, ignored },
        "installation event ignored",
      );
      return;
    }
    const tenant = (await findInstallationByGitHubId(db, installation.id))!;
    if (action === "deleted") {
      const repos = await db.repository.findMany({
        where: { installationId: tenant.id },
        select: { fullName: true },
      });
      await markGitHubRepositoriesRemoved(
        db,
        tenant.id,
        repos.map((r) => r.fullName),
      );
      return;
    }
    if ("repositories" in context.payload)
      await upsertGitHubRepositories(db, tenant.id, toRepos(context.payload.repositories));
  };

export const onInstallationRepositories =
  ({ db }: HandlerDeps) =>
  async (context: Context<"installation_repositories">) => {
    const { installation, repositories_added, repositories_removed } = context.payload;
    if ((await findInstallationByGitHubId(db, installation.id))?.deletedAt) return;
    const tenant = await upsertGitHubInstallation(db, {
      githubId: installation.id,
      ...accountOf(installation.account),
    });
    await upsertGitHubRepositories(db, tenant.id, toRepos(repositories_added));
    await markGitHubRepositoriesRemoved(
      db,
      tenant.id,
      repositories_removed.flatMap((r) => (r.full_name ? [r.full_name] : [])),
    );
  };
