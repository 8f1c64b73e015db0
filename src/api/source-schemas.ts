import { z } from "@hono/zod-openapi";
import { SCAN_STATUSES } from "../db/scans.ts";
import { SOURCE_KINDS } from "../sources/types.ts";
import { PageQuery } from "./schemas.ts";

// Request and response bodies of data sources, scans and infer.

const Timestamp = z.string().openapi({ format: "date-time", example: "2026-01-31T12:00:00.000Z" });

export const MAX_SAMPLE_LIMIT = 10_000_000;

const SourceName = z
  .string()
  .min(1)
  .max(100)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
    "must start with a letter or digit and use only letters, digits, _ . -",
  )
  .openapi({ example: "warehouse" });

const Location = z
  .string()
  .min(1)
  .max(2000)
  .openapi({
    description:
      "A file path in the installation's directory under SOURCE_FILES_ROOT (relative to it), or a " +
      "`postgresql://user@host:port/db` URL WITHOUT password on a host the server allows (SOURCE_HOSTS). A URL " +
      "with a password is refused: put it in a server environment variable and use `location_env`.",
    example: "shop/orders.parquet",
  });

const LocationEnv = z
  .string()
  .min(1)
  .max(120)
  .openapi({
    description:
      "Name of one of the installation's server environment variables, COVENANT_SOURCE_<INSTALLATION ID>__<NAME>, " +
      "holding the URL, with its password, or the file path. The value is read by the server and never returned.",
    example: "COVENANT_SOURCE_CLX4Q2W9E0000AB12CD34EF56__WAREHOUSE",
  });

export const SourceKindEnum = z
  .enum(SOURCE_KINDS)
  .openapi({ description: "Detected from the location when omitted (extension, or postgresql:// URL)" });

export const CreateSourceBody = z
  .object({
    name: SourceName,
    kind: SourceKindEnum.optional(),
    location: Location.optional(),
    location_env: LocationEnv.optional(),
    description: z.string().max(10_000).optional(),
  })
  .strict()
  .openapi("CreateDataSource");

export const UpdateSourceBody = z
  .object({
    name: SourceName.optional(),
    kind: SourceKindEnum.optional(),
    location: Location.optional(),
    location_env: LocationEnv.optional(),
    description: z.string().max(10_000).nullable().optional(),
  })
  .strict()
  .openapi("UpdateDataSource");

export const SourceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: SourceKindEnum,
    location: z
      .string()
      .nullable()
      .openapi({ description: "The path or URL, passwords masked; null when `location_env` is used" }),
    location_env: z
      .string()
      .nullable()
      .openapi({ description: "The environment variable's name, never its value" }),
    description: z.string().nullable(),
    created_by: z.string().nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("DataSource");

export const RegisteredSourceSchema = SourceSchema.extend({
  tables: z.array(z.string()).openapi({ description: "What the source offered when it was opened" }),
}).openapi("RegisteredDataSource");

export const SourcePageSchema = z
  .object({
    content: z.array(SourceSchema),
    page: z.number().int().nullable(),
    size: z.number().int(),
    total_elements: z.number().int(),
    total_pages: z.number().int(),
    cursor: z.string().nullable(),
  })
  .openapi("DataSourcePage");

export const SourceListQuery = z.object(PageQuery);

export const DeleteSourceQuery = z.object({
  force: z
    .enum(["true", "false"])
    .optional()
    .openapi({ description: "Also delete the source's scans (validation runs and violations are kept)" }),
});

export const SourceTablesSchema = z
  .object({
    source_id: z.string(),
    tables: z.array(z.string()).openapi({ example: ["public.orders", "public.customers"] }),
  })
  .openapi("DataSourceTables");

const TableField = z
  .string()
  .min(1)
  .max(300)
  .openapi({ description: "Table of the source; default: the contract's dataset (a file has one)" });

const SampleLimit = z
  .number()
  .int()
  .positive()
  .max(MAX_SAMPLE_LIMIT)
  .openapi({ description: "Check at most this many rows (row-level checks run on a sample)" });

export const VerifyBody = z
  .object({
    source_id: z.string().min(1).max(64),
    table: TableField.optional(),
    sample_limit: SampleLimit.optional(),
  })
  .strict()
  .openapi("VerifyRequest");

export const ScanStatusEnum = z.enum(SCAN_STATUSES);

export const ScanSchema = z
  .object({
    id: z.string(),
    contract_id: z.string(),
    contract_version: z.string(),
    source_id: z.string(),
    table: z.string().nullable(),
    sample_limit: z.number().int().nullable(),
    status: ScanStatusEnum,
    cancel_requested: z.boolean(),
    result: z
      .record(z.string(), z.unknown())
      .nullable()
      .optional()
      .openapi({ description: "The data validation result, once finished (not in listings)" }),
    error: z.string().nullable(),
    validation_run_id: z.string().nullable(),
    created_by: z.string().nullable(),
    created_at: Timestamp,
    started_at: Timestamp.nullable(),
    finished_at: Timestamp.nullable(),
  })
  .openapi("Scan");

export const ScanPageSchema = z
  .object({
    content: z.array(ScanSchema),
    page: z.number().int().nullable(),
    size: z.number().int(),
    total_elements: z.number().int(),
    total_pages: z.number().int(),
    cursor: z.string().nullable(),
  })
  .openapi("ScanPage");

export const ScanListQuery = z.object(PageQuery);

export const ScanLogQuery = z.object({
  after: z
    .string()
    .max(500)
    .optional()
    .openapi({ description: "The `cursor` of a previous answer: only lines written after it" }),
  limit: z.coerce.number().int().min(1).max(500).optional().openapi({ description: "At most 500 (default)" }),
});

export const ScanLogSchema = z
  .object({
    content: z.array(
      z.object({
        at: Timestamp,
        level: z.enum(["debug", "info", "warn", "error"]),
        message: z.string(),
      }),
    ),
    cursor: z
      .string()
      .nullable()
      .openapi({ description: "Pass as `after` to get the next lines (null: no line yet)" }),
    done: z.boolean().openapi({ description: "The scan has finished: no more lines will come" }),
  })
  .openapi("ScanLog");

export const InferBody = z
  .object({
    rows: z
      .array(z.record(z.string(), z.unknown()))
      .min(1)
      .max(10_000)
      .optional()
      .openapi({ description: "Sample records keyed by column name, at most 10,000" }),
    source_id: z.string().min(1).max(64).optional(),
    table: TableField.optional(),
    sample_limit: SampleLimit.optional(),
    name: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: "Contract name (default: the table's)" }),
    owner: z.string().min(1).max(200).optional().openapi({ example: "@acme/data-platform" }),
    dataset: z.string().min(1).max(300).optional().openapi({ description: "Dataset name, for `rows`" }),
    save: z.boolean().optional().openapi({ description: "Register the draft as a contract (201)" }),
  })
  .strict()
  .openapi("InferRequest");

export const InferResultSchema = z
  .object({
    contents: z.string().openapi({ description: "The contract draft as YAML" }),
    contract: z.record(z.string(), z.unknown()).openapi({ description: "The draft, parsed" }),
  })
  .openapi("InferResult");
