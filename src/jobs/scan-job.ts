import { CovenantError } from "../core/errors.ts";
import { parseContract } from "../core/model/contract.ts";
import { dataValidationRefusal } from "../core/model/lifecycle.ts";
import type { Db } from "../db/client.ts";
import { getContract } from "../db/contracts.ts";
import { getDataSource } from "../db/data-sources.ts";
import { findInstallationStopReason } from "../db/installations.ts";
import type { EnqueueJobInput } from "../db/jobs.ts";
import {
  appendScanLog,
  cancelAbandonedScan,
  finishScan,
  isScanCancelRequested,
  type ScanLogLine,
  type ScanRow,
  startScan,
} from "../db/scans.ts";
import { createValidationRun } from "../db/validation-runs.ts";
import { getContractVersion } from "../db/versions.ts";
import { withRegisteredSource } from "../sources/registered-source.ts";
import { resolveStoredSource, type SourceSettings, scrubSourceMessage } from "../sources/source-location.ts";
import { validateSource } from "../sources/validate-source.ts";
import { validationRunInput } from "../sources/validation-run-input.ts";
import type { JobContext } from "./job-queue.ts";

export const SCAN_JOB_KIND = "data.scan";

export type ScanJobPayload = { scanId: string };

/** The job that runs a scan: one per scan, so a crash re-runs exactly that scan. */
export const scanJob = (scanId: string, installationId: string): EnqueueJobInput => ({
  kind: SCAN_JOB_KIND,
  dedupeKey: `scan:${scanId}`,
  payload: { scanId } satisfies ScanJobPayload,
  installationId,
});

type Log = {
  info: (obj: object, msg: string) => void;
  warn: (obj: object, msg: string) => void;
  error: (obj: object, msg: string) => void;
};

export type ScanServices = {
  db: Db;
  logger: Log;
  sources: SourceSettings;
  /** Statement timeout of the scan's queries. */
  timeoutMs: number;
  /** Aborted when this instance shuts down: a running scan stops and its job runs again later. */
  shutdown?: AbortSignal;
  /** How often the running scan looks for a cancel request (which may reach another instance). */
  cancelPollMs?: number;
  now?: () => Date;
};

/** Log lines of one scan, written in order with strictly increasing times (the `after` cursor relies on it). */
const scanLogWriter = (db: Db, scanId: string, now: () => Date) => {
  let last = 0;
  let chain: Promise<void> = Promise.resolve();
  const write = (level: ScanLogLine["level"], message: string) => {
    const at = Math.max(now().getTime(), last + 1);
    last = at;
    chain = chain
      .then(() => appendScanLog(db, scanId, { level, message: message.slice(0, 4000), at: new Date(at) }))
      .catch(() => {});
  };
  return { write, flush: () => chain };
};

const contractOfScan = async (db: Db, scan: ScanRow) => {
  const contract = await getContract(db, scan.installationId, scan.contractId);
  if (!contract) throw new CovenantError("not_found", "The contract was deleted.");
  // Archived while the scan waited in the queue.
  const refusal = dataValidationRefusal(contract.name, contract.status);
  if (refusal) throw new CovenantError("conflict", refusal);
  const contents =
    contract.version === scan.contractVersion
      ? contract.contents
      : (await getContractVersion(db, scan.contractId, scan.contractVersion))?.contents;
  if (contents === undefined) {
    throw new CovenantError(
      "not_found",
      `Version ${scan.contractVersion} of contract "${contract.name}" is gone.`,
    );
  }
  const parsed = parseContract(contents, "stored contents");
  if (!parsed.ok) {
    const first = parsed.errors[0];
    throw new CovenantError(
      "unprocessable",
      `Contract "${contract.name}" ${scan.contractVersion} no longer validates` +
        `${first ? ` (${first.line}:${first.column} ${first.message})` : ""}: publish a corrected version.`,
    );
  }
  return { row: contract, contract: parsed.contract };
};

/**
 * Runs one scan: validates the contract against its source with the AbortSignal wired to the
 * scan's cancel flag, then records the run and its violations. A data problem (source gone,
 * timeout, bad rule) ends the scan as `error`; only a failure to record the outcome throws, so
 * the job queue retries (and the retry takes over the `running` scan).
 */
