import type { OpenAPIHono } from "@hono/zod-openapi";
import { listWouldBlock } from "../../db/activity.ts";
import type { Db } from "../../db/client.ts";
import { getInstallation } from "../../db/installations.ts";
import { listRepoPolicies } from "../../db/policies.ts";
import { listRepositories } from "../../db/repositories.ts";
import type { ApiEnv } from "../auth.ts";
import {
  DryRunQuery,
  DryRunSchema,
  InstallationListSchema,
  PolicyListSchema,
  RepositoryListQuery,
  RepositoryPageSchema,
} from "../list-schemas.ts";
import { presentPage } from "../present.ts";
import { presentInstallation, presentRepository } from "../present-lists.ts";
import { apiRoute, V1 } from "../route.ts";
import { RepoParams } from "../schemas.ts";
import { loadRepository } from "./policies.ts";

const json = <T>(schema: T) => ({ "application/json": { schema } });

const installationsRoute = apiRoute("read", {
  method: "get",
  path: `${V1}/installations`,
  tags: ["Installations"],
  summary: "List the installations this key sees",
  description:
    "An API key belongs to one installation (a GitHub account the App is installed on, or a local tenant): the " +
    "list holds that one.",
  responses: { 200: { description: "The installations", content: json(InstallationListSchema) } },
});

const repositoriesRoute = apiRoute("read", {
  method: "get",
  path: `${V1}/repositories`,
  tags: ["Repositories"],
  summary: "List the installation's repositories with their policies",
  description:
    "Repositories GitHub reported for the installation (removed ones keep their history and carry " +
    "`removed_at`), oldest first, each with its enforcement policy, the levels its contracts use, its open " +
    "violations and its latest analysis.",
  request: { query: RepositoryListQuery },
  responses: { 200: { description: "A page of repositories", content: json(RepositoryPageSchema) } },
});

const policiesRoute = apiRoute("read", {
  method: "get",
  path: `${V1}/policies`,
  tags: ["Policies"],
  summary: "List repository policies",
  description: "Every repository policy of the installation, by repository name.",
  responses: { 200: { description: "The policies", content: json(PolicyListSchema) } },
});

const dryRunRoute = apiRoute("read", {
  method: "get",
  path: `${V1}/repos/{owner}/{repo}/dry-run`,
  tags: ["Policies"],
  summary: "What a repository at BLOCK would have blocked",
  description:
    "The evidence for raising a repository to BLOCK: its pull requests with an unwaived error-severity " +
    "violation (they would have failed the check), and how many of them were not blocked as it was.",
  request: { params: RepoParams, query: DryRunQuery },
  responses: {
    200: { description: "The pull requests BLOCK would have blocked", content: json(DryRunSchema) },
  },
});

export const registerRepositoryRoutes = (app: OpenAPIHono<ApiEnv>, { db }: { db: Db }): void => {
  app.openapi(installationsRoute, async (c) => {
    const { installationId } = c.get("auth");
    const installation = await getInstallation(db, installationId);
    const repositories = await db.repository.count({ where: { installationId } });
    return c.json({ content: installation ? [presentInstallation(installation, repositories)] : [] }, 200);
  });

  app.openapi(repositoriesRoute, async (c) => {
    const q = c.req.valid("query");
    const page = await listRepositories(db, c.get("auth").installationId, { name: q.name }, q);
    return c.json(presentPage(page, presentRepository), 200);
  });

  app.openapi(policiesRoute, async (c) => {
    const rows = await listRepoPolicies(db, c.get("auth").installationId);
    return c.json(
      {
        content: rows.map((p) => ({
          repo: p.repoFullName,
          max: p.maxLevel as never,
          min: p.minLevel as never,
          updated_by: p.updatedBy,
          updated_at: p.updatedAt.toISOString(),
        })),
      },
      200,
    );
  });

  app.openapi(dryRunRoute, async (c) => {
    const auth = c.get("auth");
    const repository = await loadRepository(db, auth.installationId, c.req.valid("param"));
    const result = await listWouldBlock(db, auth.installationId, repository.fullName);
    return c.json(
      {
        repo: repository.fullName,
        level: "BLOCK" as const,
        would_block: result.total,
        newly_blocked: result.newlyBlocked,
        pull_requests: result.pullRequests.map((p) => ({
          number: p.prNumber,
          link: p.prLink,
          violations: p.violations,
          blocked_now: p.blockedNow,
          last_detected_at: p.lastDetectedAt.toISOString(),
        })),
      },
      200,
    );
  });
};
