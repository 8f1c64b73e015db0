import { z } from "@hono/zod-openapi";
import { CONTRACT_STATUSES, ENFORCEMENT_LEVELS } from "../core/model/contract-levels.ts";
import { VIOLATION_STATUSES } from "../core/model/lifecycle.ts";
import { API_KEY_SCOPES } from "../db/api-keys.ts";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../db/pagination.ts";
import { aliasOf } from "./input-aliases.ts";

// Field names: snake_case, in requests and responses alike (docs/api.md). The few camelCase names
// of the systems Covenant replaces that are still accepted on input are declared with `aliasOf`
// (input-aliases.ts) and never appear in a response.

const EARLIEST = Date.parse("0001-01-01T00:00:00Z");
const LATEST = Date.parse("9999-12-31T23:59:59.999Z");

/** An ISO 8601 date or date-time a database can store: year 0 or 10000 is not one (a 500 before). */
const INSTANT_FORMAT =
  "must be an ISO 8601 date (2026-01-31) or date-time with a zone (2026-01-31T12:00:00Z, 2026-01-31T12:00:00+02:00)";
const Instant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], {
    error: (issue) => `${INSTANT_FORMAT}, got ${JSON.stringify(issue.input)}`,
  })
  .refine(
    (value) => {
      const at = Date.parse(value);
      return at >= EARLIEST && at <= LATEST;
    },
    { error: "must be a date between 0001-01-01 and 9999-12-31" },
  );

const Timestamp = z.string().openapi({ format: "date-time", example: "2026-01-31T12:00:00.000Z" });
const NullableTimestamp = Timestamp.nullable();

export const ErrorSchema = z
  .object({
    code: z.string().openapi({ description: "Stable machine-readable code", example: "invalid_input" }),
    message: z.string().openapi({ description: "What went wrong and what to do" }),
    details: z
      .array(
        z.object({
          path: z
            .string()
            .openapi({ description: "Field path (`dataset.name`, `rows[3]`), empty for the document" }),
          message: z.string(),
          line: z
            .number()
            .int()
            .optional()
            .openapi({ description: "YAML line (1-based), for contract contents" }),
          column: z.number().int().optional().openapi({ description: "YAML column (1-based)" }),
        }),
      )
      .optional(),
  })
  .openapi("Error");

export const IdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "cm9x1abcd0000" }),
});

export const PageQuery = {
  page: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .openapi({ description: "0-based page number (ignored when `cursor` is given)", example: 0 }),
  size: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .optional()
    .openapi({
      description: `Page size, default ${DEFAULT_PAGE_SIZE}, at most ${MAX_PAGE_SIZE}`,
      example: 20,
    }),
  cursor: z
    .string()
    .max(500)
    .optional()
    .openapi({ description: "Opaque cursor from a previous page: continue right after its last item" }),
};

export const pageOf = <T extends z.ZodType>(item: T, name: string) =>
  z
    .object({
      content: z.array(item),
      page: z.number().int().nullable().openapi({ description: "0-based page; null when reached by cursor" }),
      size: z.number().int(),
      total_elements: z.number().int().openapi({ description: "Items matching the filters, all pages" }),
      total_pages: z.number().int(),
      cursor: z
        .string()
        .nullable()
        .openapi({ description: "Pass as `cursor` to get the next items; null on the last page" }),
    })
    .openapi(name);

export const ContractStatusEnum = z.enum(CONTRACT_STATUSES).openapi({ description: "Lifecycle status" });
export const EnforcementEnum = z
  .enum(ENFORCEMENT_LEVELS)
  .openapi({ description: "What happens on a violation" });

export const ContractSummarySchema = z
  .object({
    id: z.string(),
    name: z.string().openapi({ example: "orders" }),
    version: z.string().openapi({ description: "Semver of the current version", example: "1.2.0" }),
    status: ContractStatusEnum,
    enforcement: EnforcementEnum,
    owners: z.array(z.string()).openapi({ example: ["@acme/data-platform"] }),
    description: z.string().nullable(),
    dataset: z.object({
      type: z.string().openapi({ example: "table" }),
      name: z.string().openapi({ example: "public.orders" }),
    }),
    checksum: z.string().openapi({ description: "sha256 of the current contents" }),
    repository_id: z.string().nullable(),
    file_path: z.string().nullable(),
    deprecation_reason: z.string().nullable(),
    successor_contract_id: z.string().nullable(),
    created_by: z.string().nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
    activated_at: NullableTimestamp,
    deprecated_at: NullableTimestamp,
    archived_at: NullableTimestamp,
  })
  .openapi("ContractSummary");

