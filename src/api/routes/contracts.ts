import type { OpenAPIHono } from "@hono/zod-openapi";
import semver from "semver";
import { CovenantError } from "../../core/errors.ts";
import { contractOwners, validateContract } from "../../core/model/contract.ts";
import type { ContractStatus } from "../../core/model/contract-levels.ts";
import { type ContractAction, isContractStatus, transition } from "../../core/model/lifecycle.ts";
import type { Db } from "../../db/client.ts";
import {
  type ContractRow,
  createContract,
  deleteContract,
  getContract,
  listContracts,
  updateContractMetadata,
  updateContractStatus,
} from "../../db/contracts.ts";
import { publishContractVersion } from "../../db/versions.ts";
import type { ApiEnv, AuthContext } from "../auth.ts";
import {
  assertNewerVersion,
  type ContractDocument,
  contractFromFields,
  contractFromYaml,
  documentWithState,
  odcsContents,
  registryState,
  storedContract,
} from "../contract-input.ts";
import { invalidInput, notFound } from "../errors.ts";
import { takeAlias } from "../input-aliases.ts";
import { presentContract, presentContractSummary, presentPage } from "../present.ts";
import { apiRoute, conflictResponse, tooLargeResponse, V1 } from "../route.ts";
import {
  ContractListQuery,
  ContractPageSchema,
  ContractQuery,
  ContractSchema,
  CreateContractBody,
  DeprecateBody,
  IdParam,
  UpdateContractBody,
} from "../schemas.ts";

const json = <T>(schema: T) => ({ "application/json": { schema } });

/** The contract of the caller's installation, or 404 (another installation's included). */
export const loadContract = async (db: Db, auth: AuthContext, id: string): Promise<ContractRow> => {
  const contract = await getContract(db, auth.installationId, id);
  if (!contract) throw notFound(`Contract ${id}`);
  return contract;
};

/** The successor's name, which the YAML's `deprecation.successor` holds (the registry holds its id). */
export const successorName = async (db: Db, row: ContractRow): Promise<string | null> =>
  row.successorContractId
    ? ((await getContract(db, row.installationId, row.successorContractId))?.name ?? null)
    : null;

/**
 * The row as the API shows it: its YAML says the registry's current state (status, enforcement,
 * owners, description, deprecation). Writes keep the stored YAML in step; this also covers rows
 * stored before they did.
 */
export const currentContract = async (db: Db, row: ContractRow): Promise<ContractRow> => {
  const doc = documentWithState(row, registryState(row, await successorName(db, row)));
  return doc.contents === row.contents ? row : { ...row, contents: doc.contents, checksum: doc.checksum };
};

const listRoute = apiRoute("read", {
  method: "get",
  path: `${V1}/contracts`,
  tags: ["Contracts"],
  summary: "List contracts",
  description: "Oldest first. Filters combine with AND. Page with `page`/`size`, or follow `cursor`.",
  request: { query: ContractListQuery },
  responses: {
    200: { description: "A page of contracts (without contents)", content: json(ContractPageSchema) },
  },
});

const createRouteDef = apiRoute("manage", {
  method: "post",
  path: `${V1}/contracts`,
  tags: ["Contracts"],
  summary: "Register a contract",
  description:
    "Send either `contents` (Covenant or ODCS v3 YAML, stored as sent but for the status, which says draft) or the contract's fields as JSON. " +
    "A new contract is always `draft`: a `status` in the YAML is ignored and reported in `warnings`; " +
    "activate it with POST /contracts/{id}/activate. Enforcement and owners are read from the document.",
  request: { body: { required: true, content: json(CreateContractBody) } },
  responses: {
    201: { description: "Created; Location names it", content: json(ContractSchema) },
    ...conflictResponse,
    ...tooLargeResponse,
  },
});

