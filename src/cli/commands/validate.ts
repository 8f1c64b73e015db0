import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { CovenantError } from "../../core/errors.ts";
import { formatContractIssue, parseContract } from "../../core/model/contract.ts";
import { detectSourceKind, openSource, redactLocation } from "../../sources/open-source.ts";
import {
  type DataValidationResult,
  DEFAULT_VALIDATE_TIMEOUT_MS,
  validateSource,
} from "../../sources/validate-source.ts";
import { type CliIO, ExitCode, readContractFile, readInputFile } from "../io.ts";

const FORMATS = ["text", "json"] as const;
type Format = (typeof FORMATS)[number];

type ValidateOptions = {
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
    .addOption(new Option("--format <format>", "output format").choices(FORMATS).default("text"))
    .option("--timeout-ms <n>", "time budget for the whole validation", String(DEFAULT_VALIDATE_TIMEOUT_MS))
    .action(async (files: string[], options: ValidateOptions) => {
      if (options.source !== undefined) return validateData(files, options, io);
      if (options.contract !== undefined) files = [...files, options.contract];
      if (files.length === 0) {
        throw new CovenantError(
          "invalid_input",
          "give contract files to validate, or --contract FILE --source PATH_OR_URL to validate data",
        );
      }
      validateFiles(files, io);
    });
};

const validateFiles = (files: string[], io: CliIO): void => {
  let invalid = 0;
  for (const file of files) {
    let text: string;
    try {
      text = readInputFile(io, file, "contract");
    } catch (error) {
      io.stderr(`${(error as Error).message}\n`);
      invalid++;
      continue;
    }
    const result = parseContract(text, file);
    if (result.ok) {
      io.stdout(`${file}: ok (${result.contract.name} ${result.contract.version}, ${result.format})\n`);
    } else {
      invalid++;
      for (const issue of result.errors) io.stdout(`${formatContractIssue(issue)}\n`);
    }
  }
  if (invalid > 0) throw new ExitCode(2);
};

const positiveInteger = (flag: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n <= 0) {
    throw new CovenantError("invalid_input", `${flag} must be a positive whole number, got "${text}"`);
  }
  return n;
};

const validateData = async (files: string[], options: ValidateOptions, io: CliIO): Promise<void> => {
  if (options.contract === undefined) {
    throw new CovenantError(
      "invalid_input",
      "--source needs --contract FILE: the contract to validate the data against",
    );
  }
  if (files.length > 0) {
    throw new CovenantError(
      "invalid_input",
      `with --source, give the contract with --contract only (unexpected: ${files.join(" ")})`,
    );
  }
  const sampleLimit = positiveInteger("--sample-limit", options.sampleLimit);
  const timeoutMs = positiveInteger("--timeout-ms", options.timeoutMs) ?? DEFAULT_VALIDATE_TIMEOUT_MS;
  const contract = readContractFile(io, options.contract);
  const source = options.source ?? "";
  const location = /^[a-z][a-z0-9+.-]*:\/\//i.test(source) ? source : resolve(io.cwd, source);
  const data = await openSource({ kind: detectSourceKind(location), location });
  let result: DataValidationResult;
  try {
    result = await validateSource(contract, data, {
      ...(options.table !== undefined ? { table: options.table } : {}),
      ...(sampleLimit !== undefined ? { sampleLimit } : {}),
      timeoutMs,
      log: (level, message) => {
        if (level !== "info") io.stderr(`${level}: ${message}\n`);
      },
    });
  } finally {
    await data.close();
  }
  // A relative path is shown as given; a URL only ever without its password.
  const shown = { ...result, source: location === source ? redactLocation(source) : source };
  io.stdout(options.format === "json" ? renderJson(shown) : renderText(shown));
  if (!result.passed) throw new ExitCode(1);
};

const renderSamples = (values: unknown[]): string =>
  values.length === 0 ? "" : `  samples: ${values.map((v) => JSON.stringify(v)).join(", ")}`;

/**
 * The API's names for the same things (a validation run of POST /contracts/{id}/validate):
 * `{ passed, rows_evaluated, rules_passed, rules_failed, rules_not_evaluated, results: [{ rule_id,
 * status, failed_rows, sample_values, … }], schema, … }`.
 */
export const renderJson = (result: DataValidationResult): string => {
  const body = {
    passed: result.passed,
    rows_evaluated: result.rows_evaluated,
    rules_passed: result.rules_passed,
    rules_failed: result.rules_failed,
    rules_not_evaluated: result.rules_not_evaluated,
    results: result.results,
    checked_at: result.checked_at,
    table: result.table,
    source: result.source,
    schema: result.schema,
  };
  return `${JSON.stringify(body, null, 2)}\n`;
};

export const renderText = (result: DataValidationResult): string => {
  const lines: string[] = [];
  for (const r of result.results) {
    if (r.status === "failed") {
      const count = r.kind === "schema" ? "schema" : `${r.failed_rows} row(s)`;
      lines.push(`FAIL  ${r.rule_id}  ${count}  ${r.message}${renderSamples(r.sample_values)}`);
    } else if (r.status === "not_evaluated") {
      lines.push(`SKIP  ${r.rule_id}  ${r.reason ?? r.message}`);
    }
  }
  const total = result.results.length;
  lines.push(
    `${result.passed ? "passed" : "failed"}: ${result.table} (${result.source}): ${result.rows_evaluated} row(s) evaluated, ${total} rule(s): ${result.rules_passed} passed, ${result.rules_failed} failed, ${result.rules_not_evaluated} not evaluated; schema ${result.schema.status} (score ${result.schema.score})`,
  );
  return `${lines.join("\n")}\n`;
};
