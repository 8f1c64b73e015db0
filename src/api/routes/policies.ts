import type { OpenAPIHono } from "@hono/zod-openapi";
import { type EnforcementLevel, enforcementRank } from "../../core/model/contract-levels.ts";
import type { Db } from "../../db/client.ts";
import { getRepoPolicy, putRepoPolicy } from "../../db/policies.ts";
import type { ApiEnv } from "../auth.ts";
import { invalidInput } from "../errors.ts";
import { presentPolicy } from "../present.ts";
import { apiRoute, V1 } from "../route.ts";
import { PolicyBody, PolicySchema, RepoParams } from "../schemas.ts";

const json = <T>(schema: T) => ({ "application/json": { schema } });

const DESCRIPTION =
  "The platform team's enforcement cap (`max`, e.g. NOTIFY while rolling out: the dry run) and floor (`min`) " +
  "for one repository. It wins over the repository's .github/covenant.yml.";

const getRoute = apiRoute("read", {
  method: "get",
  path: `${V1}/repos/{owner}/{repo}/policy`,
  tags: ["Policies"],
  summary: "Get a repository's enforcement policy",
  description: `${DESCRIPTION} Without a policy, max and min are null.`,
  request: { params: RepoParams },
  responses: { 200: { description: "The policy", content: json(PolicySchema) } },
});

const putRoute = apiRoute("admin", {
  method: "put",
  path: `${V1}/repos/{owner}/{repo}/policy`,
  tags: ["Policies"],
  summary: "Set a repository's enforcement policy",
  description: `${DESCRIPTION} Replaces the policy: an omitted bound is cleared. min must not exceed max.`,
  request: { params: RepoParams, body: { required: true, content: json(PolicyBody) } },
  responses: { 200: { description: "The policy", content: json(PolicySchema) } },
});

export const registerPolicyRoutes = (app: OpenAPIHono<ApiEnv>, { db }: { db: Db }): void => {
  app.openapi(getRoute, async (c) => {
    const { owner, repo } = c.req.valid("param");
    const full = `${owner}/${repo}`;
    return c.json(presentPolicy(full, await getRepoPolicy(db, c.get("auth").installationId, full)), 200);
  });

  app.openapi(putRoute, async (c) => {
    const auth = c.get("auth");
    const { owner, repo } = c.req.valid("param");
    const body = c.req.valid("json");
    const max: EnforcementLevel | null = body.max ?? null;
    const min: EnforcementLevel | null = body.min ?? null;
    if (max && min && enforcementRank(min) > enforcementRank(max)) {
      throw invalidInput(`min ${min} exceeds max ${max}: the floor must not be above the cap.`, [
        { path: "min", message: `must not exceed max (${max})` },
      ]);
    }
    const full = `${owner}/${repo}`;
    const row = await putRepoPolicy(db, {
      installationId: auth.installationId,
      repoFullName: full,
      maxLevel: max,
      minLevel: min,
      updatedBy: auth.actor,
    });
    return c.json(presentPolicy(full, row), 200);
  });
};
