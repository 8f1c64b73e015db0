import { CommanderError } from "commander";
import { isCovenantError } from "../core/errors.ts";
import { type CliIO, ExitCode } from "./io.ts";
import { buildProgram } from "./program.ts";

/** Errors that mean "this cannot be judged" (exit 2), as opposed to "it was judged and fails" (1). */
const BAD_INPUT = new Set(["invalid_input", "not_found", "unprocessable", "source_unavailable", "timeout"]);

/**
 * Runs `covenant` on `argv` (node, script, arguments…) and returns its exit code, with every error
 * printed as the command line shows it: the entry point's behaviour, shared with the tests that
 * run the program in process.
 */
export const runProgram = async (io: CliIO, argv: string[]): Promise<number> => {
  try {
    await buildProgram(io).parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof ExitCode) return error.code;
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (isCovenantError(error)) {
      io.stderr(`covenant: ${error.message}\n`);
      // A detail that only repeats the message (under an API field path) is not printed twice.
      for (const detail of error.details)
        if (detail.message !== error.message) io.stderr(`  ${detail.message}\n`);
      return BAD_INPUT.has(error.code) ? 2 : 1;
    }
    io.stderr(`covenant: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 70;
  }
};
