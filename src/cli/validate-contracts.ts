import { resolve } from "node:path";
import { CovenantError } from "../core/errors.ts";
import {
  type Contract,
  type ContractLines,
  formatContractIssue,
  parseContract,
} from "../core/model/contract.ts";
import type { Finding } from "../core/model/finding.ts";
import {
  type RuleDescription,
  renderFindingsGithub,
  renderFindingsSarif,
} from "../core/report/render-findings.ts";
import { detectSourceKind, openSource, redactLocation } from "../sources/open-source.ts";
import {
  type DataValidationResult,
  DEFAULT_VALIDATE_TIMEOUT_MS,
  validateSource,
} from "../sources/validate-source.ts";
import type { Format, ValidateOptions } from "./commands/validate.ts";
import { type CliIO, ExitCode, readInputFile } from "./io.ts";

/**
 * `covenant validate`: contract files (each problem at file:line:column), or with --source the data
 * of a live table against a contract.
 */
export const validateContracts = async (
  files: string[],
  options: ValidateOptions,
  io: CliIO,
): Promise<void> => {
  if (options.source !== undefined) return validateData(files, options, io);
  if (options.contract !== undefined) files = [...files, options.contract];
  if (files.length === 0) {
    throw new CovenantError(
      "invalid_input",
      "give contract files to validate, or --contract FILE --source PATH_OR_URL to validate data",
    );
  }
  validateFiles(files, options.format, io);
};

const CONTRACT_RULES: RuleDescription[] = [
  { id: "contract-invalid", description: "A contract file does not validate", severity: "error" },
];

type FileReport = {
  file: string;
  valid: boolean;
  contract?: { name: string; version: string; format: "covenant" | "odcs" };
  problems: Finding[];
};

const checkFile = (file: string, io: CliIO): FileReport => {
  let text: string;
  try {
    text = readInputFile(io, file, "contract");
  } catch (error) {
    const message = (error as Error).message;
    return {
      file,
      valid: false,
      problems: [{ rule: "contract-invalid", severity: "error", file, line: 0, message }],
    };
  }
  const result = parseContract(text, file);
  if (result.ok) {
    return {
      file,
      valid: true,
      contract: { name: result.contract.name, version: result.contract.version, format: result.format },
      problems: [],
    };
  }
  return {
    file,
    valid: false,
    problems: result.errors.map((issue) => ({
      rule: "contract-invalid",
      severity: "error",
      file,
      line: issue.line,
      column: issue.column,
      message: issue.message,
    })),
  };
};

const validateFiles = (files: string[], format: Format, io: CliIO): void => {
  const reports = files.map((file) => checkFile(file, io));
  const problems = reports.flatMap((r) => r.problems);
  const invalid = reports.filter((r) => !r.valid).length;
  if (format === "json") {
    const body = {
      valid: invalid === 0,
      files: reports.map((r) => ({
        file: r.file,
        valid: r.valid,
        ...(r.contract ? { contract: r.contract } : {}),
        problems: r.problems.map((p) => ({
          rule: p.rule,
          file: p.file,
          line: p.line > 0 ? p.line : null,
          column: p.column ?? null,
          message: p.message,
        })),
      })),
    };
    io.stdout(`${JSON.stringify(body, null, 2)}\n`);
  } else if (format === "sarif") {
    io.stdout(renderFindingsSarif(problems, CONTRACT_RULES));
  } else if (format === "github") {
    io.stdout(
      renderFindingsGithub(
        problems,
        `covenant: ${files.length - invalid} of ${files.length} contract file(s) valid`,
      ),
    );
  } else {
    for (const r of reports) {
      if (r.contract)
        io.stdout(`${r.file}: ok (${r.contract.name} ${r.contract.version}, ${r.contract.format})\n`);
      for (const p of r.problems) {
        if (p.line > 0)
          io.stdout(
            `${formatContractIssue({ file: p.file, line: p.line, column: p.column ?? 1, path: "", message: p.message })}\n`,
          );
        else io.stderr(`${p.message}\n`);
      }
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
  const parsed = parseContract(readInputFile(io, options.contract, "contract"), options.contract);
  if (!parsed.ok) {
    // An invalid contract is reported like `validate FILE` would, in the format asked for.
    if (options.format !== "text") return validateFiles([options.contract], options.format, io);
    throw new CovenantError(
      "invalid_input",
      `${options.contract} is not a valid contract (${parsed.errors.length} problem(s)); fix them and run again`,
      parsed.errors.map((issue) => ({
        message: formatContractIssue(issue),
        file: options.contract,
        line: issue.line,
      })),
    );
  }
  const contract = parsed.contract;
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
  if (options.format === "json") io.stdout(renderJson(shown));
  else if (options.format === "sarif")
    io.stdout(renderFindingsSarif(dataFindings(shown, contract, parsed.lines, options.contract), DATA_RULES));
  else if (options.format === "github")
    io.stdout(
      renderFindingsGithub(dataFindings(shown, contract, parsed.lines, options.contract), summaryLine(shown)),
    );
  else io.stdout(renderText(shown));
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
  lines.push(summaryLine(result));
  return `${lines.join("\n")}\n`;
};

const summaryLine = (result: DataValidationResult): string =>
  `${result.passed ? "passed" : "failed"}: ${result.table} (${result.source}): ${result.rows_evaluated} row(s) evaluated, ${result.results.length} rule(s): ${result.rules_passed} passed, ${result.rules_failed} failed, ${result.rules_not_evaluated} not evaluated; schema ${result.schema.status} (score ${result.schema.score})`;

const DATA_RULES: RuleDescription[] = [
  { id: "data-validation", description: "The data breaks a promise of its contract", severity: "error" },
];

/**
 * Failed and unevaluated rules as findings on the contract file, at the line that makes the
 * promise: the column's entry, the quality rule's, the primary key, the SLA.
 */
const dataFindings = (
  result: DataValidationResult,
  contract: Contract,
  lines: ContractLines,
  file: string,
): Finding[] =>
  result.results
    .filter((r) => r.status !== "passed")
    .map((r): Finding => {
      const columnLine = r.column !== undefined ? lines.column[r.column.toLowerCase()] : undefined;
      const line =
        lines.rule?.[r.rule_id] ??
        (r.kind === "primary_key" ? lines.primaryKey : undefined) ??
        (r.rule_id.startsWith("sla:") ? lines.sla : undefined) ??
        columnLine ??
        (r.kind === "schema" ? lines.columns : undefined) ??
        1;
      const count = r.kind === "schema" || r.failed_rows === 0 ? "" : ` (${r.failed_rows} row(s))`;
      const samples =
        r.sample_values.length > 0
          ? ` Samples: ${r.sample_values.map((v) => JSON.stringify(v)).join(", ")}`
          : "";
      return {
        rule: r.rule ?? r.rule_id,
        severity: r.status === "failed" ? "error" : "warning",
        file,
        line,
        message:
          r.status === "failed"
            ? `${contract.name}: ${r.rule_id} failed on ${result.table}${count}: ${r.message}.${samples}`
            : `${contract.name}: ${r.rule_id} was not evaluated on ${result.table}: ${r.reason ?? r.message}`,
      };
    });
