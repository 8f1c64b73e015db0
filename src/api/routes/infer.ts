import type { OpenAPIHono } from "@hono/zod-openapi";
import { profileRows, suggestContract } from "../../core/validate/profile.ts";
import type { Db } from "../../db/client.ts";
import { inferFromSource } from "../../sources/profile-source.ts";
import { withRegisteredSource } from "../../sources/registered-source.ts";
import {
  resolveStoredSource,
  type SourceSettings,
  scrubSourceMessage,
} from "../../sources/source-location.ts";
import type { ApiEnv } from "../auth.ts";
import { contractFromYaml } from "../contract-input.ts";
import { invalidInput } from "../errors.ts";
import { presentContract } from "../present.ts";
import { apiRoute, conflictResponse, tooLargeResponse, V1 } from "../route.ts";
import { ContractSchema } from "../schemas.ts";
import { InferBody, InferResultSchema } from "../source-schemas.ts";
import { newContractWarnings, registerContract } from "./contracts.ts";
import {
  refuseSourceOptionsWithRows,
  requireRowsOrSource,
  sourceErrorResponses,
  sourceOfBody,
} from "./sources.ts";

const json = <T>(schema: T) => ({ "application/json": { schema } });

const inferRoute = apiRoute("manage", {
  method: "post",
  path: `${V1}/infer`,
  tags: ["Validation"],
  summary: "Infer a contract draft from sample rows or a data source's table",
  description:
    "Profiles `rows`, or a registered source's table (`source_id`, `table`, `sample_limit`), and drafts a " +
    "contract: columns with types, required and unique where the data says so, accepted values of " +
    "low-cardinality text columns. Answers the YAML draft (200). With `save: true` the draft is registered " +
    "as a draft contract, exactly as POST /contracts would (201 + Location; 409 when the name is taken).",
  request: { body: { required: true, content: json(InferBody) } },
  responses: {
    200: { description: "The draft (not stored)", content: json(InferResultSchema) },
    201: {
      description: "The draft registered as a contract; Location names it",
      content: json(ContractSchema),
    },
    ...conflictResponse,
    ...tooLargeResponse,
    ...sourceErrorResponses,
  },
});

export const registerInferRoutes = (
  app: OpenAPIHono<ApiEnv>,
  { db, sources }: { db: Db; sources: SourceSettings },
): void => {
  app.openapi(inferRoute, async (c) => {
    const auth = c.get("auth");
    const body = c.req.valid("json");
    requireRowsOrSource(body);
    const naming = {
      ...(body.name ? { name: body.name } : {}),
      ...(body.owner ? { owner: body.owner } : {}),
    };
    let yaml: string;
    if (body.rows !== undefined) {
      refuseSourceOptionsWithRows(body);
      const dataset = body.dataset ?? body.name;
      if (!dataset) {
        throw invalidInput(
          "Name the dataset the rows come from: give `dataset` (e.g. public.orders) or `name`.",
          [{ path: "dataset", message: "required with rows (or give name)" }],
        );
      }
      const { table, profiles } = profileRows(body.rows, { name: dataset });
      yaml = suggestContract(table, profiles, { ...naming, dataset });
    } else {
      if (body.dataset !== undefined) {
        throw invalidInput("`dataset` applies to `rows`; for a data source give `table`.", [
          { path: "dataset", message: "use table with source_id" },
        ]);
      }
      const source = await sourceOfBody(db, auth, body.source_id as string);
      const resolved = resolveStoredSource(source, sources);
      const drafted = await withRegisteredSource(resolved, (opened) =>
        inferFromSource(opened, {
          ...naming,
          ...(body.table ? { table: body.table } : {}),
          ...(body.sample_limit ? { sampleLimit: body.sample_limit } : {}),
        }),
      );
      // The draft's comments name where the data was read: the source's label, not the server's path.
      yaml = scrubSourceMessage(drafted, resolved);
    }
    const doc = contractFromYaml(yaml, "inferred contract");
    if (!body.save)
      return c.json({ contents: doc.contents, contract: doc.contract as Record<string, unknown> }, 200);
    const row = await registerContract(db, auth, doc, "Inferred from data");
    c.header("Location", `${V1}/contracts/${row.id}`);
    return c.json(presentContract(row, newContractWarnings(doc)), 201);
  });
};
