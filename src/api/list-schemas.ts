import { z } from "@hono/zod-openapi";
import { JOB_STATUSES } from "../db/jobs.ts";
import { EnforcementEnum, PageQuery, pageOf } from "./schemas.ts";

// Schemas of the listings the console reads (installations, repositories, policies, analyses,
// activity, the dry run). Field names are snake_case, like every JSON field Covenant emits.

const Timestamp = z.string().openapi({ format: "date-time", example: "2026-01-31T12:00:00.000Z" });

export const InstallationSchema = z
  .object({
    id: z.string(),
    github_id: z
      .string()
      .nullable()
      .openapi({ description: "GitHub's installation id; null for a local tenant" }),
    account_login: z.string().openapi({ example: "acme" }),
    account_type: z.string().openapi({ example: "Organization" }),
    suspended_at: Timestamp.nullable(),
    deleted_at: Timestamp.nullable(),
    created_at: Timestamp,
    repositories: z
      .number()
      .int()
      .openapi({ description: "Repositories of the installation (removed ones too)" }),
  })
  .openapi("Installation");

export const InstallationListSchema = z
  .object({ content: z.array(InstallationSchema) })
  .openapi("InstallationList");

const PolicyBounds = z.object({ max: EnforcementEnum.nullable(), min: EnforcementEnum.nullable() });

export const RepositorySchema = z
  .object({
    id: z.string(),
    full_name: z.string().openapi({ example: "acme/shop" }),
    default_branch: z.string(),
    private: z.boolean(),
    removed_at: Timestamp.nullable().openapi({ description: "Taken out of the installation (history kept)" }),
    policy: PolicyBounds.extend({
      updated_by: z.string().nullable(),
      updated_at: Timestamp.nullable(),
    }).openapi({ description: "The platform team's cap and floor (null bounds: none)" }),
    contract_levels: z
      .array(EnforcementEnum)
      .openapi({ description: "Enforcement levels of the contracts that live in the repository" }),
    open_violations: z.number().int(),
    last_analysis: z
      .object({
        head_sha: z.string(),
        pr_number: z.number().int().nullable(),
        conclusion: z.string().nullable(),
        at: Timestamp,
      })
      .nullable(),
  })
  .openapi("Repository");

export const RepositoryPageSchema = pageOf(RepositorySchema, "RepositoryPage");

export const RepositoryListQuery = z.object({
  name: z.string().min(1).max(200).optional().openapi({ description: "Part of owner/name" }),
  ...PageQuery,
});

export const PolicyListSchema = z
  .object({
    content: z.array(
      PolicyBounds.extend({
        repo: z.string(),
        updated_by: z.string().nullable(),
        updated_at: Timestamp,
      }),
    ),
  })
  .openapi("RepoPolicyList");

export const DryRunQuery = z.object({
  level: z.literal("BLOCK").optional().openapi({
    description: "The level to simulate; BLOCK (the only level that stops a merge) is the default",
  }),
});

export const DryRunSchema = z
  .object({
    repo: z.string(),
    level: z.literal("BLOCK"),
    would_block: z.number().int().openapi({ description: "PRs with an unwaived error violation" }),
    newly_blocked: z.number().int().openapi({ description: "Of those, PRs that were not blocked as it was" }),
    pull_requests: z
      .array(
        z.object({
          number: z.number().int(),
          link: z.string().nullable(),
          violations: z.number().int(),
          blocked_now: z.boolean(),
          last_detected_at: Timestamp,
        }),
      )
      .openapi({ description: "Newest first, at most 100" }),
  })
  .openapi("DryRun");

export const ANALYSIS_KINDS = ["analyze", "merge-group", "merged", "push"] as const;
export { JOB_STATUSES };

export const AnalysisSchema = z
  .object({
    id: z.string().openapi({ description: "The job's id" }),
    kind: z.string().openapi({
      description: "analyze (a pull request), merge-group, merged (a merged PR's bookkeeping), push",
    }),
    status: z.enum(JOB_STATUSES).openapi({
      description:
        "queued (waiting, also between retries) | running | done | dead (the dead letter: every attempt failed; re-run it with POST /analyses/{id}/rerun)",
    }),
    repo: z.string().nullable(),
    pr_number: z.number().int().nullable(),
    head_sha: z.string().nullable(),
    attempts: z.number().int(),
    error: z.string().nullable().openapi({
      description: "The last attempt's error (kept while a retry waits, and in the dead letter)",
    }),
    next_attempt_at: Timestamp.nullable().openapi({
      description:
        "When a queued job is due: its first run, or the retry after a failed attempt (exponential backoff)",
    }),
    worker: z.string().nullable().openapi({
      description:
        "While running: the worker holding its lease (host:pid:worker); another takes over if the lease expires",
    }),
    queued_at: Timestamp,
    updated_at: Timestamp,
    duration_ms: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "From due to finished (done or failed); null while queued or running" }),
    check_run: z
      .object({
        id: z.string().nullable().openapi({ description: "GitHub's check run id" }),
        conclusion: z.string().nullable(),
        updated_at: Timestamp,
      })
      .nullable(),
  })
  .openapi("Analysis");

export const AnalysisPageSchema = pageOf(AnalysisSchema, "AnalysisPage");

export const AnalysisListQuery = z.object({
  kind: z.enum(ANALYSIS_KINDS).optional(),
  status: z.enum(JOB_STATUSES).optional(),
  repo: z
    .string()
    .regex(/^[^/\s]+\/[^/\s]+$/, "must be owner/name")
    .optional()
    .openapi({ example: "acme/shop" }),
  ...PageQuery,
});

export const OverviewQuery = z.object({
  days: z.coerce
    .number()
    .int()
    .min(1)
    .max(365)
    .optional()
    .openapi({ description: "Window, default 30 days" }),
});

export const OverviewSchema = z
  .object({
    since: Timestamp,
    days: z.array(
      z.object({
        date: z.string().openapi({ example: "2026-01-31" }),
        analysed: z.number().int().openapi({ description: "Pull requests analysed that day" }),
        blocked: z.number().int(),
        passed_with_violations: z.number().int(),
        waived: z.number().int().openapi({ description: "Pull requests with a violation waived that day" }),
      }),
    ),
    top_contracts: z.array(
      z.object({
        contract_id: z.string().nullable(),
        contract_name: z.string(),
        violations: z.number().int(),
      }),
    ),
    top_repositories: z.array(z.object({ repo: z.string(), violations: z.number().int() })),
    totals: z.object({
      contracts: z.number().int(),
      open_violations: z.number().int(),
      repositories: z.number().int(),
    }),
  })
  .openapi("Overview");

export const WaiverListQuery = z.object({
  repo: z
    .string()
    .regex(/^[^/\s]+\/[^/\s]+$/, "must be owner/name")
    .optional(),
  contract: z.string().min(1).max(64).optional().openapi({ description: "Contract id" }),
  ...PageQuery,
});

export const ScanListAllQuery = z.object({
  source_id: z.string().min(1).max(64).optional(),
  ...PageQuery,
});
