import { z } from "@hono/zod-openapi";

// GET /lineage: the question (query) and the answer, the same report `covenant impact --format json` prints.

export const LINEAGE_DIRECTIONS = ["both", "upstream", "downstream"] as const;

export const LineageQuery = z.object({
  repo: z
    .string()
    .regex(/^[^/\s]+\/[^/\s]+$/, "must be owner/name, e.g. acme/shop")
    .openapi({ description: "The repository, as GitHub spells it", example: "acme/shop" }),
  dataset: z
    .string()
    .trim()
    .min(1, "name a dataset, dbt model, seed, snapshot or source")
    .max(300)
    .openapi({
      description:
        "A migration dataset (`public.orders`, or `orders` for Postgres' default schema), a dbt model, seed or " +
        "snapshot, or a dbt source (`shop.orders`). Without `column`, a trailing `.column` is read as the column " +
        "when the whole name is not a node (`public.orders.email`).",
      example: "public.orders",
    }),
  column: z
    .string()
    .trim()
    .min(1)
    .max(300)
    .optional()
    .openapi({ description: "One column; without it, the whole dataset", example: "email" }),
  direction: z
    .enum(LINEAGE_DIRECTIONS)
    .default("both")
    .openapi({ description: "Which way to follow the lineage (default both)" }),
});

const LineageEntrySchema = z
  .object({
    node: z.string().openapi({
      description: "Node id: a dataset's name, a model's name, `source:<source>.<table>`, `exposure:<name>`",
    }),
    label: z.string(),
    kind: z.string().openapi({ description: "dataset, model, seed, snapshot, source or exposure" }),
    file: z.string().nullable(),
    column: z
      .string()
      .openapi({ description: "A column, or `*`: the whole node (its rows, or unknown lineage)" }),
    reach: z.string().openapi({
      description: "projection (the value flows), dependency (WHERE/JOIN/GROUP BY/windows) or unknown",
    }),
    path: z
      .string()
      .openapi({ example: "public.orders.email → stg_orders.customer_email → dim_customers.email" }),
    steps: z.array(z.string()).openapi({ description: "How each step of the path is reached" }),
    owners: z.array(z.string()),
  })
  .openapi("LineageEntry");

export const LineageSchema = z
  .object({
    repo: z.string().openapi({ example: "acme/shop" }),
    default_branch: z.string(),
    commit_sha: z.string().openapi({ description: "The default branch's commit the lineage was read from" }),
    seen_at: z.string().nullable().openapi({
      format: "date-time",
      description: "When that commit was pushed or merged (null: known as a pull request's base)",
    }),
    dataset: z.string(),
    node: z.string(),
    column: z.string().nullable(),
    lineage: z
      .string()
      .openapi({ description: "known, unknown (a model that does not parse) or none (a dataset)" }),
    upstream: z.array(LineageEntrySchema),
    downstream: z.array(LineageEntrySchema),
    owners: z
      .array(z.string())
      .openapi({ description: "Owners of the dataset and of everything downstream" }),
  })
  .openapi("Lineage");