export const ContractSchema = ContractSummarySchema.extend({
  contents: z.string().openapi({ description: "The current version's YAML, as published" }),
  warnings: z
    .array(z.string())
    .optional()
    .openapi({ description: "Things the server ignored, e.g. a `status` in the YAML of a new contract" }),
}).openapi("Contract");

export const ContractPageSchema = pageOf(ContractSummarySchema, "ContractPage");

export const ContractListQuery = z.object({
  status: ContractStatusEnum.optional(),
  dataset: z
    .string()
    .min(1)
    .max(300)
    .optional()
    .openapi({ description: "Exact dataset name, e.g. public.orders" }),
  repo: z
    .string()
    .regex(/^[^/\s]+\/[^/\s]+$/, "must be owner/name")
    .optional()
    .openapi({ description: "Repository owner/name where the contract file lives" }),
  owner: z
    .string()
    .regex(/^@?[A-Za-z0-9][A-Za-z0-9-]*(\/[A-Za-z0-9][A-Za-z0-9_.-]*)?$/, "must be @user or @org/team")
    .optional()
    .openapi({ description: "A GitHub user or team among the owners", example: "@acme/data-platform" }),
  q: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .openapi({ description: "Part of the contract's name or dataset name", example: "orders" }),
  ...PageQuery,
});

const YamlContents = z.string().min(1).max(1_000_000).openapi({
  description: "Contract YAML: Covenant format or ODCS v3 (`apiVersion: v3.x`, `kind: DataContract`)",
});

/**
 * Either `contents` (YAML) or the contract's fields as JSON. Unknown fields are rejected by the
 * contract schema with their path.
 */
export const CreateContractBody = z
  .object({
    contents: YamlContents.optional(),
    changelog: z.string().max(10_000).optional(),
    name: z.string().optional().openapi({ example: "orders" }),
    version: z.string().optional().openapi({ description: "Semver; default 1.0.0", example: "1.0.0" }),
    owner: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .openapi({ description: "GitHub team(s) or user(s)" }),
    enforcement: EnforcementEnum.optional(),
    enforcementLevel: aliasOf(EnforcementEnum, "enforcementLevel"),
    description: z.string().optional(),
    dataset: z.object({ type: z.string().optional(), name: z.string() }).loose().optional(),
    restrict_pii: z.boolean().optional(),
    schema: z
      .object({
        primary_key: z.array(z.string()).optional(),
        columns: z.array(z.record(z.string(), z.unknown())),
      })
      .loose()
      .optional()
      .openapi({
        description:
          "`{ primary_key?, columns: [{ name, type, required?, unique?, pii?, accepted_values? }] }`",
      }),
    quality: z.array(z.record(z.string(), z.unknown())).optional(),
    sla: z.record(z.string(), z.unknown()).optional(),
  })
  .loose()
  .openapi("CreateContract");

export const UpdateContractBody = z
  .object({
    enforcement: EnforcementEnum.optional(),
    enforcementLevel: aliasOf(EnforcementEnum, "enforcementLevel"),
    owner: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
    description: z.string().max(10_000).nullable().optional(),
    schema: z
      .object({
        primary_key: z.array(z.string()).optional(),
        columns: z.array(z.record(z.string(), z.unknown())),
      })
      .loose()
      .optional()
      .openapi({ description: "A new schema publishes a new version" }),
    quality: z.array(z.record(z.string(), z.unknown())).optional(),
    version: z
      .string()
      .optional()
      .openapi({ description: "Version to publish when the schema changes; default: next minor" }),
    changelog: z.string().max(10_000).optional(),
  })
  .strict()
  .openapi("UpdateContract");

export const ContractQuery = z.object({
  format: z
    .enum(["covenant", "odcs"])
    .optional()
    .openapi({ description: "`odcs` returns the ODCS v3 export" }),
});

export const DeprecateBody = z
  .object({
    reason: z.string().min(1).max(2000).openapi({ example: "replaced by orders_v2" }),
    successor_contract_id: z
      .string()
      .min(1)
      .optional()
      .openapi({ description: "A contract of the same installation that replaces this one" }),
  })
  .openapi("Deprecate");

export const VersionSchema = z
  .object({
    id: z.string(),
    version: z.string(),
    status: z.string().openapi({ description: "Contract status when the version was published" }),
    checksum: z.string(),
    changelog: z.string().nullable(),
    created_at: Timestamp,
    created_by: z.string().nullable(),
    contents: z.string().optional().openapi({ description: "Only when reading one version" }),
  })
  .openapi("ContractVersion");

export const VersionPageSchema = pageOf(VersionSchema, "ContractVersionPage");

export const VersionListQuery = z.object({
  created_before: Instant.optional().openapi({
    description: "Only versions created before this instant (ISO 8601)",
  }),
  createdBefore: aliasOf(Instant, "createdBefore"),
  ...PageQuery,
});

