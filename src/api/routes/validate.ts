import type { OpenAPIHono } from "@hono/zod-openapi";
import { dataRuleId, evaluateRows } from "../../core/validate/evaluate-rows.ts";
import type { Db } from "../../db/client.ts";
import { createValidationRun, getValidationRun } from "../../db/validation-runs.ts";
import type { ApiEnv } from "../auth.ts";
import { storedContract } from "../contract-input.ts";
import { notFound } from "../errors.ts";
import { presentValidationRun } from "../present.ts";
import { apiRoute, tooLargeResponse, V1 } from "../route.ts";
import { IdParam, ValidateBody, ValidationRunSchema } from "../schemas.ts";
import { loadContract } from "./contracts.ts";

const json = <T>(schema: T) => ({ "application/json": { schema } });

const validateRoute = apiRoute("manage", {
  method: "post",
  path: `${V1}/contracts/{id}/validate`,
  tags: ["Validation"],
  summary: "Validate sample rows against the contract",
  description:
    "Checks each column's promises (required -> not null, type family, accepted_values, unique) and the " +
    "quality rules that can be judged on rows (regex, not_null, unique, accepted_values, range, row_count). " +
    "SQL and custom rules are reported as not_evaluated with the reason. Each failed rule is also recorded " +
    "as a violation with up to 5 sample values.",
  request: { params: IdParam, body: { required: true, content: json(ValidateBody) } },
  responses: {
    201: { description: "The validation run; Location names it", content: json(ValidationRunSchema) },
    ...tooLargeResponse,
  },
});

const getRoute = apiRoute("read", {
  method: "get",
  path: `${V1}/validation-runs/{id}`,
  tags: ["Validation"],
  summary: "Get a validation run",
  request: { params: IdParam },
  responses: { 200: { description: "The validation run", content: json(ValidationRunSchema) } },
});

export const registerValidateRoutes = (app: OpenAPIHono<ApiEnv>, { db }: { db: Db }): void => {
  app.openapi(validateRoute, async (c) => {
    const auth = c.get("auth");
    const { id } = c.req.valid("param");
    const { rows } = c.req.valid("json");
    const row = await loadContract(db, auth, id);
    const contract = storedContract(row.contents);
    const startedAt = new Date();
    const outcome = evaluateRows(contract, rows);
    const run = await createValidationRun(db, {
      installationId: auth.installationId,
      contractId: id,
      contractVersion: row.version,
      status: outcome.status,
      rowsEvaluated: outcome.rows_evaluated,
      rulesPassed: outcome.rules_passed,
      rulesFailed: outcome.rules_failed,
      results: outcome.results,
      createdBy: auth.actor,
      startedAt,
      finishedAt: new Date(),
      violations: outcome.results
        .filter((r) => r.status === "failed")
        .map((r) => ({
          fingerprint: `${row.name}:${r.rule_id}`,
          rule: dataRuleId(r.kind),
          severity: "error",
          enforcement: row.enforcement,
          contractId: id,
          contractName: row.name,
          contractVersion: row.version,
          dataset: row.datasetName,
          column: r.column ?? null,
          message: `${row.datasetName}: ${r.message} (rule ${r.rule_id}, ${outcome.rows_evaluated} rows checked)`,
          sampleValues: r.sample_values,
        })),
    });
    c.header("Location", `${V1}/validation-runs/${run.id}`);
    return c.json(presentValidationRun(run), 201);
  });

  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const run = await getValidationRun(db, c.get("auth").installationId, id);
    if (!run) throw notFound(`Validation run ${id}`);
    return c.json(presentValidationRun(run), 200);
  });
};
