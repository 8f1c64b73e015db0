import type { OpenAPIHono } from "@hono/zod-openapi";
import { CovenantError } from "../../core/errors.ts";
import { dataValidationRefusal } from "../../core/model/lifecycle.ts";
import { evaluateRows } from "../../core/validate/evaluate-rows.ts";
import { guardContractRules } from "../../core/validate/plan.ts";
import type { Db } from "../../db/client.ts";
import type { EnqueueJobInput } from "../../db/jobs.ts";
import { abandonQueuedScan, createScan } from "../../db/scans.ts";
import { createValidationRun, getValidationRun, listViolationsOfRun } from "../../db/validation-runs.ts";
import { scanJob } from "../../jobs/scan-job.ts";
import { withRegisteredSource } from "../../sources/registered-source.ts";
import { resolveStoredSource, type SourceSettings } from "../../sources/source-location.ts";
import { validateSource } from "../../sources/validate-source.ts";
import { validationRunInput } from "../../sources/validation-run-input.ts";
import type { ApiEnv } from "../auth.ts";
import { storedContract } from "../contract-input.ts";
import { notFound } from "../errors.ts";
import { presentValidationRun } from "../present.ts";
import { presentScan } from "../present-sources.ts";
import { apiRoute, conflictResponse, tooLargeResponse, V1 } from "../route.ts";
import { IdParam, ValidateBody, ValidationRunSchema } from "../schemas.ts";
import { ScanSchema, VerifyBody } from "../source-schemas.ts";
import { loadContract } from "./contracts.ts";
import {
  refuseSourceOptionsWithRows,
  requireRowsOrSource,
  sourceErrorResponses,
  sourceOfBody,
} from "./sources.ts";

const json = <T>(schema: T) => ({ "application/json": { schema } });

/** 409 for a contract whose status forbids validating data against it (archived). */
const refuseArchived = (row: { name: string; status: string }): void => {
  const refusal = dataValidationRefusal(row.name, row.status);
  if (refusal) throw new CovenantError("conflict", refusal);
};

export type ValidateRouteDeps = {
  db: Db;
  sources: SourceSettings;
  /** Statement timeout of a synchronous validation against a source. */
  validateTimeoutMs: number;
  /** Queues a durable job (the scan runs on the job queue, on whichever instance claims it). */
  enqueue: (input: EnqueueJobInput) => Promise<unknown>;
};

const validateRoute = apiRoute("manage", {
  method: "post",
  path: `${V1}/contracts/{id}/validate`,
  tags: ["Validation"],
  summary: "Validate sample rows, or a data source's table, against the contract",
  description:
    "With `rows`: checks each column's promises (required -> not null, type family, accepted_values, unique) " +
    "and the quality rules that can be judged on rows (regex, not_null, unique, accepted_values, range, length, " +
    "row_count); SQL and custom rules are reported as not_evaluated with the reason. With `source_id` (and " +
    "optionally `table`, `sample_limit`): the registered source's table is checked where it lives, schema, " +
    "quality rules (sql included) and SLA, synchronously under the server's statement timeout (VALIDATE_TIMEOUT_MS, " +
    "30 s by default): use POST /contracts/{id}/verify for big tables. Each failed rule records or updates one " +
    "violation per (contract, source, table, rule) with up to 5 sample values; a rule that passes again " +
    "resolves its open violation. An archived contract is not validated (409): it promises nothing any more.",
  request: { params: IdParam, body: { required: true, content: json(ValidateBody) } },
  responses: {
    201: { description: "The validation run; Location names it", content: json(ValidationRunSchema) },
    ...tooLargeResponse,
    ...conflictResponse,
    ...sourceErrorResponses,
  },
});

const getRoute = apiRoute("read", {
  method: "get",
  path: `${V1}/validation-runs/{id}`,
  tags: ["Validation"],
  summary: "Get a validation run",
  request: { params: IdParam },
  responses: { 200: { description: "The validation run", content: json(ValidationRunSchema) } },
});

