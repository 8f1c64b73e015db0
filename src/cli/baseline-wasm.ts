import { setFlagsFromString } from "node:v8";

/**
 * Compiles WebAssembly with V8's baseline compiler (Liftoff) only, for a process that runs one
 * command and exits. By default V8 also recompiles hot WebAssembly functions with its optimizing
 * compiler; the Postgres parser (libpg-query) and Prisma's schema engine are large WebAssembly
 * modules, and optimizing them costs more CPU than one command gains from the faster code:
 * `covenant schema` on an 820-file history took ~1.1 s of CPU cold with tier-up against ~0.4 s
 * Liftoff-only, while a warm replay is only ~15% slower on Liftoff. Long-running processes replay
 * often enough to keep V8's default (`covenant serve` and `covenant worker`). Must run before the first module compiles.
 */
export const useBaselineWasmCompiler = (): void => {
  setFlagsFromString("--liftoff-only");
};
