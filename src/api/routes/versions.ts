import type { OpenAPIHono } from "@hono/zod-openapi";
import { CovenantError } from "../../core/errors.ts";
import { contractOwners } from "../../core/model/contract.ts";
import type { Db } from "../../db/client.ts";
import { getContractVersion, listContractVersions, publishContractVersion } from "../../db/versions.ts";
import type { ApiEnv } from "../auth.ts";
import { assertNewerVersion, contractFromYaml, documentWithState, registryState } from "../contract-input.ts";
import { invalidInput, notFound } from "../errors.ts";
import { takeAlias } from "../input-aliases.ts";
import { presentPage, presentVersion } from "../present.ts";
import { apiRoute, conflictResponse, tooLargeResponse, V1 } from "../route.ts";
import {
  IdParam,
  PublishVersionBody,
  VersionListQuery,
  VersionPageSchema,
  VersionParam,
  VersionSchema,
} from "../schemas.ts";
import { currentContract, loadContract, successorName } from "./contracts.ts";

const json = <T>(schema: T) => ({ "application/json": { schema } });

const listRoute = apiRoute("read", {
  method: "get",
  path: `${V1}/contracts/{id}/versions`,
  tags: ["Versions"],
  summary: "List a contract's versions",
  description: "Newest first, without contents.",
  request: { params: IdParam, query: VersionListQuery },
  responses: { 200: { description: "A page of versions", content: json(VersionPageSchema) } },
});

const getRoute = apiRoute("read", {
  method: "get",
  path: `${V1}/contracts/{id}/versions/{version}`,
  tags: ["Versions"],
  summary: "Get one version with its contents",
  request: { params: VersionParam },
  responses: { 200: { description: "The version", content: json(VersionSchema) } },
});

const publishRoute = apiRoute("manage", {
  method: "post",
  path: `${V1}/contracts/{id}/versions`,
  tags: ["Versions"],
  summary: "Publish a new version",
  description:
    "The YAML becomes the contract's current contents. Its `version` must be greater (semver) than the " +
    "current one and its `name` the contract's; the same checksum as the current version is 409 (no change). " +
    "Owners, dataset and description follow the new contents; enforcement and status stay as the registry has them.",
  request: { params: IdParam, body: { required: true, content: json(PublishVersionBody) } },
  responses: {
    201: { description: "Published; Location names the version", content: json(VersionSchema) },
    ...conflictResponse,
    ...tooLargeResponse,
  },
});

export const registerVersionRoutes = (app: OpenAPIHono<ApiEnv>, { db }: { db: Db }): void => {
  app.openapi(listRoute, async (c) => {
    const auth = c.get("auth");
    const { id } = c.req.valid("param");
    const q = takeAlias(c.req.valid("query"), "createdBefore");
    const contract = await loadContract(db, auth, id);
    const page = await listContractVersions(
      db,
      id,
      { createdBefore: q.created_before ? new Date(q.created_before) : undefined },
      { page: q.page, size: q.size, cursor: q.cursor },
    );
    // The current version is the contract in its current status.
    return c.json(
      presentPage(page, (v) =>
        presentVersion(v.version === contract.version ? { ...v, status: contract.status } : v),
      ),
      200,
    );
  });

  app.openapi(getRoute, async (c) => {
    const { id, version } = c.req.valid("param");
    const contract = await loadContract(db, c.get("auth"), id);
    const row = await getContractVersion(db, id, version);
    if (!row) throw notFound(`Version ${version} of contract ${id}`);
    if (row.version !== contract.version) return c.json(presentVersion(row, true), 200);
    const current = await currentContract(db, contract);
    return c.json(
      presentVersion(
        { ...row, status: current.status, contents: current.contents, checksum: current.checksum },
        true,
      ),
      200,
    );
  });

  app.openapi(publishRoute, async (c) => {
    const auth = c.get("auth");
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const row = await loadContract(db, auth, id);
    const sent = contractFromYaml(body.contents);
    // Status and enforcement stay as the registry has them, and the stored YAML says so.
    const stored = documentWithState(
      { version: sent.contract.version, contents: sent.contents, checksum: sent.checksum },
      {
        ...registryState(row, await successorName(db, row)),
        owners: contractOwners(sent.contract),
        description: sent.contract.description ?? null,
      },
    );
    const doc = { ...sent, contents: stored.contents, checksum: stored.checksum };
    if (doc.checksum === row.checksum) {
      throw new CovenantError(
        "conflict",
        `No change: the contents are identical to the current version ${row.version}.`,
      );
    }
    if (doc.contract.name !== row.name) {
      throw invalidInput(`The contents name contract "${doc.contract.name}", but this is "${row.name}".`, [
        { path: "name", message: `must be "${row.name}" (a contract's name does not change)` },
      ]);
    }
    assertNewerVersion(row.version, doc.contract.version);
    const version = await publishContractVersion(db, {
      installationId: auth.installationId,
      contractId: id,
      previousVersion: row.version,
      version: doc.contract.version,
      contents: doc.contents,
      checksum: doc.checksum,
      changelog: body.changelog ?? null,
      createdBy: auth.actor,
      contract: {
        datasetType: doc.contract.dataset.type,
        datasetName: doc.contract.dataset.name,
        owners: contractOwners(doc.contract),
        description: doc.contract.description ?? null,
      },
    });
    c.header("Location", `${V1}/contracts/${id}/versions/${encodeURIComponent(version.version)}`);
    return c.json(presentVersion(version, true), 201);
  });
};
