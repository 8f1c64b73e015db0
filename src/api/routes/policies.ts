import type { OpenAPIHono } from "@hono/zod-openapi";
import { CovenantError } from "../../core/errors.ts";
import { type EnforcementLevel, enforcementRank } from "../../core/model/contract-levels.ts";
import type { Db } from "../../db/client.ts";
import { findRepositoryByFullName } from "../../db/github-repositories.ts";
import { getRepoPolicy, putRepoPolicy } from "../../db/policies.ts";
import type { ApiEnv } from "../auth.ts";
import { invalidInput } from "../errors.ts";
import { presentPolicy } from "../present.ts";
import { apiRoute, conflictResponse, V1 } from "../route.ts";
import { PolicyBody, PolicySchema, RepoParams } from "../schemas.ts";

const json = <T>(schema: T) => ({ "application/json": { schema } });

/**
 * A repository of the key's installation: a policy for a misspelled or foreign repository would be
 * stored and never apply, so it is refused (404, like any object the installation does not hold).
 */
export const loadRepository = async (
  db: Db,
  installationId: string,
  { owner, repo }: { owner: string; repo: string },
) => {
  const repository = await findRepositoryByFullName(db, installationId, `${owner}/${repo}`);
  if (!repository) {
    throw new CovenantError(
      "not_found",
      `Repository ${owner}/${repo} not found in this installation: policies apply to the repositories GitHub reports for it (GET /api/v1/repositories lists them; check the spelling).`,
    );
  }
  return repository;
};

const DESCRIPTION =
  "The platform team's enforcement cap (`max`, e.g. NOTIFY while rolling out: the dry run) and floor (`min`) " +
  "for one repository. It wins over the repository's .github/covenant.yml.";

const getRoute = apiRoute("read", {
  method: "get",
  path: `${V1}/repos/{owner}/{repo}/policy`,
  tags: ["Policies"],
  summary: "Get a repository's enforcement policy",
  description: `${DESCRIPTION} Without a policy, max and min are null. A repository the installation does not hold: 404.`,
  request: { params: RepoParams },
  responses: { 200: { description: "The policy", content: json(PolicySchema) } },
});

const putRoute = apiRoute("admin", {
  method: "put",
  path: `${V1}/repos/{owner}/{repo}/policy`,
  tags: ["Policies"],
  summary: "Set a repository's enforcement policy",
  description: `${DESCRIPTION} Replaces the policy: an omitted bound is cleared. min must not exceed max. The repository must belong to the installation (404 otherwise; 409 when it was removed from it).`,
  request: { params: RepoParams, body: { required: true, content: json(PolicyBody) } },
  responses: { 200: { description: "The policy", content: json(PolicySchema) }, ...conflictResponse },
});

export const registerPolicyRoutes = (app: OpenAPIHono<ApiEnv>, { db }: { db: Db }): void => {
  app.openapi(getRoute, async (c) => {
    const { installationId } = c.get("auth");
    const full = (await loadRepository(db, installationId, c.req.valid("param"))).fullName;
    return c.json(presentPolicy(full, await getRepoPolicy(db, installationId, full)), 200);
  });

  app.openapi(putRoute, async (c) => {
    const auth = c.get("auth");
    const body = c.req.valid("json");
    const max: EnforcementLevel | null = body.max ?? null;
    const min: EnforcementLevel | null = body.min ?? null;
    if (max && min && enforcementRank(min) > enforcementRank(max)) {
      throw invalidInput(`min ${min} exceeds max ${max}: the floor must not be above the cap.`, [
        { path: "min", message: `must not exceed max (${max})` },
      ]);
    }
    const repository = await loadRepository(db, auth.installationId, c.req.valid("param"));
    if (repository.removedAt) {
      throw new CovenantError(
        "conflict",
        `Repository ${repository.fullName} was removed from the installation; add it back on GitHub to set its policy.`,
      );
    }
    const full = repository.fullName;
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
