import type { Context } from "probot";
import {
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

/** The tenant and its repositories follow the installation. */
export const onInstallation =
  ({ db }: HandlerDeps) =>
  async (context: Context<"installation">) => {
    const { installation, action } = context.payload;
    const tenant = await upsertGitHubInstallation(db, {
      githubId: installation.id,
      ...accountOf(installation.account),
      suspended: action === "suspend" || action === "deleted",
    });
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
