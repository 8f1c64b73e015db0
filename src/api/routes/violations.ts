import type { OpenAPIHono } from "@hono/zod-openapi";
import { CovenantError } from "../../core/errors.ts";
import { isViolationStatus, transitionViolation, type ViolationAction } from "../../core/model/lifecycle.ts";
import type { Db } from "../../db/client.ts";
import { getValidationRun, violationIdsOfRun } from "../../db/validation-runs.ts";
import {
  getViolation,
  listViolations,
  updateViolationStatus,
  type ViolationFilters,
} from "../../db/violations.ts";
import type { ApiEnv, AuthContext } from "../auth.ts";
import { notFound } from "../errors.ts";
import { takeAlias } from "../input-aliases.ts";
import { presentPage, presentViolation } from "../present.ts";
import { apiRoute, conflictResponse, V1 } from "../route.ts";
import {
  AcknowledgeBody,
  ContractViolationListQuery,
  IdParam,
  ResolveBody,
  ViolationListQuery,
  ViolationPageSchema,
  ViolationSchema,
} from "../schemas.ts";
import { loadContract } from "./contracts.ts";

const json = <T>(schema: T) => ({ "application/json": { schema } });

const listRoute = apiRoute("read", {
  method: "get",
  path: `${V1}/violations`,
  tags: ["Violations"],
  summary: "List violations",
  description:
    "Newest first. Filters: status, rule, repo (owner/name), pr, contract (id), since (ISO date), origin (pr or " +
    "data), source_id " +
    "(data violations found against a registered source), validation_run_id (the violations one validation run " +
    "recorded).",
  request: { query: ViolationListQuery },
  responses: { 200: { description: "A page of violations", content: json(ViolationPageSchema) } },
});

const contractListRoute = apiRoute("read", {
  method: "get",
  path: `${V1}/contracts/{id}/violations`,
  tags: ["Violations"],
  summary: "List a contract's violations",
  request: { params: IdParam, query: ContractViolationListQuery },
  responses: { 200: { description: "A page of violations", content: json(ViolationPageSchema) } },
});

const getRoute = apiRoute("read", {
  method: "get",
  path: `${V1}/contract-violations/{id}`,
  tags: ["Violations"],
  summary: "Get a violation",
  request: { params: IdParam },
  responses: { 200: { description: "The violation", content: json(ViolationSchema) } },
});

const TRIAGE =
  "Triage: open -> acknowledged | resolved | waived; acknowledged -> resolved | waived; resolved and waived are final (409).";

const resolveRoute = apiRoute("manage", {
  method: "post",
  path: `${V1}/contract-violations/{id}/resolve`,
  tags: ["Violations"],
  summary: "Resolve a violation",
  description: TRIAGE,
  request: { params: IdParam, body: { required: true, content: json(ResolveBody) } },
  responses: {
    200: { description: "The resolved violation", content: json(ViolationSchema) },
    ...conflictResponse,
  },
});

const acknowledgeRoute = apiRoute("manage", {
  method: "post",
  path: `${V1}/contract-violations/{id}/acknowledge`,
  tags: ["Violations"],
  summary: "Acknowledge a violation",
  description: TRIAGE,
  request: { params: IdParam, body: { required: false, content: json(AcknowledgeBody) } },
  responses: {
    200: { description: "The acknowledged violation", content: json(ViolationSchema) },
    ...conflictResponse,
  },
});

type ListQuery = {
  status?: string;
  rule?: string;
  repo?: string;
  pr?: number;
  since?: string;
  contract?: string;
  source_id?: string;
  origin?: "pr" | "data";
  page?: number;
  size?: number;
  cursor?: string;
};

const filtersOf = (q: ListQuery): ViolationFilters => ({
  status: q.status,
  rule: q.rule,
  repo: q.repo,
  pr: q.pr,
  contractId: q.contract,
  since: q.since ? new Date(q.since) : undefined,
  sourceId: q.source_id,
  origin: q.origin,
});

export const registerViolationRoutes = (app: OpenAPIHono<ApiEnv>, { db }: { db: Db }): void => {
  app.openapi(listRoute, async (c) => {
    const q = takeAlias(takeAlias(c.req.valid("query"), "gitRepo"), "prNumber");
    const auth = c.get("auth");
    let ids: string[] | undefined;
    if (q.validation_run_id) {
      const run = await getValidationRun(db, auth.installationId, q.validation_run_id);
      ids = run ? violationIdsOfRun(run) : [];
    }
    const page = await listViolations(
      db,
      auth.installationId,
      { ...filtersOf(q), ...(ids ? { ids } : {}) },
      q,
    );
    return c.json(presentPage(page, presentViolation), 200);
  });

  app.openapi(contractListRoute, async (c) => {
    const auth = c.get("auth");
    const { id } = c.req.valid("param");
    const q = takeAlias(takeAlias(c.req.valid("query"), "gitRepo"), "prNumber");
    await loadContract(db, auth, id);
    const page = await listViolations(db, auth.installationId, { ...filtersOf(q), contractId: id }, q);
    return c.json(presentPage(page, presentViolation), 200);
  });

  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const row = await getViolation(db, c.get("auth").installationId, id);
    if (!row) throw notFound(`Violation ${id}`);
    return c.json(presentViolation(row), 200);
  });

  const triage = async (
    auth: AuthContext,
    id: string,
    action: ViolationAction,
    fields: { by?: string; resolution?: string; notes?: string },
  ) => {
    const row = await getViolation(db, auth.installationId, id);
    if (!row) throw notFound(`Violation ${id}`);
    const from = isViolationStatus(row.status) ? row.status : "open";
    const result = transitionViolation(from, action);
    if (!result.ok) throw new CovenantError("conflict", result.message);
    return updateViolationStatus(db, {
      installationId: auth.installationId,
      id,
      from: row.status,
      to: result.to,
      at: new Date(),
      ...fields,
    });
  };

  app.openapi(resolveRoute, async (c) => {
    const auth = c.get("auth");
    const body = c.req.valid("json");
    const row = await triage(auth, c.req.valid("param").id, "resolve", {
      by: body.resolved_by ?? auth.actor,
      resolution: body.resolution,
      notes: body.notes,
    });
    return c.json(presentViolation(row), 200);
  });

  app.openapi(acknowledgeRoute, async (c) => {
    const auth = c.get("auth");
    const body = c.req.valid("json");
    const row = await triage(auth, c.req.valid("param").id, "acknowledge", { notes: body.notes });
    return c.json(presentViolation(row), 200);
  });
};
