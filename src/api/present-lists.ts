import type { Activity } from "../db/activity.ts";
import type { Analysis } from "../db/analyses.ts";
import type { InstallationRow } from "../db/installations.ts";
import type { JobStatus } from "../db/jobs.ts";
import type { RepositoryOverview } from "../db/repositories.ts";

// Rows of the console's listings -> response bodies (snake_case).

type Level = "INACTIVE" | "RECORD" | "NOTIFY" | "ALERT" | "BLOCK";
const iso = (d: Date): string => d.toISOString();
const isoOrNull = (d: Date | null): string | null => (d ? d.toISOString() : null);

export const presentInstallation = (i: InstallationRow, repositories: number) => ({
  id: i.id,
  github_id: i.githubId === null ? null : String(i.githubId),
  account_login: i.accountLogin,
  account_type: i.accountType,
  suspended_at: isoOrNull(i.suspendedAt),
  deleted_at: isoOrNull(i.deletedAt),
  created_at: iso(i.createdAt),
  repositories,
});

export const presentRepository = (r: RepositoryOverview) => ({
  id: r.repository.id,
  full_name: r.repository.fullName,
  default_branch: r.repository.defaultBranch,
  private: r.repository.private,
  removed_at: isoOrNull(r.repository.removedAt),
  policy: {
    max: (r.policy?.maxLevel ?? null) as Level | null,
    min: (r.policy?.minLevel ?? null) as Level | null,
    updated_by: r.policy?.updatedBy ?? null,
    updated_at: r.policy ? iso(r.policy.updatedAt) : null,
  },
  contract_levels: r.contractLevels as Level[],
  open_violations: r.openViolations,
  last_analysis: r.lastAnalysis
    ? {
        head_sha: r.lastAnalysis.headSha,
        pr_number: r.lastAnalysis.prNumber,
        conclusion: r.lastAnalysis.conclusion,
        at: iso(r.lastAnalysis.at),
      }
    : null,
});

const FINISHED = new Set(["done", "dead"]);

export const presentAnalysis = (a: Analysis) => ({
  id: a.job.id,
  kind: a.job.kind.replace(/^github\./, ""),
  status: a.job.status as JobStatus,
  repo: a.repo,
  pr_number: a.payload.pullNumber ?? a.check?.prNumber ?? null,
  head_sha: a.headSha ?? a.check?.headSha ?? null,
  attempts: a.job.attempts,
  error: a.job.lastError,
  next_attempt_at: a.job.status === "queued" ? iso(a.job.runAt) : null,
  worker: a.job.status === "running" ? a.job.lockedBy : null,
  queued_at: iso(a.job.createdAt),
  updated_at: iso(a.job.updatedAt),
  duration_ms: FINISHED.has(a.job.status)
    ? Math.max(0, a.job.updatedAt.getTime() - Math.max(a.job.runAt.getTime(), a.job.createdAt.getTime()))
    : null,
  check_run: a.check
    ? {
        id: a.check.checkRunId === null ? null : String(a.check.checkRunId),
        conclusion: a.check.conclusion,
        updated_at: iso(a.check.updatedAt),
      }
    : null,
});

export const presentActivity = (a: Activity) => ({
  since: iso(a.since),
  days: a.days.map((d) => ({
    date: d.date,
    analysed: d.analysed,
    blocked: d.blocked,
    passed_with_violations: d.passedWithViolations,
    waived: d.waived,
  })),
  top_contracts: a.topContracts.map((c) => ({
    contract_id: c.contractId,
    contract_name: c.contractName,
    violations: c.violations,
  })),
  top_repositories: a.topRepositories,
  totals: {
    contracts: a.totals.contracts,
    open_violations: a.totals.openViolations,
    repositories: a.totals.repositories,
  },
});
