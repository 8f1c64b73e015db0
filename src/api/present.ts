import type { ValidationOutcome } from "../core/validate/evaluate-rows.ts";
import type { ApiKeyRow } from "../db/api-keys.ts";
import type { AssignmentRow } from "../db/assignments.ts";
import { type ContractRow, decodeOwners } from "../db/contracts.ts";
import type { Page } from "../db/pagination.ts";
import type { RepoPolicyRow } from "../db/policies.ts";
import type { ValidationRunRow } from "../db/validation-runs.ts";
import type { ContractVersionRow } from "../db/versions.ts";
import type { ViolationRow } from "../db/violations.ts";

// Database rows -> response bodies. Timestamps become ISO strings; JSON-in-text columns are parsed.

const iso = (d: Date): string => d.toISOString();
const isoOrNull = (d: Date | null): string | null => (d ? d.toISOString() : null);

const parseJsonArray = (text: string): unknown[] => {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value : [];
  } catch {
    return [];
  }
};

export const presentPage = <Row, Out>(page: Page<Row>, present: (row: Row) => Out) => ({
  content: page.content.map(present),
  page: page.page,
  size: page.size,
  total_elements: page.totalElements,
  total_pages: page.totalPages,
  cursor: page.cursor,
});

export const presentContractSummary = (c: Omit<ContractRow, "contents">) => ({
  id: c.id,
  name: c.name,
  version: c.version,
  status: c.status as "draft" | "active" | "deprecated" | "archived",
  enforcement: c.enforcement as "INACTIVE" | "RECORD" | "NOTIFY" | "ALERT" | "BLOCK",
  owners: decodeOwners(c.owners),
  description: c.description,
  dataset: { type: c.datasetType, name: c.datasetName },
  checksum: c.checksum,
  repository_id: c.repositoryId,
  file_path: c.filePath,
  deprecation_reason: c.deprecationReason,
  successor_contract_id: c.successorContractId,
  created_by: c.createdBy,
  created_at: iso(c.createdAt),
  updated_at: iso(c.updatedAt),
  activated_at: isoOrNull(c.activatedAt),
  deprecated_at: isoOrNull(c.deprecatedAt),
  archived_at: isoOrNull(c.archivedAt),
});

export const presentContract = (c: ContractRow, warnings: string[] = []) => ({
  ...presentContractSummary(c),
  contents: c.contents,
  ...(warnings.length > 0 ? { warnings } : {}),
});

export const presentVersion = (v: ContractVersionRow, withContents = false) => ({
  id: v.id,
  version: v.version,
  status: v.status,
  checksum: v.checksum,
  changelog: v.changelog,
  created_at: iso(v.createdAt),
  created_by: v.createdBy,
  ...(withContents ? { contents: v.contents } : {}),
});

export const presentAssignment = (a: AssignmentRow) => ({
  id: a.id,
  contract_id: a.contractId,
  resource_type: a.resourceType,
  resource_id: a.resourceId,
  created_by: a.createdBy,
  created_at: iso(a.createdAt),
});

export const presentViolation = (v: ViolationRow) => ({
  id: v.id,
  status: v.status as "open" | "acknowledged" | "resolved" | "waived",
  rule: v.rule,
  severity: v.severity,
  enforcement: v.enforcement,
  contract_id: v.contractId,
  contract_name: v.contractName,
  contract_version: v.contractVersion,
  dataset: v.dataset,
  column: v.column,
  message: v.message,
  help: v.help,
  expected: v.expected,
  actual: v.actual,
  file: v.file,
  line: v.line,
  git_hash: v.gitHash,
  git_repo: v.gitRepo,
  pr_number: v.prNumber,
  pr_link: v.prLink,
  author: v.author,
  reviewers: parseJsonArray(v.reviewers).map(String),
  merged_at: isoOrNull(v.mergedAt),
  resolution: v.resolution,
  notes: v.notes,
  resolved_by: v.resolvedBy,
  resolved_at: isoOrNull(v.resolvedAt),
  waived_by: v.waivedBy,
  waiver_reason: v.waiverReason,
  waived_at: isoOrNull(v.waivedAt),
  sample_values: parseJsonArray(v.sampleValues),
  validation_run_id: v.validationRunId,
  detected_at: iso(v.detectedAt),
  updated_at: iso(v.updatedAt),
});

const parseSchemaResult = (text: string | null) => {
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as { score?: unknown; status?: unknown } | null;
    return value && typeof value.score === "number" && typeof value.status === "string"
      ? (value as { score: number; status: string; diff: unknown })
      : null;
  } catch {
    return null;
  }
};

/** A validation run with the violations it recorded (pass them in their current state). */
export const presentValidationRun = (r: ValidationRunRow, violations: readonly ViolationRow[] = []) => {
  const results = parseJsonArray(r.results) as ValidationOutcome["results"];
  return {
    id: r.id,
    contract_id: r.contractId,
    contract_version: r.contractVersion,
    status: r.status as "passed" | "failed" | "error",
    rows_evaluated: r.rowsEvaluated,
    rules_passed: r.rulesPassed,
    rules_failed: r.rulesFailed,
    rules_not_evaluated: results.filter((x) => x.status === "not_evaluated").length,
    results,
    passed: r.status === "passed",
    checked_at: iso(r.finishedAt ?? r.createdAt),
    source_id: r.sourceId,
    table: r.table,
    schema: parseSchemaResult(r.schemaResult),
    error: r.error,
    violations: violations.map((v) => ({
      id: v.id,
      rule: v.rule,
      status: v.status as "open" | "acknowledged" | "resolved" | "waived",
      column: v.column,
      message: v.message,
    })),
    created_by: r.createdBy,
    created_at: iso(r.createdAt),
    finished_at: isoOrNull(r.finishedAt),
  };
};

type Level = "INACTIVE" | "RECORD" | "NOTIFY" | "ALERT" | "BLOCK";

export const presentPolicy = (repo: string, p: RepoPolicyRow | null) => ({
  repo,
  max: (p?.maxLevel ?? null) as Level | null,
  min: (p?.minLevel ?? null) as Level | null,
  updated_by: p?.updatedBy ?? null,
  updated_at: p ? iso(p.updatedAt) : null,
});

export const presentApiKey = (k: ApiKeyRow) => ({
  id: k.id,
  name: k.name,
  scope: k.scope as "read" | "manage" | "admin",
  prefix: k.prefix,
  created_by: k.createdBy,
  created_at: iso(k.createdAt),
  last_used_at: isoOrNull(k.lastUsedAt),
  revoked_at: isoOrNull(k.revokedAt),
});
