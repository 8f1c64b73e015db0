import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Db } from "../../db/client.ts";
import {
  createDataSource,
  type DataSourceRow,
  deleteDataSource,
  getDataSource,
  listDataSources,
  updateDataSource,
} from "../../db/data-sources.ts";
import { withRegisteredSource } from "../../sources/registered-source.ts";
import {
  type ResolvedSource,
  resolveSourceLocation,
  resolveStoredSource,
  type SourceSettings,
} from "../../sources/source-location.ts";
import type { SourceKind } from "../../sources/types.ts";
import type { ApiEnv, AuthContext } from "../auth.ts";
import { invalidInput, notFound } from "../errors.ts";
import { presentPage } from "../present.ts";
import { presentSource } from "../present-sources.ts";
import { apiRoute, conflictResponse, V1 } from "../route.ts";
import { ErrorSchema, IdParam } from "../schemas.ts";
import {
  CreateSourceBody,
  DeleteSourceQuery,
  RegisteredSourceSchema,
  SourceListQuery,
  SourcePageSchema,
  SourceSchema,
  SourceTablesSchema,
  UpdateSourceBody,
} from "../source-schemas.ts";

const json = <T>(schema: T) => ({ "application/json": { schema } });

export type SourceRouteDeps = { db: Db; sources: SourceSettings };

const error = (description: string) => ({ description, content: json(ErrorSchema) });

/** What a route that opens a data source may answer besides the common errors. */
export const sourceErrorResponses = {
  422: error(
    "The source cannot run a rule of the contract (a type error in a sql rule, a query that does not return one count, …); a rule reading a column the table lacks is not_evaluated instead",
  ),
  502: error("The data source could not be opened or read (the message names it, without secrets)"),
  504: error("A query ran past its statement timeout"),
} as const;

/** A body giving sample `rows`, or a registered source (`source_id`, optionally `table` and `sample_limit`). */
type RowsOrSourceBody = { rows?: unknown; source_id?: string; table?: string; sample_limit?: number };

/** Exactly one of `rows` and `source_id`, or 400 naming the field. */
export const requireRowsOrSource = (body: RowsOrSourceBody): void => {
  if ((body.rows === undefined) === (body.source_id === undefined)) {
    throw invalidInput("Send either `rows` (sample records) or `source_id` (a registered data source).", [
      {
        path: body.rows === undefined ? "rows" : "source_id",
        message: "give exactly one of rows and source_id",
      },
    ]);
  }
};

/** With `rows`, `table` and `sample_limit` have nothing to apply to: 400 naming them. */
export const refuseSourceOptionsWithRows = (body: RowsOrSourceBody): void => {
  const extra = (["table", "sample_limit"] as const).filter((k) => body[k] !== undefined);
  if (extra.length > 0) {
    throw invalidInput(
      "`table` and `sample_limit` apply to a data source (`source_id`), not to `rows`.",
      extra.map((path) => ({ path, message: `${path} needs source_id` })),
    );
  }
};

/** The source of the caller's installation, or 404 (another installation's included). */
export const loadSource = async (db: Db, auth: AuthContext, id: string): Promise<DataSourceRow> => {
  const source = await getDataSource(db, auth.installationId, id);
  if (!source) throw notFound(`Data source ${id}`);
  return source;
};

/** A source named in a request body (`source_id`): unknown -> 400 naming the field, like any bad reference. */
export const sourceOfBody = async (db: Db, auth: AuthContext, id: string): Promise<DataSourceRow> => {
  const source = await getDataSource(db, auth.installationId, id);
  if (!source) {
    throw invalidInput(`Data source ${id} does not exist in this installation (see GET /api/v1/sources).`, [
      { path: "source_id", message: "no such data source in this installation" },
    ]);
  }
  return source;
};

/** A stored source resolved again (a path is re-checked against the root at every open). */
/** Opens the source and lists what it offers; a file's one table is described to prove it reads. */
const describeSource = (resolved: ResolvedSource): Promise<string[]> =>
  withRegisteredSource(resolved, async (source) => {
    const tables = await source.listTables();
    if (resolved.kind !== "postgres" && resolved.kind !== "sqlite") await source.describeTable(tables[0]);
    return tables;
  });

const listRoute = apiRoute("read", {
  method: "get",
  path: `${V1}/sources`,
  tags: ["Data sources"],
  summary: "List data sources",
  description:
    "Oldest first. Page with `page`/`size`, or follow `cursor`. Locations are shown without passwords.",
  request: { query: SourceListQuery },
  responses: { 200: { description: "A page of data sources", content: json(SourcePageSchema) } },
});