export const runScanJob = async (
  services: ScanServices,
  payload: ScanJobPayload,
  job: Pick<JobContext, "attempt" | "lastAttempt">,
): Promise<void> => {
  const { db, logger } = services;
  const now = services.now ?? (() => new Date());
  const scan = await startScan(db, payload.scanId, now());
  if (!scan) {
    // Cancelled while queued, finished, or deleted with its source: nothing to do. Unless it was
    // running when its instance died and a cancel came meanwhile: it ends cancelled now.
    const at = now();
    if (await cancelAbandonedScan(db, payload.scanId, at)) {
      await appendScanLog(db, payload.scanId, {
        level: "warn",
        message: "Cancelled: the instance running it had stopped, so it was not run again.",
        at,
      });
    }
    return;
  }
  const log = scanLogWriter(db, scan.id, now);
  if (job.attempt > 1)
    log.write("warn", `Restarted (attempt ${job.attempt}): the previous run was interrupted.`);

  const controller = new AbortController();
  let cancelled = false;
  const poll = setInterval(() => {
    isScanCancelRequested(db, scan.id)
      .then((requested) => {
        if (requested && !cancelled) {
          cancelled = true;
          log.write("warn", "Cancel requested: aborting the running queries.");
          controller.abort(new CovenantError("conflict", "The scan was cancelled."));
        }
      })
      .catch(() => {});
  }, services.cancelPollMs ?? 500);

  const end = async (outcome: Parameters<typeof finishScan>[1]) => {
    await log.flush();
    if (!(await finishScan(db, outcome)))
      logger.warn({ scanId: scan.id }, "scan vanished before it finished");
  };

  let outcome: Awaited<ReturnType<typeof validateSource>> | undefined;
  let context: Awaited<ReturnType<typeof contractOfScan>> | undefined;
  let sourceName = "";
  const startedAt = now();
  try {
    const stopped = await findInstallationStopReason(db, { id: scan.installationId });
    if (stopped) throw new CovenantError("forbidden", stopped);
    context = await contractOfScan(db, scan);
    const source = await getDataSource(db, scan.installationId, scan.sourceId);
    if (!source) throw new CovenantError("not_found", "The data source was deleted.");
    sourceName = source.name;
    const resolved = resolveStoredSource(source, services.sources);
    log.write(
      "info",
      `Validating contract "${context.row.name}" ${scan.contractVersion} against source "${source.name}" ` +
        `(${resolved.kind} ${resolved.label})${scan.table ? `, table ${scan.table}` : ""}` +
        `${scan.sampleLimit ? `, sample of ${scan.sampleLimit} rows` : ""}.`,
    );
    const contract = context.contract;
    const validated = await withRegisteredSource(resolved, (opened) =>
      validateSource(contract, opened, {
        ...(scan.table ? { table: scan.table } : {}),
        ...(scan.sampleLimit ? { sampleLimit: scan.sampleLimit } : {}),
        timeoutMs: services.timeoutMs,
        signal: services.shutdown
          ? AbortSignal.any([controller.signal, services.shutdown])
          : controller.signal,
        log: (level, message) => log.write(level, scrubSourceMessage(message, resolved)),
      }),
    );
    outcome = { ...validated, source: resolved.label };
  } catch (error) {
    clearInterval(poll);
    if (services.shutdown?.aborted && !cancelled) {
      if (job.lastAttempt) {
        // No run follows a failed last attempt: end the scan rather than leave it running forever.
        const message = `interrupted by a server shutdown on its last attempt (${job.attempt}): verify again`;
        log.write(
          "error",
          `Interrupted by a server shutdown on its last attempt (${job.attempt}); giving up.`,
        );
        await end({ id: scan.id, status: "error", at: now(), error: message });
        return;
      }
      log.write("warn", "Interrupted by a server shutdown; the scan will run again.");
      await log.flush();
      throw new Error("scan interrupted by a server shutdown");
    }
    if (cancelled || controller.signal.aborted) {
      log.write("warn", "Cancelled while running.");
      await end({ id: scan.id, status: "cancelled", at: now(), error: "cancelled while running" });
      return;
    }
    const message = error instanceof CovenantError ? error.message : "internal error (logged on the server)";
    if (!(error instanceof CovenantError)) logger.error({ err: error, scanId: scan.id }, "scan failed");
    log.write("error", message);
    await end({ id: scan.id, status: "error", at: now(), error: message });
    return;
  }
  clearInterval(poll);
  if (cancelled) {
    log.write("warn", "Cancelled; the result is discarded.");
    await end({ id: scan.id, status: "cancelled", at: now(), error: "cancelled while running" });
    return;
  }

  try {
    const finishedAt = now();
    const recorded = await createValidationRun(
      db,
      validationRunInput(outcome, {
        installationId: scan.installationId,
        contract: context.contract,
        contractId: scan.contractId,
        contractVersion: scan.contractVersion,
        enforcement: context.row.enforcement,
        source: { id: scan.sourceId, name: sourceName },
        table: outcome.table,
        createdBy: scan.createdBy ?? "covenant",
        startedAt,
        finishedAt,
      }),
    );
    log.write(
      outcome.passed ? "info" : "warn",
      `${outcome.passed ? "Passed" : "Failed"}: ${outcome.rows_evaluated} rows, ${outcome.rules_passed} rule(s) passed, ` +
        `${outcome.rules_failed} failed, ${outcome.rules_not_evaluated} not evaluated; ` +
        `${recorded.violations.length} violation(s) recorded, ${recorded.resolved.length} resolved as fixed ` +
        `(validation run ${recorded.run.id}).`,
    );
    await end({
      id: scan.id,
      status: outcome.passed ? "passed" : "failed",
      at: finishedAt,
      result: outcome,
      validationRunId: recorded.run.id,
    });
  } catch (error) {
    if (!job.lastAttempt) throw error;
    log.write("error", "Could not record the result (database error); giving up.");
    await end({ id: scan.id, status: "error", at: now(), error: "could not record the result" }).catch(
      () => {},
    );
    throw error;
  }
};
