import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Db } from "../../db/client.ts";
import {
  getScan,
  isScanFinished,
  listScanLogs,
  listScans,
  MAX_LOG_LINES_PER_PAGE,
  requestScanCancel,
} from "../../db/scans.ts";
import type { ApiEnv, AuthContext } from "../auth.ts";
import { notFound } from "../errors.ts";
import { presentPage } from "../present.ts";
import { presentScan, presentScanLogs } from "../present-sources.ts";
import { apiRoute, conflictResponse, V1 } from "../route.ts";
import { IdParam } from "../schemas.ts";
import { ScanListQuery, ScanLogQuery, ScanLogSchema, ScanPageSchema, ScanSchema } from "../source-schemas.ts";
import { loadContract } from "./contracts.ts";

const json = <T>(schema: T) => ({ "application/json": { schema } });

const loadScan = async (db: Db, auth: AuthContext, id: string) => {
  const scan = await getScan(db, auth.installationId, id);
  if (!scan) throw notFound(`Scan ${id}`);
  return scan;
};

const getRouteDef = apiRoute("read", {
  method: "get",
  path: `${V1}/scans/{id}`,
  tags: ["Scans"],
  summary: "Get a scan",
  description:
    "Status queued -> running -> passed | failed | error | cancelled. Once finished: `result` (the data " +
    "validation result), `validation_run_id` (the run with its violations), `error` (why it could not complete).",
  request: { params: IdParam },
  responses: { 200: { description: "The scan", content: json(ScanSchema) } },
});

const logsRouteDef = apiRoute("read", {
  method: "get",
  path: `${V1}/scans/{id}/logs`,
  tags: ["Scans"],
  summary: "Read a scan's log",
  description:
    "Lines in order. Poll with `after` set to the previous answer's `cursor` to get only new lines; `done` " +
    "says that the scan has finished and no more lines will come.",
  request: { params: IdParam, query: ScanLogQuery },
  responses: { 200: { description: "Log lines", content: json(ScanLogSchema) } },
});

const cancelRouteDef = apiRoute("manage", {
  method: "post",
  path: `${V1}/scans/{id}/cancel`,
  tags: ["Scans"],
  summary: "Cancel a scan",
  description:
    "A queued scan is cancelled at once; a running one is flagged, and the instance running it (this one or " +
    "another) aborts its queries within about a second: follow it with GET /scans/{id}. A finished scan: 409.",
  request: { params: IdParam },
  responses: {
    202: { description: "Cancellation accepted; the scan as it is now", content: json(ScanSchema) },
    ...conflictResponse,
  },
});

const contractScansRouteDef = apiRoute("read", {
  method: "get",
  path: `${V1}/contracts/{id}/scans`,
  tags: ["Scans"],
  summary: "List a contract's scans",
  description: "Newest first, without their results.",
  request: { params: IdParam, query: ScanListQuery },
  responses: { 200: { description: "A page of scans", content: json(ScanPageSchema) } },
});

export const registerScanRoutes = (app: OpenAPIHono<ApiEnv>, { db }: { db: Db }): void => {
  app.openapi(getRouteDef, async (c) => {
    const scan = await loadScan(db, c.get("auth"), c.req.valid("param").id);
    return c.json(presentScan(scan), 200);
  });

  app.openapi(logsRouteDef, async (c) => {
    // The scan is read before its lines: when it is already finished, every line is written.
    const scan = await loadScan(db, c.get("auth"), c.req.valid("param").id);
    const q = c.req.valid("query");
    const limit = q.limit ?? MAX_LOG_LINES_PER_PAGE;
    const { lines, cursor } = await listScanLogs(db, scan.id, {
      ...(q.after ? { after: q.after } : {}),
      limit,
    });
    return c.json(presentScanLogs(lines, cursor, isScanFinished(scan.status) && lines.length < limit), 200);
  });

  app.openapi(cancelRouteDef, async (c) => {
    const auth = c.get("auth");
    const scan = await requestScanCancel(db, auth.installationId, c.req.valid("param").id, new Date());
    return c.json(presentScan(scan), 202);
  });

  app.openapi(contractScansRouteDef, async (c) => {
    const auth = c.get("auth");
    const { id } = c.req.valid("param");
    await loadContract(db, auth, id);
    const page = await listScans(db, auth.installationId, { contractId: id }, c.req.valid("query"));
    return c.json(presentPage(page, presentScan), 200);
  });
};
