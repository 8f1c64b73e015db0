import type { Command } from "commander";
import { CovenantError } from "../../core/errors.ts";
import { type CliIO, readContractFile } from "../io.ts";

/** `import` reads a contract in either format (ODCS v3 or Covenant) and prints Covenant YAML. */
export const registerImport = (program: Command, io: CliIO) =>
  program
    .command("import")
    .description("Convert an Open Data Contract Standard v3 file into a Covenant contract (YAML on stdout)")
    .argument("<file>", "ODCS v3 (or Covenant) YAML file")
    .action(async (file: string) => {
      const contract = await readContractFile(io, file);
      const { serializeContract } = await import("../../core/model/index.ts");
      io.stdout(serializeContract(contract));
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
      const contract = await readContractFile(io, file);
      const { exportOdcs, serializeContract } = await import("../../core/model/index.ts");
      const { stringify } = await import("yaml");
      io.stdout(options.format === "odcs" ? stringify(exportOdcs(contract)) : serializeContract(contract));
    });
