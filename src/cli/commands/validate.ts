import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { formatContractIssue, parseContract } from "../../core/model/contract.ts";
import { type CliIO, ExitCode } from "../io.ts";

export const registerValidate = (program: Command, io: CliIO): void => {
  program
    .command("validate")
    .description("Validate contract files; every problem is reported as file:line:column.")
    .argument("<files...>", "contract files (Covenant or ODCS v3 YAML)")
    .action((files: string[]) => {
      let invalid = 0;
      for (const file of files) {
        let text: string;
        try {
          text = readFileSync(resolve(io.cwd, file), "utf8");
        } catch (error) {
          io.stderr(`${file}: cannot read: ${(error as Error).message}\n`);
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
    });
};
