#!/usr/bin/env node
import { VERSION } from "../version.ts";
import { useOneShotCompilers } from "./one-shot-compilers.ts";

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
  if (command !== "serve" && command !== "worker") useOneShotCompilers();
  await run();
}

async function run() {
  const { runProgram } = await import("./run-program.ts");
  process.exitCode = await runProgram(io, process.argv);
}
