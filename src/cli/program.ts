import { Command } from "commander";
import { VERSION } from "../version.ts";
import { registerCheck } from "./commands/check.ts";
import { registerExport, registerImport } from "./commands/convert.ts";
import { registerDb } from "./commands/db.ts";
import { registerImpact } from "./commands/impact.ts";
import { registerInfer } from "./commands/infer.ts";
import { registerInit } from "./commands/init.ts";
import { registerKeys } from "./commands/keys.ts";
import { registerSchema } from "./commands/schema.ts";
import { registerServe } from "./commands/serve.ts";
import { registerSources } from "./commands/sources.ts";
import { registerValidate } from "./commands/validate.ts";
import { registerWorker } from "./commands/worker.ts";
import { addHelpExamples } from "./help-examples.ts";
import { type CliIO, withDotEnv } from "./io.ts";

/**
 * Every `covenant` command is registered here, in one place. Each command lives in
 * `commands/<name>.ts` and exports `register<Name>(program, io)`.
 */
export const buildProgram = (processIo: CliIO): Command => {
  const io = withDotEnv(processIo);
  const program = new Command("covenant")
    .description("Enforce data contracts on pull requests: replay migrations, diff schemas, judge contracts.")
    .version(VERSION, "-V, --version", "print the version of Covenant")
    .option("-v, --verbose", "say which database and settings (environment or .env) a command uses")
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
    .showHelpAfterError("(add --help for usage and examples)")
    .hook("preAction", (command) => {
      io.verbose = Boolean(command.opts().verbose);
    });
  registerInit(program, io);
  registerCheck(program, io);
  registerSchema(program, io);
  registerImpact(program, io);
  registerInfer(program, io);
  registerValidate(program, io);
  registerServe(program, io);
  registerWorker(program, io);
  registerDb(program, io);
  registerKeys(program, io);
  registerSources(program, io);
  registerImport(program, io);
  registerExport(program, io);
  addHelpExamples(program);
  return program;
};