const createRouteDef = apiRoute("manage", {
  method: "post",
  path: `${V1}/sources`,
  tags: ["Data sources"],
  summary: "Register a data source",
  description:
    "A SQLite, CSV, JSON lines or Parquet file in the installation's directory under the server's " +
    "SOURCE_FILES_ROOT (SOURCE_FILES_ROOT/<installation id>/), or a PostgreSQL database on a host the server " +
    "allows (SOURCE_HOSTS). `kind` is detected from the location when omitted. Credentials never travel through " +
    "the API: a postgres URL with a password is refused (400); put it in a server environment variable named " +
    "COVENANT_SOURCE_<INSTALLATION ID>__<NAME> and register `location_env` with that name. The source is opened and its tables listed before anything " +
    "is stored: a location that cannot be read is 400, a database that cannot be reached 502.",
  request: { body: { required: true, content: json(CreateSourceBody) } },
  responses: {
    201: { description: "Registered; Location names it", content: json(RegisteredSourceSchema) },
    ...conflictResponse,
    ...sourceErrorResponses,
  },
});

const getRouteDef = apiRoute("read", {
  method: "get",
  path: `${V1}/sources/{id}`,
  tags: ["Data sources"],
  summary: "Get a data source",
  request: { params: IdParam },
  responses: { 200: { description: "The data source", content: json(SourceSchema) } },
});

const updateRouteDef = apiRoute("manage", {
  method: "patch",
  path: `${V1}/sources/{id}`,
  tags: ["Data sources"],
  summary: "Update a data source",
  description:
    "Rename it, change its description, or point it elsewhere (`location` or `location_env`, with the same " +
    "rules as at registration; the new location is opened before it is stored).",
  request: { params: IdParam, body: { required: true, content: json(UpdateSourceBody) } },
  responses: {
    200: { description: "The updated data source", content: json(SourceSchema) },
    ...conflictResponse,
    ...sourceErrorResponses,
  },
});

const deleteRouteDef = apiRoute("manage", {
  method: "delete",
  path: `${V1}/sources/{id}`,
  tags: ["Data sources"],
  summary: "Delete a data source",
  description:
    "Refused (409) while scans refer to the source, unless `force=true`: then its scans go with it. Validation " +
    "runs and violations are kept (without the source).",
  request: { params: IdParam, query: DeleteSourceQuery },
  responses: { 204: { description: "Deleted" }, ...conflictResponse },
});

const tablesRouteDef = apiRoute("read", {
  method: "get",
  path: `${V1}/sources/{id}/tables`,
  tags: ["Data sources"],
  summary: "List the tables of a data source",
  description: "Opens the source and lists its tables and views (qualified); a file offers one.",
  request: { params: IdParam },
  responses: {
    200: { description: "The tables", content: json(SourceTablesSchema) },
    ...sourceErrorResponses,
  },
});

export const registerSourceRoutes = (app: OpenAPIHono<ApiEnv>, { db, sources }: SourceRouteDeps): void => {
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid("query");
    const page = await listDataSources(db, c.get("auth").installationId, q);
    return c.json(presentPage(page, presentSource), 200);
  });

  app.openapi(createRouteDef, async (c) => {
    const auth = c.get("auth");
    const body = c.req.valid("json");
    const resolved = resolveSourceLocation(
      {
        installationId: auth.installationId,
        kind: body.kind,
        location: body.location,
        locationEnv: body.location_env,
      },
      sources,
    );
    const tables = await describeSource(resolved);
    const row = await createDataSource(db, {
      installationId: auth.installationId,
      name: body.name,
      kind: resolved.kind,
      location: resolved.location,
      locationEnv: resolved.locationEnv,
      description: body.description ?? null,
      createdBy: auth.actor,
    });
    c.header("Location", `${V1}/sources/${row.id}`);
    return c.json({ ...presentSource(row), tables }, 201);
  });

  app.openapi(getRouteDef, async (c) => {
    const row = await loadSource(db, c.get("auth"), c.req.valid("param").id);
    return c.json(presentSource(row), 200);
  });

  app.openapi(updateRouteDef, async (c) => {
    const auth = c.get("auth");
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const row = await loadSource(db, auth, id);
    const moved = body.location !== undefined || body.location_env !== undefined || body.kind !== undefined;
    let where = {};
    if (moved) {
      // A new location replaces the old one whole: location and location_env exclude each other.
      const given = body.location !== undefined || body.location_env !== undefined;
      const resolved = resolveSourceLocation(
        {
          installationId: auth.installationId,
          kind: body.kind ?? (given ? undefined : (row.kind as SourceKind)),
          location: given ? body.location : row.location,
          locationEnv: given ? body.location_env : row.locationEnv,
        },
        sources,
        { stored: !given },
      );
      await describeSource(resolved);
      where = { kind: resolved.kind, location: resolved.location, locationEnv: resolved.locationEnv };
    }
    const updated = await updateDataSource(db, auth.installationId, id, {
      ...where,
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
    });
    return c.json(presentSource(updated), 200);
  });

  app.openapi(deleteRouteDef, async (c) => {
    const { id } = c.req.valid("param");
    const { force } = c.req.valid("query");
    await deleteDataSource(db, c.get("auth").installationId, id, { force: force === "true" });
    return c.body(null, 204);
  });

  app.openapi(tablesRouteDef, async (c) => {
    const row = await loadSource(db, c.get("auth"), c.req.valid("param").id);
    const tables = await withRegisteredSource(resolveStoredSource(row, sources), (source) =>
      source.listTables(),
    );
    return c.json({ source_id: row.id, tables }, 200);
  });
};
