import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Contract } from "../../core/model/contract.ts";
import { DIALECTS } from "../../core/model/contract-levels.ts";
import { type CheckInput, checkPayload } from "../../core/validate/check-payload.ts";
import type { Db } from "../../db/client.ts";
import type { ApiEnv, AuthContext } from "../auth.ts";
import { contractFromFields, contractFromYaml, storedContract } from "../contract-input.ts";
import { invalidInput } from "../errors.ts";
import { apiRoute, tooLargeResponse, V1 } from "../route.ts";
import { MAX_VALIDATION_ROWS } from "../schemas.ts";
import { loadContract } from "./contracts.ts";

// DriftGuard's check: is this payload (sample rows or a described schema) still what the
// contract promises? Nothing is stored; the answer is the engine's verdict and score.

export const MAX_CHECK_COLUMNS = 2_000;

const CheckColumn = z
  .object({
    name: z.string().min(1),
    type: z.string().min(1).openapi({
      description:
        "A family (string, integer, number, boolean, date, timestamp, json, binary, uuid) or a SQL type",
      example: "varchar(255)",
    }),
    nullable: z.boolean().optional().openapi({ description: "Default true, as in SQL" }),
    required: z.boolean().optional().openapi({ description: "The opposite of nullable; give one of them" }),
  })
  .openapi("CheckSchemaColumn");

const CheckSchemaInput = z
  .object({
    columns: z.array(CheckColumn).min(1).max(MAX_CHECK_COLUMNS),
    primary_key: z
      .array(z.string().min(1))
      .optional()
      .openapi({ description: "Omitted: the key is not judged. `[]`: the table has no primary key" }),
    dialect: z
      .enum(DIALECTS)
      .optional()
      .openapi({ description: "How to read the type names (default postgres)" }),
  })
  .openapi("CheckSchema");

export const CheckBody = z
  .object({
    contract_id: z
      .string()
      .min(1)
      .optional()
      .openapi({ description: "A contract of this installation, whatever its status" }),
    contract: z
      .union([z.string().min(1), z.record(z.string(), z.unknown())])
      .optional()
      .openapi({ description: "The contract itself: YAML text (Covenant or ODCS v3) or its fields as JSON" }),
    rows: z
      .array(z.record(z.string(), z.unknown()))
      .min(1)
      .max(MAX_VALIDATION_ROWS)
      .optional()
      .openapi({ description: `Sample records keyed by column name, at most ${MAX_VALIDATION_ROWS}` }),
    schema: CheckSchemaInput.optional(),
  })
  .openapi("CheckRequest");

const CheckViolationSchema = z
  .object({
    rule: z.string().openapi({ example: "contract-column-missing" }),
    severity: z.enum(["info", "warning", "error"]),
    column: z.string().optional(),
    message: z.string(),
    help: z.string().optional().openapi({ description: "What to do instead" }),
    expected: z.string().optional(),
    actual: z.string().optional(),
  })
  .openapi("CheckViolation");

export const CheckResultSchema = z
  .object({
    result: z
      .enum(["pass", "warning", "breaking"])
      .openapi({ description: "pass (0), warning (< 40), breaking (>= 40)" }),
    severity: z.number().int().min(0).max(100).openapi({
      description: "0-100: required column removed +40, optional +20, type change +30, … (capped at 100)",
    }),
    diff: z.object({
      removed: z.array(z.object({ name: z.string(), type: z.string(), required: z.boolean() })),
      added: z.array(z.object({ name: z.string(), type: z.string(), nullable: z.boolean() })),
      type_changed: z.array(z.object({ name: z.string(), expected: z.string(), actual: z.string() })),
      nullability_changed: z.array(
        z.object({ name: z.string(), expected: z.literal("required"), actual: z.literal("nullable") }),
      ),
    }),
    violations: z.array(CheckViolationSchema),
  })
  .openapi("CheckResult");

const json = <T>(schema: T) => ({ "application/json": { schema } });

const checkRoute = apiRoute("read", {
  method: "post",
  path: `${V1}/check`,
  tags: ["Validation"],
  summary: "Check a payload against a contract (DriftGuard)",
  description:
    "Give the contract (`contract_id`, or `contract` as YAML text or JSON fields) and what to check: `rows` " +
    "(sample records; types and nullability are read from the values) or `schema` (the columns as a table " +
    "declares them). The contract's schema rules judge it and score it as the pull request analysis does: " +
    "required column removed +40, optional removed +20, type changed +30, required column nullable +25, " +
    "primary key changed +40, capped at 100. Nothing is stored. Data rules (accepted values, regex…) are " +
    "checked by POST /contracts/{id}/validate.",
  request: { body: { required: true, content: json(CheckBody) } },
  responses: {
    200: { description: "The verdict", content: json(CheckResultSchema) },
    ...tooLargeResponse,
  },
});

const contractOf = async (db: Db, auth: AuthContext, body: z.infer<typeof CheckBody>): Promise<Contract> => {
  if (body.contract_id !== undefined)
    return storedContract((await loadContract(db, auth, body.contract_id)).contents);
  if (typeof body.contract === "string") return contractFromYaml(body.contract, "contract").contract;
  return contractFromFields(body.contract ?? {}).contract;
};

export const registerCheckRoutes = (app: OpenAPIHono<ApiEnv>, { db }: { db: Db }): void => {
  app.openapi(checkRoute, async (c) => {
    const body = c.req.valid("json");
    if ((body.contract_id === undefined) === (body.contract === undefined)) {
      throw invalidInput(
        "Send exactly one of `contract_id` (a registered contract) and `contract` (YAML or JSON).",
        [{ path: "contract", message: "give exactly one of contract_id and contract" }],
      );
    }
    const input: CheckInput | undefined =
      body.rows && !body.schema
        ? { rows: body.rows }
        : body.schema && !body.rows
          ? { schema: body.schema }
          : undefined;
    if (!input) {
      throw invalidInput("Send exactly one of `rows` (sample records) and `schema` (the table's columns).", [
        { path: "rows", message: "give exactly one of rows and schema" },
      ]);
    }
    const contract = await contractOf(db, c.get("auth"), body);
    return c.json(checkPayload(contract, input), 200);
  });
};
