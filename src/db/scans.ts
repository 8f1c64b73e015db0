import { CovenantError } from "../core/errors.ts";
import type { Db } from "./client.ts";
import type { Scan, ScanLog } from "./generated/sqlite/client.ts";
import {
  afterCursor,
  decodeCursor,
  encodeCursor,
  type Page,
  type PageRequest,
  paginate,
} from "./pagination.ts";

export type { Scan as ScanRow, ScanLog as ScanLogRow } from "./generated/sqlite/client.ts";

export const SCAN_STATUSES = ["queued", "running", "passed", "failed", "error", "cancelled"] as const;
export type ScanStatus = (typeof SCAN_STATUSES)[number];
export const FINISHED_SCAN_STATUSES: readonly ScanStatus[] = ["passed", "failed", "error", "cancelled"];

export const isScanFinished = (status: string): boolean =>
  (FINISHED_SCAN_STATUSES as readonly string[]).includes(status);

export type NewScan = {
  installationId: string;
  contractId: string;
  contractVersion: string;
  sourceId: string;
  table?: string | null;
  sampleLimit?: number | null;
  createdBy?: string | null;
};

export const createScan = (db: Db, input: NewScan): Promise<Scan> =>
  db.scan.create({
    data: {
      installationId: input.installationId,
      contractId: input.contractId,
      contractVersion: input.contractVersion,
      sourceId: input.sourceId,
      table: input.table ?? null,
      sampleLimit: input.sampleLimit ?? null,
      createdBy: input.createdBy ?? null,
    },
  });

/** A scan of this installation, or null (another installation's scan is never found). */
export const getScan = (db: Db, installationId: string, id: string): Promise<Scan | null> =>
  db.scan.findFirst({ where: { id, installationId } });

/** Newest first. */
export const listScans = (
  db: Db,
  installationId: string,
  filters: { contractId?: string; sourceId?: string },
  page: PageRequest,
): Promise<Page<Scan>> =>
  paginate<Scan>(db.scan, {
    where: {
      installationId,
      ...(filters.contractId ? { contractId: filters.contractId } : {}),
      ...(filters.sourceId ? { sourceId: filters.sourceId } : {}),
    },
    field: "createdAt",
    direction: "desc",
    request: page,
    omit: { result: true },
  });

/**
 * Marks a scan running. A queued scan starts; a running one is taken over (its worker died and
 * the job queue runs it again). Null when the scan is gone, finished or cancelled: nothing to do.
 */
export const startScan = async (db: Db, id: string, at: Date): Promise<Scan | null> => {
  const { count } = await db.scan.updateMany({
    where: { id, status: { in: ["queued", "running"] }, cancelRequested: false },
    data: { status: "running", startedAt: at, finishedAt: null, error: null },
  });
  return count === 0 ? null : db.scan.findUnique({ where: { id } });
};

/**
 * Ends as cancelled a running scan whose cancel was requested after the instance running it died:
 * no one is left to honour the request, and startScan will not take it over. True when it did.
 */
export const cancelAbandonedScan = async (db: Db, id: string, at: Date): Promise<boolean> => {
  const { count } = await db.scan.updateMany({
    where: { id, status: "running", cancelRequested: true },
    data: { status: "cancelled", finishedAt: at, error: "cancelled while running" },
  });
  return count === 1;
};

export type ScanOutcome = {
  id: string;
  status: Exclude<ScanStatus, "queued" | "running">;
  at: Date;
  result?: unknown;
  error?: string | null;
  validationRunId?: string | null;
};

/** Records the end of a running scan; false when it was not running any more (deleted, finished). */
export const finishScan = async (db: Db, outcome: ScanOutcome): Promise<boolean> => {
  const { count } = await db.scan.updateMany({
    where: { id: outcome.id, status: "running" },
    data: {
      status: outcome.status,
      finishedAt: outcome.at,
      result: outcome.result === undefined ? null : JSON.stringify(outcome.result),
      error: outcome.error ?? null,
      validationRunId: outcome.validationRunId ?? null,
    },
  });
  return count === 1;
};

/** Ends a scan that never started (its job could not be queued) as an error. */
export const abandonQueuedScan = async (db: Db, id: string, error: string, at: Date): Promise<void> => {
  await db.scan.updateMany({
    where: { id, status: "queued" },
    data: { status: "error", error, finishedAt: at },
  });
};

/**
 * A cancel request. A queued scan is cancelled at once; a running one gets `cancelRequested`,
 * which the instance running it polls (it may be another instance) to abort its queries. A
 * finished scan -> conflict. Conditional updates, so a scan starting meanwhile is still caught.
 */
export const requestScanCancel = async (
  db: Db,
  installationId: string,
  id: string,
  at: Date,
): Promise<Scan> => {
  for (let attempt = 0; attempt < 3; attempt++) {
    const scan = await getScan(db, installationId, id);
    if (!scan) throw new CovenantError("not_found", `Scan ${id} not found.`);
    if (isScanFinished(scan.status)) {
      throw new CovenantError(
        "conflict",
        `Scan ${id} already finished (${scan.status}); there is nothing to cancel.`,
      );
    }
    const { count } =
      scan.status === "queued"
        ? await db.scan.updateMany({
            where: { id, status: "queued" },
            data: { status: "cancelled", cancelRequested: true, finishedAt: at },
          })
        : await db.scan.updateMany({ where: { id, status: "running" }, data: { cancelRequested: true } });
    if (count === 1) {
      const row = await getScan(db, installationId, id);
      if (row) return row;
    }
  }
  throw new CovenantError("conflict", `Scan ${id} kept changing status; read it again and retry.`);
};

export const isScanCancelRequested = async (db: Db, id: string): Promise<boolean> => {
  const row = await db.scan.findUnique({ where: { id }, select: { cancelRequested: true } });
  // A scan deleted meanwhile (its source was force-deleted) is as good as cancelled.
  return row === null || row.cancelRequested;
};

export type ScanLogLine = { level: "debug" | "info" | "warn" | "error"; message: string; at: Date };

export const appendScanLog = async (db: Db, scanId: string, line: ScanLogLine): Promise<void> => {
  await db.scanLog.create({ data: { scanId, at: line.at, level: line.level, message: line.message } });
};

export const MAX_LOG_LINES_PER_PAGE = 500;

/** Log lines in order, after an optional cursor; the cursor of the last line continues the tail. */
export const listScanLogs = async (
  db: Db,
  scanId: string,
  { after, limit = MAX_LOG_LINES_PER_PAGE }: { after?: string; limit?: number },
): Promise<{ lines: ScanLog[]; cursor: string | null }> => {
  const where = after
    ? { AND: [{ scanId }, afterCursor("at", "asc", decodeCursor(after, "after"))] }
    : { scanId };
  const lines = await db.scanLog.findMany({
    where,
    orderBy: [{ at: "asc" }, { id: "asc" }],
    take: Math.min(Math.max(limit, 1), MAX_LOG_LINES_PER_PAGE),
  });
  const last = lines.at(-1);
  return { lines, cursor: last ? encodeCursor(last.at, last.id) : (after ?? null) };
};
