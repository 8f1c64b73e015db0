import type { OpenAPIHono } from "@hono/zod-openapi";
import { CovenantError } from "../../core/errors.ts";
import { summarizeActivity } from "../../db/activity.ts";
import { getAnalysis, listAnalyses } from "../../db/analyses.ts";
import type { Db } from "../../db/client.ts";
import { getInstallation } from "../../db/installations.ts";
import type { EnqueueJobInput } from "../../db/jobs.ts";
import { listScans } from "../../db/scans.ts";
import { listWaivers } from "../../db/waivers.ts";
import type { ApiEnv, AuthContext } from "../auth.ts";
import { notFound } from "../errors.ts";
import {
  AnalysisListQuery,
  AnalysisPageSchema,
  AnalysisSchema,
  OverviewQuery,
  OverviewSchema,
  ScanListAllQuery,
  WaiverListQuery,
} from "../list-schemas.ts";
import { presentPage, presentViolation } from "../present.ts";
import { presentActivity, presentAnalysis } from "../present-lists.ts";
import { presentScan } from "../present-sources.ts";
import { apiRoute, conflictResponse, V1 } from "../route.ts";
import { IdParam, ViolationPageSchema } from "../schemas.ts";
import { ScanPageSchema } from "../source-schemas.ts";

const json = <T>(schema: T) => ({ "application/json": { schema } });

const listRoute = apiRoute("read", {
  method: "get",
  path: `${V1}/analyses`,
  tags: ["Analyses"],
  summary: "List the App's analyses and jobs",
  description:
    "The GitHub App's background jobs for this installation, newest first: pull request analyses (with their " +
    "check run and conclusion), merge groups, merged pull requests and pushes, with status, attempts, duration " +
    "and the last error. Data scans are listed by GET /scans.",
  request: { query: AnalysisListQuery },
  responses: { 200: { description: "A page of analyses", content: json(AnalysisPageSchema) } },
});

const getRoute = apiRoute("read", {
  method: "get",
  path: `${V1}/analyses/{id}`,
  tags: ["Analyses"],
  summary: "Get an analysis",
  request: { params: IdParam },
  responses: { 200: { description: "The analysis", content: json(AnalysisSchema) } },
});

const rerunRoute = apiRoute("manage", {
  method: "post",
  path: `${V1}/analyses/{id}/rerun`,
  tags: ["Analyses"],
  summary: "Run an analysis again",
  description:
    "Queues the job again with its payload (the check run is updated in place). A job queued or running: 409.",
  request: { params: IdParam },
  responses: {
    202: { description: "Queued; the analysis as it is now", content: json(AnalysisSchema) },
    ...conflictResponse,
  },
});

const overviewRoute = apiRoute("read", {
  method: "get",
  path: `${V1}/overview`,
  tags: ["Analyses"],
  summary: "What happened to the installation's pull requests",
  description:
    "Per day over the window: pull requests analysed, blocked (a failing check), passed with violations and " +
    "waived; the contracts most often broken and the repositories with the most violations in the window.",
  request: { query: OverviewQuery },
  responses: { 200: { description: "The overview", content: json(OverviewSchema) } },
});

const waiversRoute = apiRoute("read", {
  method: "get",
  path: `${V1}/waivers`,
  tags: ["Violations"],
  summary: "The waiver ledger",
  description:
    "Waived violations, most recently waived first: who waived (`waivedBy`), why, when, on which pull request.",
  request: { query: WaiverListQuery },
  responses: { 200: { description: "A page of waived violations", content: json(ViolationPageSchema) } },
});

const scansRoute = apiRoute("read", {
  method: "get",
  path: `${V1}/scans`,
  tags: ["Scans"],
  summary: "List scans",
  description:
    "The installation's data scans (asynchronous validations), newest first, without their results.",
  request: { query: ScanListAllQuery },
  responses: { 200: { description: "A page of scans", content: json(ScanPageSchema) } },
});

const installationOf = async (db: Db, auth: AuthContext) => {
  const installation = await getInstallation(db, auth.installationId);
  return { id: auth.installationId, githubId: installation?.githubId ?? null };
};

export const registerAnalysisRoutes = (
  app: OpenAPIHono<ApiEnv>,
  { db, enqueue }: { db: Db; enqueue: (input: EnqueueJobInput) => Promise<unknown> },
): void => {
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid("query");
    const page = await listAnalyses(db, await installationOf(db, c.get("auth")), q, q);
    return c.json(presentPage(page, presentAnalysis), 200);
  });

  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const analysis = await getAnalysis(db, await installationOf(db, c.get("auth")), id);
    if (!analysis) throw notFound(`Analysis ${id}`);
    return c.json(presentAnalysis(analysis), 200);
  });

  app.openapi(rerunRoute, async (c) => {
    const { id } = c.req.valid("param");
    const installation = await installationOf(db, c.get("auth"));
    const analysis = await getAnalysis(db, installation, id);
    if (!analysis) throw notFound(`Analysis ${id}`);
    if (analysis.job.status === "queued" || analysis.job.status === "running") {
      throw new CovenantError("conflict", `Analysis ${id} is ${analysis.job.status}: wait for it to finish.`);
    }
    await enqueue({
      kind: analysis.job.kind,
      dedupeKey: analysis.job.dedupeKey,
      payload: JSON.parse(analysis.job.payload),
      rerun: true,
    });
    const again = await getAnalysis(db, installation, id);
    return c.json(presentAnalysis(again ?? analysis), 202);
  });

  app.openapi(overviewRoute, async (c) => {
    const { days = 30 } = c.req.valid("query");
    return c.json(presentActivity(await summarizeActivity(db, c.get("auth").installationId, { days })), 200);
  });

  app.openapi(waiversRoute, async (c) => {
    const q = c.req.valid("query");
    const page = await listWaivers(
      db,
      c.get("auth").installationId,
      { repo: q.repo, contractId: q.contract },
      q,
    );
    return c.json(presentPage(page, presentViolation), 200);
  });

  app.openapi(scansRoute, async (c) => {
    const q = c.req.valid("query");
    const page = await listScans(db, c.get("auth").installationId, { sourceId: q.source_id }, q);
    return c.json(presentPage(page, presentScan), 200);
  });
};
