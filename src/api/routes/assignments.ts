import type { OpenAPIHono } from "@hono/zod-openapi";
import { assignContract, listAssignments, unassignContract } from "../../db/assignments.ts";
import type { Db } from "../../db/client.ts";
import type { ApiEnv } from "../auth.ts";
import { presentAssignment } from "../present.ts";
import { apiRoute, V1 } from "../route.ts";
import { AssignBody, AssignmentListSchema, AssignmentSchema, IdParam } from "../schemas.ts";
import { loadContract } from "./contracts.ts";

const json = <T>(schema: T) => ({ "application/json": { schema } });

const listRoute = apiRoute("read", {
  method: "get",
  path: `${V1}/contracts/{id}/assignments`,
  tags: ["Assignments"],
  summary: "List the resources a contract is assigned to",
  request: { params: IdParam },
  responses: { 200: { description: "Assignments, oldest first", content: json(AssignmentListSchema) } },
});

const assignRoute = apiRoute("manage", {
  method: "post",
  path: `${V1}/contracts/{id}/assign`,
  tags: ["Assignments"],
  summary: "Assign a contract to a resource",
  description: "Idempotent: assigning again returns the existing assignment with 200 (201 when created).",
  request: { params: IdParam, body: { required: true, content: json(AssignBody) } },
  responses: {
    200: { description: "Already assigned", content: json(AssignmentSchema) },
    201: { description: "Assigned", content: json(AssignmentSchema) },
  },
});

const unassignRoute = apiRoute("manage", {
  method: "post",
  path: `${V1}/contracts/{id}/unassign`,
  tags: ["Assignments"],
  summary: "Remove an assignment",
  description: "404 when the contract is not assigned to that resource.",
  request: { params: IdParam, body: { required: true, content: json(AssignBody) } },
  responses: { 204: { description: "Unassigned" } },
});

export const registerAssignmentRoutes = (app: OpenAPIHono<ApiEnv>, { db }: { db: Db }): void => {
  app.openapi(listRoute, async (c) => {
    const auth = c.get("auth");
    const { id } = c.req.valid("param");
    await loadContract(db, auth, id);
    const rows = await listAssignments(db, auth.installationId, id);
    return c.json({ content: rows.map(presentAssignment) }, 200);
  });

  app.openapi(assignRoute, async (c) => {
    const auth = c.get("auth");
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    await loadContract(db, auth, id);
    const { assignment, created } = await assignContract(db, {
      installationId: auth.installationId,
      contractId: id,
      resourceType: body.resource_type,
      resourceId: body.resource_id,
      createdBy: auth.actor,
    });
    return created ? c.json(presentAssignment(assignment), 201) : c.json(presentAssignment(assignment), 200);
  });

  app.openapi(unassignRoute, async (c) => {
    const auth = c.get("auth");
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    await loadContract(db, auth, id);
    await unassignContract(db, {
      installationId: auth.installationId,
      contractId: id,
      resourceType: body.resource_type,
      resourceId: body.resource_id,
    });
    return c.body(null, 204);
  });
};