const verifyRoute = apiRoute("manage", {
  method: "post",
  path: `${V1}/contracts/{id}/verify`,
  tags: ["Scans"],
  summary: "Verify a data source's table against the contract (asynchronous scan)",
  description:
    "Queues a scan on the durable job queue and answers at once (201, Location /api/v1/scans/{id}, status " +
    "queued). Follow it with GET /scans/{id} and its log with GET /scans/{id}/logs; cancel it with POST " +
    "/scans/{id}/cancel. A finished scan becomes a validation run with its violations (like validate). " +
    "A scan interrupted by a crash is run again.",
  request: { params: IdParam, body: { required: true, content: json(VerifyBody) } },
  responses: {
    201: { description: "The queued scan; Location names it", content: json(ScanSchema) },
    ...conflictResponse,
  },
});

export const registerValidateRoutes = (app: OpenAPIHono<ApiEnv>, deps: ValidateRouteDeps): void => {
  const { db } = deps;

  app.openapi(validateRoute, async (c) => {
    const auth = c.get("auth");
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    requireRowsOrSource(body);
    const row = await loadContract(db, auth, id);
    refuseArchived(row);
    const contract = storedContract(row.contents);
    const startedAt = new Date();
    const common = {
      installationId: auth.installationId,
      contract,
      contractId: id,
      contractVersion: row.version,
      enforcement: row.enforcement,
      createdBy: auth.actor,
      startedAt,
    };
    let input: ReturnType<typeof validationRunInput>;
    if (body.rows !== undefined) {
      refuseSourceOptionsWithRows(body);
      // The same guards as against a source: a catastrophic regex must not run here either.
      guardContractRules(contract);
      const outcome = evaluateRows(contract, body.rows);
      input = validationRunInput(
        { ...outcome, passed: outcome.status === "passed" },
        { ...common, source: null, table: row.datasetName, finishedAt: new Date() },
      );
    } else {
      const source = await sourceOfBody(db, auth, body.source_id as string);
      const resolved = resolveStoredSource(source, deps.sources);
      const validated = await withRegisteredSource(resolved, (opened) =>
        validateSource(contract, opened, {
          ...(body.table ? { table: body.table } : {}),
          ...(body.sample_limit ? { sampleLimit: body.sample_limit } : {}),
          timeoutMs: deps.validateTimeoutMs,
          // A client that hangs up cancels the queries it started.
          signal: c.req.raw.signal,
        }),
      );
      const outcome = { ...validated, source: resolved.label };
      input = validationRunInput(outcome, {
        ...common,
        source: { id: source.id, name: source.name },
        table: outcome.table,
        finishedAt: new Date(),
      });
    }
    const { run, violations } = await createValidationRun(db, input);
    c.header("Location", `${V1}/validation-runs/${run.id}`);
    return c.json(presentValidationRun(run, violations), 201);
  });

  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const run = await getValidationRun(db, c.get("auth").installationId, id);
    if (!run) throw notFound(`Validation run ${id}`);
    return c.json(presentValidationRun(run, await listViolationsOfRun(db, run)), 200);
  });

  app.openapi(verifyRoute, async (c) => {
    const auth = c.get("auth");
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const contract = await loadContract(db, auth, id);
    refuseArchived(contract);
    const source = await sourceOfBody(db, auth, body.source_id);
    // Fail now, not in the background, when the location no longer resolves (env var unset, file gone).
    resolveStoredSource(source, deps.sources);
    const scan = await createScan(db, {
      installationId: auth.installationId,
      contractId: id,
      contractVersion: contract.version,
      sourceId: source.id,
      table: body.table ?? null,
      sampleLimit: body.sample_limit ?? null,
      createdBy: auth.actor,
    });
    try {
      await deps.enqueue(scanJob(scan.id, auth.installationId));
    } catch (error) {
      await abandonQueuedScan(db, scan.id, "could not be queued", new Date()).catch(() => {});
      throw error;
    }
    c.header("Location", `${V1}/scans/${scan.id}`);
    return c.json(presentScan(scan), 201);
  });
};
