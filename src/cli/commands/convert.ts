import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Command } from "commander";
import { stringify } from "yaml";
import { CovenantError } from "../../core/errors.ts";
import { exportOdcs, formatContractIssue, parseContract, serializeContract } from "../../core/model/index.ts";
import type { CliIO } from "../io.ts";

const readContract = async (io: CliIO, file: string) => {
  const text = await readFile(resolve(io.cwd, file), "utf8").catch((error: NodeJS.ErrnoException) => {
    throw new CovenantError("invalid_input", `cannot read ${file}: ${error.code ?? error.message}`);
  });
  const parsed = parseContract(text, file);
  if (!parsed.ok) {
    throw new CovenantError(
      "invalid_input",
      `${file} is not a valid contract (${parsed.errors.length} problem(s)); fix them and run again`,
      parsed.errors.map((issue) => ({ message: formatContractIssue(issue), file, line: issue.line })),
    );
  }
  return parsed.contract;
};

/** `import` reads a contract in either format (ODCS v3 or Covenant) and prints Covenant YAML. */
export const registerImport = (program: Command, io: CliIO) =>
  program
    .command("import")
    .description("Convert an Open Data Contract Standard v3 file into a Covenant contract (YAML on stdout)")
    .argument("<file>", "ODCS v3 (or Covenant) YAML file")
    .action(async (file: string) => {
      io.stdout(serializeContract(await readContract(io, file)));
    });

/** `export` prints a contract in ODCS v3 (default) or normalized Covenant YAML. */
export const registerExport = (program: Command, io: CliIO) =>
  program
    .command("export")
    .description("Convert a Covenant contract into Open Data Contract Standard v3 YAML (stdout)")
    .argument("<file>", "Covenant (or ODCS) contract file")
    .option("--format <format>", "odcs | covenant", "odcs")
    .action(async (file: string, options: { format: string }) => {
      if (options.format !== "odcs" && options.format !== "covenant") {
        throw new CovenantError("invalid_input", `--format must be odcs or covenant, not ${options.format}`);
      }
      const contract = await readContract(io, file);
      io.stdout(options.format === "odcs" ? stringify(exportOdcs(contract)) : serializeContract(contract));
    });
