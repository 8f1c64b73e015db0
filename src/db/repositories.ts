import type { Db } from "./client.ts";
import type { RepoPolicy, Repository } from "./generated/sqlite/client.ts";
import { type Page, type PageRequest, paginate } from "./pagination.ts";

export type RepositoryOverview = {
  repository: Repository;
  policy: RepoPolicy | null;
  /** Enforcement levels of the contracts that live in this repository. */
  contractLevels: string[];
  openViolations: number;
  lastAnalysis: { headSha: string; prNumber: number | null; conclusion: string | null; at: Date } | null;
};

/**
 * An installation's repositories (removed ones too, marked), oldest first, each with its policy,
 * the levels its contracts use, its open violations and its latest analysis (one indexed lookup per
 * repository on the page).
 */
export const listRepositories = async (
  db: Db,
  installationId: string,
  filters: { name?: string },
  request: PageRequest,
): Promise<Page<RepositoryOverview>> => {
  const page = await paginate<Repository>(db.repository, {
    where: { installationId, ...(filters.name ? { fullName: { contains: filters.name } } : {}) },
    field: "createdAt",
    direction: "asc",
    request,
  });
  const ids = page.content.map((r) => r.id);
  const names = page.content.map((r) => r.fullName);
  const [policies, levels, open, checks] = await Promise.all([
    db.repoPolicy.findMany({ where: { installationId, repoFullName: { in: names } } }),
    db.contract.groupBy({
      by: ["repositoryId", "enforcement"],
      where: { installationId, repositoryId: { in: ids } },
    }),
    db.violation.groupBy({
      by: ["repositoryId"],
      where: { installationId, repositoryId: { in: ids }, status: { in: ["open", "acknowledged"] } },
      _count: { _all: true },
    }),
    // The latest check of each repository, one indexed lookup each (a `distinct` would read them all).
    Promise.all(
      ids.map((repositoryId) =>
        db.checkRecord.findFirst({
          where: { repositoryId },
          orderBy: [{ updatedAt: "desc" }, { id: "desc" }],
        }),
      ),
    ).then((rows) => rows.filter((row) => row !== null)),
  ]);
  return {
    ...page,
    content: page.content.map((repository) => {
      const check = checks.find((c) => c.repositoryId === repository.id);
      return {
        repository,
        policy: policies.find((p) => p.repoFullName === repository.fullName) ?? null,
        contractLevels: levels
          .filter((l) => l.repositoryId === repository.id)
          .map((l) => l.enforcement)
          .sort(),
        openViolations: open.find((o) => o.repositoryId === repository.id)?._count._all ?? 0,
        lastAnalysis: check
          ? {
              headSha: check.headSha,
              prNumber: check.prNumber,
              conclusion: check.conclusion,
              at: check.updatedAt,
            }
          : null,
      };
    }),
  };
};
