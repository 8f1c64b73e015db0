import type { DataSourceRow } from "../db/data-sources.ts";
import type { ScanLogRow, ScanRow } from "../db/scans.ts";
import { redactLocation } from "../sources/open-source.ts";
import type { SourceKind } from "../sources/types.ts";

// Data sources and scans -> response bodies. A location is always shown redacted: a stored URL
// never has a password (refused at registration), but redaction is kept as a second guard.

const iso = (d: Date): string => d.toISOString();
const isoOrNull = (d: Date | null): string | null => (d ? d.toISOString() : null);

export const presentSource = (s: DataSourceRow) => ({
  id: s.id,
  name: s.name,
  kind: s.kind as SourceKind,
  location: s.location === null ? null : redactLocation(s.location),
  location_env: s.locationEnv,
  description: s.description,
  created_by: s.createdBy,
  created_at: iso(s.createdAt),
  updated_at: iso(s.updatedAt),
});

const parseObject = (text: string | null): Record<string, unknown> | null => {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
};

type ScanStatus = "queued" | "running" | "passed" | "failed" | "error" | "cancelled";

export const presentScan = (s: Omit<ScanRow, "result"> & { result?: string | null }) => ({
  id: s.id,
  contract_id: s.contractId,
  contract_version: s.contractVersion,
  source_id: s.sourceId,
  table: s.table,
  sample_limit: s.sampleLimit,
  status: s.status as ScanStatus,
  cancel_requested: s.cancelRequested,
  ...(s.result !== undefined ? { result: parseObject(s.result) } : {}),
  error: s.error,
  validation_run_id: s.validationRunId,
  created_by: s.createdBy,
  created_at: iso(s.createdAt),
  started_at: isoOrNull(s.startedAt),
  finished_at: isoOrNull(s.finishedAt),
});

/** `done`: the scan has finished and this answer holds its last lines. */
export const presentScanLogs = (lines: ScanLogRow[], cursor: string | null, done: boolean) => ({
  content: lines.map((l) => ({
    at: iso(l.at),
    level: l.level as "debug" | "info" | "warn" | "error",
    message: l.message,
  })),
  cursor,
  done,
});