export const PublishVersionBody = z
  .object({ contents: YamlContents, changelog: z.string().max(10_000).optional() })
  .openapi("PublishVersion");

export const VersionParam = IdParam.extend({
  version: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: "version", in: "path" }, example: "1.1.0" }),
});

export const RESOURCE_TYPES = ["table", "view", "dbt_model", "catalog_table"] as const;

export const AssignBody = z
  .object({
    resource_type: z.enum(RESOURCE_TYPES),
    resource_id: z.string().min(1).max(500).openapi({ example: "warehouse.public.orders" }),
  })
  .openapi("AssignRequest");

export const AssignmentSchema = z
  .object({
    id: z.string(),
    contract_id: z.string(),
    resource_type: z.string(),
    resource_id: z.string(),
    created_by: z.string().nullable(),
    created_at: Timestamp,
  })
  .openapi("Assignment");

export const AssignmentListSchema = z
  .object({ content: z.array(AssignmentSchema) })
  .openapi("AssignmentList");

export const ViolationSchema = z
  .object({
    id: z.string(),
    status: z.enum(VIOLATION_STATUSES),
    rule: z.string().openapi({ example: "column-removed" }),
    severity: z.string(),
    enforcement: z.string(),
    contract_id: z.string().nullable(),
    contract_name: z.string(),
    contract_version: z.string().nullable(),
    dataset: z.string(),
    column: z.string().nullable(),
    message: z.string(),
    help: z.string().nullable(),
    expected: z.string().nullable(),
    actual: z.string().nullable(),
    file: z.string().nullable(),
    line: z.number().int().nullable(),
    git_hash: z.string().nullable(),
    git_repo: z.string().nullable(),
    pr_number: z.number().int().nullable(),
    pr_link: z.string().nullable(),
    author: z.string().nullable(),
    reviewers: z.array(z.string()),
    merged_at: NullableTimestamp,
    resolution: z.string().nullable(),
    notes: z.string().nullable(),
    resolved_by: z.string().nullable(),
    resolved_at: NullableTimestamp,
    waived_by: z.string().nullable(),
    waiver_reason: z.string().nullable(),
    waived_at: NullableTimestamp,
    sample_values: z.array(z.unknown()),
    validation_run_id: z.string().nullable(),
    detected_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("Violation");

export const ViolationPageSchema = pageOf(ViolationSchema, "ViolationPage");

const ViolationFilterFields = {
  status: z.enum(VIOLATION_STATUSES).optional(),
  rule: z.string().min(1).max(100).optional().openapi({ example: "column-removed" }),
  repo: z
    .string()
    .regex(/^[^/\s]+\/[^/\s]+$/, "must be owner/name")
    .optional()
    .openapi({ example: "acme/shop" }),
  gitRepo: aliasOf(z.string().regex(/^[^/\s]+\/[^/\s]+$/, "must be owner/name"), "gitRepo"),
  pr: z.coerce.number().int().positive().optional(),
  prNumber: aliasOf(z.coerce.number().int().positive(), "prNumber"),
  since: Instant.optional().openapi({ description: "Detected at or after (ISO 8601 date or date-time)" }),
  origin: z
    .enum(["pr", "data"])
    .optional()
    .openapi({ description: "pr: found on a pull request; data: found by validating data" }),
  ...PageQuery,
};

export const ViolationListQuery = z.object({
  ...ViolationFilterFields,
  contract: z.string().min(1).max(64).optional().openapi({ description: "Contract id" }),
  source_id: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .openapi({ description: "Data violations found against this registered data source" }),
  validation_run_id: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .openapi({ description: "The violations this validation run recorded" }),
});
export const ContractViolationListQuery = z.object(ViolationFilterFields);

export const ResolveBody = z
  .object({
    resolution: z.string().min(1).max(2000).openapi({ example: "column restored in #43" }),
    notes: z.string().max(10_000).optional(),
    resolved_by: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .openapi({ description: "Default: the API key's name" }),
  })
  .openapi("Resolve");

export const AcknowledgeBody = z.object({ notes: z.string().max(10_000).optional() }).openapi("Acknowledge");

export const MAX_VALIDATION_ROWS = 10_000;

export const ValidateBody = z
  .object({
    rows: z
      .array(z.record(z.string(), z.unknown()))
      .max(MAX_VALIDATION_ROWS)
      .optional()
      .openapi({ description: `Sample records keyed by column name, at most ${MAX_VALIDATION_ROWS}` }),
    source_id: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .openapi({ description: "A registered data source to validate instead of `rows`" }),
    table: z
      .string()
      .min(1)
      .max(300)
      .optional()
      .openapi({ description: "With source_id: the table; default the contract's dataset (a file has one)" }),
    sample_limit: z
      .number()
      .int()
      .positive()
      .max(10_000_000)
      .optional()
      .openapi({ description: "With source_id: check at most this many rows" }),
  })
  .openapi("ValidateRequest", {
    description: "Either `rows`, or `source_id` (with optional `table` and `sample_limit`)",
  });

export const RuleResultSchema = z
  .object({
    rule_id: z.string().openapi({
      description:
        "`column:<name>:<check>`, `primary_key:not_null` / `primary_key:unique`, `schema:<engine rule>[:<column>]`, `sla:freshness` / `sla:completeness`, or the quality rule id",
    }),
    kind: z.string(),
    column: z.string().optional(),
    status: z.enum(["passed", "failed", "not_evaluated"]),
    failed_rows: z.number().int(),
    message: z.string(),
    reason: z.string().optional(),
    sample_values: z.array(z.unknown()).openapi({ description: "Up to 5 offending values" }),
    sample_rows: z
      .array(z.number().int())
      .openapi({ description: "0-based indexes of up to 5 offending rows" }),
    rule: z
      .string()
      .optional()
      .openapi({ description: "Schema checks: the engine's rule id (e.g. contract-column-missing)" }),
    observed: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ description: "SLA checks: what was measured (lag_minutes, completeness_pct, …)" }),
    violation_id: z.string().optional().openapi({ description: "Failed rules: the violation recorded" }),
  })
  .openapi("RuleResult");

