#!/usr/bin/env node
import { VERSION } from "../version.ts";
import { useBaselineWasmCompiler } from "./baseline-wasm.ts";

/** Errors that mean "this cannot be judged" (exit 2), as opposed to "it was judged and fails" (1). */
const BAD_INPUT = new Set(["invalid_input", "not_found", "unprocessable", "source_unavailable", "timeout"]);

// Entry point only: wire the real process into the program; no logic here.
const io = {
  stdout: (text: string) => process.stdout.write(text),
  stderr: (text: string) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
  isTTY: Boolean(process.stdout.isTTY),
};

// A reader that stops early (`covenant check --format json | head`) closes the pipe: what is left to
// print has nowhere to go, but the command still ends with its own exit code, not a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
});

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  // Answered before the program and its commands are loaded: a version check costs a node start.
  io.stdout(`${VERSION}\n`);
} else {
  // Every command but `serve` and `worker` runs once and exits (the only global option, --verbose, takes no value).
  const command = args.find((arg) => !arg.startsWith("-"));
  if (command !== "serve" && command !== "worker") useBaselineWasmCompiler();
  await run();
}

async function run() {
  const [{ CommanderError }, { isCovenantError }, { ExitCode }, { buildProgram }] = await Promise.all([
    import("commander"),
    import("../core/errors.ts"),
    import("./io.ts"),
    import("./program.ts"),
  ]);
  try {
    await buildProgram(io).parseAsync(process.argv);
  } catch (error) {
    if (error instanceof ExitCode) process.exitCode = error.code;
    else if (error instanceof CommanderError) process.exitCode = error.exitCode === 0 ? 0 : 2;
    else if (isCovenantError(error)) {
      io.stderr(`covenant: ${error.message}\n`);
      // A detail that only repeats the message (under an API field path) is not printed twice.
      for (const detail of error.details)
        if (detail.message !== error.message) io.stderr(`  ${detail.message}\n`);
      process.exitCode = BAD_INPUT.has(error.code) ? 2 : 1;
    } else {
      io.stderr(`covenant: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 70;
    }
  }
}
