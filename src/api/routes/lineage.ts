import type { OpenAPIHono } from "@hono/zod-openapi";
import { CovenantError } from "../../core/errors.ts";
import type { Lineage } from "../../core/lineage/build-lineage.ts";
import { impactReport, splitImpactTarget } from "../../core/lineage/impact-report.ts";
import { lineageOfSnapshot } from "../../core/lineage/snapshot-lineage.ts";
import type { Db } from "../../db/client.ts";
import { type DefaultBranchSnapshot, getDefaultBranchSnapshot } from "../../db/github-snapshots.ts";
import type { ApiEnv } from "../auth.ts";
import { LineageQuery, LineageSchema } from "../lineage-schemas.ts";
import { apiRoute, V1 } from "../route.ts";

const lineageRoute = apiRoute("read", {
  method: "get",
  path: `${V1}/lineage`,
  tags: ["Lineage"],
  summary: "What a dataset or column feeds, and what it is computed from",
  description:
    "Column-level lineage of a repository's default branch, as the GitHub App last analysed it (a push to it, a " +
    "merged pull request, or the base of a pull request against it): migration datasets, dbt sources, models, " +
    "seeds, snapshots and exposures, each reached column with the path, how it is reached and its owners. " +
    "A model whose SQL does not parse is reached as a whole (`unknown`), never skipped. A repository the " +
    "installation does not hold, or one with no analysed default-branch commit yet: 404 saying what to do.",
  request: { query: LineageQuery },
  responses: {
    200: {
      description: "Upstream and downstream",
      content: { "application/json": { schema: LineageSchema } },
    },
  },
});

/** Lineage of the last few snapshots asked for, kept: building it parses every model. */
const CACHED_LINEAGES = 8;

const noSnapshot = (found: DefaultBranchSnapshot): CovenantError => {
  const { fullName, defaultBranch } = found.repository;
  const why = found.stale
    ? `the snapshot of its default branch (${found.commitSha?.slice(0, 12)}) was kept by an older version of Covenant`
    : `Covenant has not analysed a commit of its default branch (${defaultBranch}) yet`;
  return new CovenantError(
    "not_found",
    `No lineage for ${fullName}: ${why}. The GitHub App keeps one when it analyses a push to ${defaultBranch}, a pull request against it or a merge into it: push to ${defaultBranch} (or open a pull request) and ask again. Locally, \`covenant impact <dataset>\` reads any revision.`,
  );
};

export const registerLineageRoutes = (app: OpenAPIHono<ApiEnv>, { db }: { db: Db }): void => {
  const lineages = new Map<string, Promise<Lineage>>();
  const lineageOf = (key: string, found: DefaultBranchSnapshot & { snapshot: object }) => {
    let lineage = lineages.get(key);
    if (!lineage) {
      lineage = lineageOfSnapshot(found.snapshot);
      lineages.set(key, lineage);
      lineage.catch(() => lineages.delete(key));
      if (lineages.size > CACHED_LINEAGES) lineages.delete(lineages.keys().next().value!);
    }
    return lineage;
  };

  app.openapi(lineageRoute, async (c) => {
    const q = c.req.valid("query");
    const found = await getDefaultBranchSnapshot(db, {
      installationId: c.get("auth").installationId,
      fullName: q.repo,
    });
    if (!found)
      throw new CovenantError(
        "not_found",
        `Repository ${q.repo} not found in this installation: lineage is kept for the repositories the GitHub App is installed on (GET /api/v1/repositories lists them; check the spelling).`,
      );
    if (!found.snapshot || !found.commitSha) throw noSnapshot(found);
    const lineage = await lineageOf(`${found.repository.id}@${found.commitSha}`, {
      ...found,
      snapshot: found.snapshot,
    });
    const target = q.column
      ? { dataset: q.dataset, column: q.column }
      : splitImpactTarget(lineage, q.dataset);
    const report = impactReport(lineage, { ...target, direction: q.direction });
    return c.json(
      {
        repo: found.repository.fullName,
        default_branch: found.repository.defaultBranch,
        commit_sha: found.commitSha,
        seen_at: found.seenAt?.toISOString() ?? null,
        ...report,
      },
      200,
    );
  });
};