export const ValidationRunSchema = z
  .object({
    id: z.string(),
    contract_id: z.string(),
    contract_version: z.string(),
    status: z.enum(["passed", "failed", "error"]),
    rows_evaluated: z.number().int(),
    rules_passed: z.number().int(),
    rules_failed: z.number().int(),
    rules_not_evaluated: z.number().int(),
    results: z.array(RuleResultSchema),
    passed: z.boolean(),
    checked_at: Timestamp.openapi({ description: "When the data was checked" }),
    source_id: z
      .string()
      .nullable()
      .openapi({ description: "The data source validated; null for rows sent in the request" }),
    table: z.string().nullable(),
    schema: z
      .object({ score: z.number(), status: z.string(), diff: z.unknown() })
      .loose()
      .nullable()
      .openapi({ description: "A source's table against the contract's schema (0-100 score)" }),
    error: z.string().nullable(),
    violations: z
      .array(
        z.object({
          id: z.string(),
          rule: z.string(),
          status: z.enum(VIOLATION_STATUSES),
          column: z.string().nullable(),
          message: z.string(),
        }),
      )
      .openapi({ description: "The violations this run recorded, in their current status" }),
    created_by: z.string().nullable(),
    created_at: Timestamp,
    finished_at: NullableTimestamp,
  })
  .openapi("ValidationRun");

export const RepoParams = z.object({
  owner: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/)
    .max(100)
    .openapi({ param: { name: "owner", in: "path" }, example: "acme" }),
  repo: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .max(100)
    .openapi({ param: { name: "repo", in: "path" }, example: "shop" }),
});

export const PolicyBody = z
  .object({
    max: EnforcementEnum.nullable().optional().openapi({ description: "Cap (e.g. NOTIFY for a dry run)" }),
    min: EnforcementEnum.nullable().optional().openapi({ description: "Floor" }),
  })
  .strict()
  .openapi("RepoPolicyRequest");

export const PolicySchema = z
  .object({
    repo: z.string().openapi({ example: "acme/shop" }),
    max: EnforcementEnum.nullable(),
    min: EnforcementEnum.nullable(),
    updated_by: z.string().nullable(),
    updated_at: NullableTimestamp,
  })
  .openapi("RepoPolicy");

export const ApiKeyScopeEnum = z.enum(API_KEY_SCOPES).openapi({
  description:
    "read: GET; manage: read + contracts, violations, validation; admin: manage + API keys, policies",
});

export const CreateApiKeyBody = z
  .object({ name: z.string().min(1).max(100).openapi({ example: "ci" }), scope: ApiKeyScopeEnum })
  .openapi("CreateApiKey");

export const ApiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    scope: ApiKeyScopeEnum,
    prefix: z.string().openapi({ description: "First characters of the key, to recognise it" }),
    created_by: z.string().nullable(),
    created_at: Timestamp,
    last_used_at: NullableTimestamp,
    revoked_at: NullableTimestamp,
  })
  .openapi("ApiKey");

export const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().openapi({ description: "The secret, shown only in this response", example: "cov_…" }),
}).openapi("CreatedApiKey");

export const ApiKeyListSchema = z.object({ content: z.array(ApiKeySchema) }).openapi("ApiKeyList");
