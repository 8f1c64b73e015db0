import type { Db } from "./client.ts";
import type { CheckRecord, Job } from "./generated/sqlite/client.ts";
import { type Page, type PageRequest, paginate } from "./pagination.ts";

/**
 * The App's jobs (analyses of pull requests and merge groups, merged-PR and push bookkeeping) carry
 * the GitHub installation id as the first field of their JSON payload, so an installation's jobs
 * are found by a prefix of the stored payload without a column of their own.
 */
const GITHUB_JOB_KIND_PREFIX = "github.";

const installationJobs = (githubId: bigint | null, kind?: string) =>
  githubId === null
    ? { id: "" } // a local installation has no GitHub jobs
    : {
        kind: kind ? `${GITHUB_JOB_KIND_PREFIX}${kind}` : { startsWith: GITHUB_JOB_KIND_PREFIX },
        payload: { startsWith: `{"installationId":${githubId},` },
      };

export type AnalysisPayload = { owner?: string; repo?: string; pullNumber?: number; headSha?: string };

export type Analysis = {
  job: Job;
  payload: AnalysisPayload;
  repo: string | null;
  headSha: string | null;
  check: CheckRecord | null;
};

const parsePayload = (job: Job): AnalysisPayload => {
  try {
    const value = JSON.parse(job.payload) as Record<string, unknown>;
    return {
      owner: typeof value.owner === "string" ? value.owner : undefined,
      repo: typeof value.repo === "string" ? value.repo : undefined,
      pullNumber: typeof value.pullNumber === "number" ? value.pullNumber : undefined,
      headSha:
        typeof value.headSha === "string"
          ? value.headSha
          : typeof value.after === "string"
            ? value.after
            : undefined,
    };
  } catch {
    return {};
  }
};

/** `analyze:<installation>:<owner>/<repo>#<pr>@<sha>` and its kin end with the commit analysed. */
const shaOfKey = (key: string): string | null => /@([0-9a-f]{7,64})$/i.exec(key)?.[1] ?? null;

/** Joins jobs with the check runs they produced (repository + head SHA, else the PR's latest). */
const withChecks = async (db: Db, installationId: string, jobs: Job[]): Promise<Analysis[]> => {
  const parsed = jobs.map((job) => {
    const payload = parsePayload(job);
    const repo = payload.owner && payload.repo ? `${payload.owner}/${payload.repo}` : null;
    return { job, payload, repo, headSha: payload.headSha ?? shaOfKey(job.dedupeKey) };
  });
  const names = [...new Set(parsed.map((p) => p.repo).filter((r): r is string => r !== null))];
  const repos = names.length
    ? await db.repository.findMany({ where: { installationId, fullName: { in: names } } })
    : [];
  const repoIds = repos.map((r) => r.id);
  const checks = repoIds.length
    ? await db.checkRecord.findMany({
        where: {
          repositoryId: { in: repoIds },
          OR: [
            { headSha: { in: parsed.map((p) => p.headSha).filter((s): s is string => s !== null) } },
            {
              prNumber: {
                in: parsed.map((p) => p.payload.pullNumber).filter((n): n is number => n !== undefined),
              },
            },
          ],
        },
        orderBy: [{ updatedAt: "desc" }],
      })
    : [];
  return parsed.map((p) => {
    const repoId = repos.find((r) => r.fullName === p.repo)?.id;
    const check =
      checks.find((c) => c.repositoryId === repoId && p.headSha !== null && c.headSha === p.headSha) ??
      (p.headSha === null
        ? checks.find((c) => c.repositoryId === repoId && c.prNumber === p.payload.pullNumber)
        : undefined) ??
      null;
    return { ...p, check };
  });
};

export type AnalysisFilters = { kind?: string; status?: string; repo?: string };

/** An installation's App jobs, newest first, with their check runs. */
export const listAnalyses = async (
  db: Db,
  installation: { id: string; githubId: bigint | null },
  filters: AnalysisFilters,
  request: PageRequest,
): Promise<Page<Analysis>> => {
  const [owner, repo] = filters.repo?.split("/") ?? [];
  const page = await paginate<Job>(db.job, {
    where: {
      AND: [
        installationJobs(installation.githubId, filters.kind),
        filters.status ? { status: filters.status } : {},
        owner && repo
          ? { payload: { contains: `"owner":${JSON.stringify(owner)},"repo":${JSON.stringify(repo)},` } }
          : {},
      ],
    },
    field: "createdAt",
    direction: "desc",
    request,
  });
  return { ...page, content: await withChecks(db, installation.id, page.content) };
};

export const getAnalysis = async (
  db: Db,
  installation: { id: string; githubId: bigint | null },
  id: string,
): Promise<Analysis | null> => {
  const job = await db.job.findFirst({ where: { id, ...installationJobs(installation.githubId) } });
  if (!job) return null;
  return (await withChecks(db, installation.id, [job]))[0] ?? null;
};