const getRouteDef = apiRoute("read", {
  method: "get",
  path: `${V1}/contracts/{id}`,
  tags: ["Contracts"],
  summary: "Get a contract with its current YAML",
  request: { params: IdParam, query: ContractQuery },
  responses: {
    200: {
      description: "The contract; with `format=odcs`, `contents` is the ODCS v3 export",
      content: json(ContractSchema),
    },
  },
});

const updateRouteDef = apiRoute("manage", {
  method: "put",
  path: `${V1}/contracts/{id}`,
  tags: ["Contracts"],
  summary: "Update a contract",
  description:
    "Enforcement, owners and description are registry metadata and change in place. A new `schema` or " +
    "`quality` publishes a new version (`version`, default the next minor) whose YAML is generated.",
  request: { params: IdParam, body: { required: true, content: json(UpdateContractBody) } },
  responses: {
    200: { description: "The updated contract", content: json(ContractSchema) },
    ...conflictResponse,
  },
});

const deleteRouteDef = apiRoute("manage", {
  method: "delete",
  path: `${V1}/contracts/{id}`,
  tags: ["Contracts"],
  summary: "Delete a contract",
  description: "Refused (409) while the contract is active or assigned to a resource.",
  request: { params: IdParam },
  responses: { 204: { description: "Deleted" }, ...conflictResponse },
});

const lifecycleRoute = (action: ContractAction, summary: string) =>
  apiRoute("manage", {
    method: "post",
    path: `${V1}/contracts/{id}/${action}`,
    tags: ["Lifecycle"],
    summary,
    description:
      "Lifecycle: draft -> active | archived; active -> deprecated; deprecated -> active | archived; " +
      "archived is terminal. Any other transition is 409.",
    request: { params: IdParam },
    responses: {
      200: { description: "The contract in its new status", content: json(ContractSchema) },
      ...conflictResponse,
    },
  });

const activateRoute = lifecycleRoute("activate", "Activate a contract");
const archiveRoute = lifecycleRoute("archive", "Archive a contract");
const deprecateRoute = apiRoute("manage", {
  method: "post",
  path: `${V1}/contracts/{id}/deprecate`,
  tags: ["Lifecycle"],
  summary: "Deprecate a contract",
  description: "active -> deprecated, with a reason and optionally the contract that replaces it.",
  request: { params: IdParam, body: { required: true, content: json(DeprecateBody) } },
  responses: {
    200: { description: "The deprecated contract", content: json(ContractSchema) },
    ...conflictResponse,
  },
});

const statusWarnings = (doc: ContractDocument): string[] =>
  doc.contract.status !== "draft"
    ? [
        `status "${doc.contract.status}" in the document was ignored: a new contract starts as draft; ` +
          "use POST /contracts/{id}/activate (the lifecycle is managed by the registry)",
      ]
    : [];

const FIELDS_ONLY = ["contents", "changelog"];

/** Registers a parsed contract as a new draft (duplicate name -> 409): the one creation path. */
export const registerContract = (
  db: Db,
  auth: AuthContext,
  sent: ContractDocument,
  changelog?: string,
): Promise<ContractRow> => {
  // A new contract is a draft whatever the YAML says: the stored YAML says so too.
  const stored = documentWithState(
    { version: sent.contract.version, contents: sent.contents, checksum: sent.checksum },
    {
      status: "draft",
      enforcement: sent.contract.enforcement,
      owners: contractOwners(sent.contract),
      description: sent.contract.description ?? null,
      deprecation: null,
    },
  );
  const doc = { ...sent, contents: stored.contents, checksum: stored.checksum };
  return createContract(db, {
    installationId: auth.installationId,
    name: doc.contract.name,
    enforcement: doc.contract.enforcement,
    datasetType: doc.contract.dataset.type,
    datasetName: doc.contract.dataset.name,
    owners: contractOwners(doc.contract),
    description: doc.contract.description ?? null,
    version: doc.contract.version,
    contents: doc.contents,
    checksum: doc.checksum,
    changelog: changelog ?? null,
    createdBy: auth.actor,
  });
};

