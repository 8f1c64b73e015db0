import { type Command, Option } from "commander";
import { DIALECTS } from "../../core/model/contract-levels.ts";
import type { InitOptions } from "../init-repository.ts";
import type { CliIO } from "../io.ts";

export const registerInit = (program: Command, io: CliIO): void => {
  program
    .command("init")
    .description(
      "Set a repository up: write a commented .github/covenant.yml for the migrations and dbt projects found, and a draft contract for one of its tables, replayed from its own migrations.",
    )
    .option("--repo <dir>", "the repository (any directory inside it)", ".")
    .option(
      "--dataset <name>",
      "the table or dbt model of the draft contract (default: the largest table with a primary key)",
    )
    .addOption(
      new Option("--dialect <dialect>", "SQL dialect of every migration history (default: detected)").choices(
        DIALECTS,
      ),
    )
    .option("--owner <owner>", "GitHub team or user owning the draft contract, e.g. @acme/data-platform")
    .option("--force", "overwrite files that already exist")
    .addHelpText(
      "after",
      `
Nothing is overwritten without --force. Review both files, commit them to the default branch
(Covenant reads configuration and contracts from the base of a change), then run covenant check
on a branch.`,
    )
    // The replay and the contract parser load when init runs, not when `covenant --help` lists it.
    .action(async (options: InitOptions) =>
      (await import("../init-repository.ts")).initRepository(options, io),
    );
};
