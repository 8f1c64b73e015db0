import { type Command, Option } from "commander";
import { DEFAULT_VALIDATE_TIMEOUT_MS } from "../../sources/types.ts";
import type { CliIO } from "../io.ts";

const FORMATS = ["text", "json", "sarif", "github"] as const;
export type Format = (typeof FORMATS)[number];

export type ValidateOptions = {
  contract?: string;
  source?: string;
  table?: string;
  sampleLimit?: string;
  format: Format;
  timeoutMs?: string;
};

export const registerValidate = (program: Command, io: CliIO): void => {
  program
    .command("validate")
    .description(
      "Validate contract files (every problem reported as file:line:column), or, with --source, the data of a live table against a contract.",
    )
    .argument("[files...]", "contract files (Covenant or ODCS v3 YAML)")
    .option("--contract <file>", "the contract to validate the data against (with --source)")
    .option(
      "--source <path-or-url>",
      "a postgresql:// URL, or a SQLite, CSV, JSON lines or Parquet file whose data is validated",
    )
    .option("--table <name>", "the table to validate (default: the contract's dataset; a file's one table)")
    .option("--sample-limit <n>", "validate only the first N rows")
    .addOption(
      new Option(
        "--format <format>",
        "output format: text, json, sarif (code scanning) or github (workflow annotations at file:line)",
      )
        .choices(FORMATS)
        .default("text"),
    )
    .option("--timeout-ms <n>", "time budget for the whole validation", String(DEFAULT_VALIDATE_TIMEOUT_MS))
    // Contract parsing and the data sources load when validate runs, not when `covenant --help` lists it.
    .action(async (files: string[], options: ValidateOptions) =>
      (await import("../validate-contracts.ts")).validateContracts(files, options, io),
    );
};