/** Warnings returned with a newly registered contract. */
export const newContractWarnings = (doc: ContractDocument): string[] => statusWarnings(doc);

export const registerContractRoutes = (app: OpenAPIHono<ApiEnv>, { db }: { db: Db }): void => {
  app.openapi(listRoute, async (c) => {
    const auth = c.get("auth");
    const q = c.req.valid("query");
    const page = await listContracts(
      db,
      auth.installationId,
      {
        status: q.status,
        dataset: q.dataset,
        repo: q.repo,
        owner: q.owner ? `@${q.owner.replace(/^@/, "")}` : undefined,
        q: q.q,
      },
      { page: q.page, size: q.size, cursor: q.cursor },
    );
    return c.json(presentPage(page, presentContractSummary), 200);
  });

  app.openapi(createRouteDef, async (c) => {
    const auth = c.get("auth");
    const body = takeAlias(c.req.valid("json"), "enforcementLevel");
    let doc: ContractDocument;
    if (body.contents !== undefined) {
      const extra = Object.keys(body).filter((k) => !FIELDS_ONLY.includes(k));
      if (extra.length > 0) {
        throw invalidInput("Send either `contents` (YAML) or the contract's fields, not both.", [
          ...extra.map((path) => ({ path, message: `${path} is not allowed together with contents` })),
        ]);
      }
      doc = contractFromYaml(body.contents);
    } else {
      const { changelog: _changelog, ...fields } = body;
      doc = contractFromFields(fields);
    }
    const row = await registerContract(db, auth, doc, body.changelog);
    c.header("Location", `${V1}/contracts/${row.id}`);
    return c.json(presentContract(row, statusWarnings(doc)), 201);
  });

  app.openapi(getRouteDef, async (c) => {
    const row = await currentContract(db, await loadContract(db, c.get("auth"), c.req.valid("param").id));
    const { format } = c.req.valid("query");
    if (format === "odcs")
      return c.json({ ...presentContract(row), contents: odcsContents(row.contents) }, 200);
    return c.json(presentContract(row), 200);
  });

  app.openapi(updateRouteDef, async (c) => {
    const auth = c.get("auth");
    const { id } = c.req.valid("param");
    const body = takeAlias(c.req.valid("json"), "enforcementLevel");
    const row = await loadContract(db, auth, id);
    const current = storedContract(row.contents);
    const owners =
      body.owner === undefined ? undefined : Array.isArray(body.owner) ? body.owner : [body.owner];
    // Validate the merged contract so that owners, schema and quality get the same checks as on create.
    const merged: Record<string, unknown> = {
      ...current,
      // A generated version states the registry's lifecycle status, not the one of the old file.
      ...(isContractStatus(row.status) ? { status: row.status } : {}),
      ...(body.enforcement ? { enforcement: body.enforcement } : {}),
      ...(owners ? { owner: owners.length === 1 ? owners[0] : owners } : {}),
      ...(body.description !== undefined ? { description: body.description ?? undefined } : {}),
      ...(body.schema ? { schema: body.schema } : {}),
      ...(body.quality ? { quality: body.quality } : {}),
    };
    const schemaChanged =
      (body.schema !== undefined && JSON.stringify(body.schema) !== JSON.stringify(current.schema)) ||
      (body.quality !== undefined && JSON.stringify(body.quality) !== JSON.stringify(current.quality));
    const nextVersion = schemaChanged
      ? (body.version ?? semver.inc(row.version, "minor") ?? row.version)
      : row.version;
    const validated = validateContract({ ...merged, version: nextVersion });
    if (!validated.ok)
      throw invalidInput(`Invalid contract: ${validated.errors[0]?.message ?? ""}`, validated.errors);
    if (body.version !== undefined && !schemaChanged) {
      throw invalidInput(
        "`version` only applies when `schema` or `quality` changes (publishing a new version).",
        [{ path: "version", message: "no schema or quality change to publish" }],
      );
    }
    const metadata = {
      enforcement: body.enforcement,
      owners,
      description: body.description,
    };
    const state = {
      ...registryState(row, await successorName(db, row)),
      ...(body.enforcement ? { enforcement: body.enforcement } : {}),
      ...(owners ? { owners } : {}),
      ...(body.description !== undefined ? { description: body.description ?? null } : {}),
    };
    if (schemaChanged) {
      assertNewerVersion(row.version, nextVersion);
      const generated = contractFromFields(validated.contract as unknown as Record<string, unknown>);
      const stored = documentWithState(
        { version: nextVersion, contents: generated.contents, checksum: generated.checksum },
        state,
      );
      const doc = { ...generated, contents: stored.contents, checksum: stored.checksum };
      await publishContractVersion(db, {
        installationId: auth.installationId,
        contractId: id,
        previousVersion: row.version,
        version: nextVersion,
        contents: doc.contents,
        checksum: doc.checksum,
        changelog: body.changelog ?? "Schema updated through the API",
        createdBy: auth.actor,
        contract: {
          datasetType: doc.contract.dataset.type,
          datasetName: doc.contract.dataset.name,
          owners: owners ?? contractOwners(doc.contract),
          ...(metadata.description !== undefined ? { description: metadata.description } : {}),
          ...(metadata.enforcement ? { enforcement: metadata.enforcement } : {}),
        },
      });
    } else {
      await updateContractMetadata(db, auth.installationId, id, {
        ...metadata,
        document: documentWithState(row, state),
      });
    }
    return c.json(presentContract(await currentContract(db, await loadContract(db, auth, id))), 200);
  });

  app.openapi(deleteRouteDef, async (c) => {
    await deleteContract(db, c.get("auth").installationId, c.req.valid("param").id);
    return c.body(null, 204);
  });

  const move = async (
    auth: AuthContext,
    id: string,
    action: ContractAction,
    extra: DeprecationFields = {},
    successor: string | null = null,
  ) => {
    const row = await loadContract(db, auth, id);
    const from: ContractStatus = isContractStatus(row.status) ? row.status : "draft";
    const result = transition(from, action);
    if (!result.ok) throw new CovenantError("conflict", `Contract "${row.name}": ${result.message}`);
    const state = registryState(
      { ...row, status: result.to, deprecationReason: extra.deprecationReason ?? null },
      successor,
    );
    return updateContractStatus(db, {
      document: documentWithState(row, state),
      installationId: auth.installationId,
      id,
      from: row.status,
      to: result.to,
      at: new Date(),
      ...extra,
    });
  };

  app.openapi(activateRoute, async (c) => {
    const row = await move(c.get("auth"), c.req.valid("param").id, "activate");
    return c.json(presentContract(row), 200);
  });

  app.openapi(archiveRoute, async (c) => {
    const row = await move(c.get("auth"), c.req.valid("param").id, "archive");
    return c.json(presentContract(row), 200);
  });

  app.openapi(deprecateRoute, async (c) => {
    const auth = c.get("auth");
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const successor = body.successor_contract_id;
    let successorRow: ContractRow | null = null;
    if (successor !== undefined) {
      if (successor === id) {
        throw invalidInput("A contract cannot be its own successor.", [
          { path: "successor_contract_id", message: "must name another contract" },
        ]);
      }
      // Existence is checked within the caller's installation only, like every lookup.
      successorRow = await getContract(db, auth.installationId, successor);
      if (!successorRow) {
        throw invalidInput(`Successor contract ${successor} does not exist in this installation.`, [
          { path: "successor_contract_id", message: "no such contract in this installation" },
        ]);
      }
    }
    const row = await move(
      auth,
      id,
      "deprecate",
      { deprecationReason: body.reason, successorContractId: successor ?? null },
      successorRow?.name ?? null,
    );
    return c.json(presentContract(row), 200);
  });
};

type DeprecationFields = { deprecationReason?: string; successorContractId?: string | null };
