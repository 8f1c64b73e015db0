// The CLI in process (the program src/cli/main.ts runs) with its own environment: what it printed,
// Covenant errors included as the entry point prints them, and the exit code it would end with.
import { CommanderError } from "commander";
import { ExitCode } from "../../src/cli/io.ts";
import { buildProgram } from "../../src/cli/program.ts";
import { isCovenantError } from "../../src/core/errors.ts";

/** Errors that mean "this cannot be judged" (exit 2), as the entry point sorts them. */
const BAD_INPUT = new Set(["invalid_input", "not_found", "unprocessable", "source_unavailable", "timeout"]);

export const runCli = async (env: Record<string, string | undefined>, args: string[]) => {
  const out: string[] = [];
  const err: string[] = [];
  let code = 0;
  const io = {
    stdout: (t: string) => void out.push(t),
    stderr: (t: string) => void err.push(t),
    env,
    cwd: process.cwd(),
    isTTY: false,
  };
  try {
    await buildProgram(io).parseAsync(["node", "covenant", ...args]);
  } catch (error) {
    if (error instanceof ExitCode) code = error.code;
    else if (error instanceof CommanderError) code = error.exitCode === 0 ? 0 : 2;
    else if (isCovenantError(error)) {
      err.push(error.message, ...error.details.map((d) => d.message).filter((m) => m !== error.message));
      code = BAD_INPUT.has(error.code) ? 2 : 1;
    } else throw error;
  }
  return { stdout: out.join(""), stderr: err.join("\n"), code };
};
