// The CLI in process (the program src/cli/main.ts runs, with its error printing and exit codes)
// in a directory and environment of the test's choosing: what it printed and the exit code.
import type { CliIO } from "../../src/cli/io.ts";
import { runProgram } from "../../src/cli/run-program.ts";

export const runCli = async (
  env: Record<string, string | undefined>,
  args: string[],
  { cwd = process.cwd() }: { cwd?: string } = {},
) => {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env,
    cwd,
    isTTY: false,
  };
  const code = await runProgram(io, ["node", "covenant", ...args]);
  return { stdout, stderr, code };
};

/** `covenant check --format json` of a git repository's checked-out head against `base`. */
export const checkRepoJson = (dir: string, base = "main") =>
  runCli({}, ["check", "--repo", dir, "--base", base, "--format", "json"]);
