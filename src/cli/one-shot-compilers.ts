import { setFlagsFromString } from "node:v8";

/**
 * V8 settings for a process that runs one command and exits (every command but `serve` and
 * `worker`); must run before the first module compiles. V8's defaults suit a long-running process,
 * which earns back the CPU its optimizing compilers spend; a one-shot command mostly does not:
 *
 * - WebAssembly is compiled with the baseline compiler (Liftoff) only. By default V8 also
 *   recompiles hot WebAssembly functions with its optimizing compiler; the Postgres parser
 *   (libpg-query) and Prisma's schema engine are large modules, and optimizing them cost more CPU
 *   than one command gains from the faster code: `covenant schema` on an 820-file history took
 *   ~1.1 s of CPU cold with tier-up against ~0.4 s Liftoff-only, while a warm replay is only ~15%
 *   slower on Liftoff.
 * - JavaScript reaches the optimizing compiler (Turbofan) after ten times the usual amount of work
 *   (`--interrupt-budget`, V8's default 67,584). Turbofan compiles on a thread of its own, and a cold
 *   replay asks it for hundreds of functions it then runs only a few more times: on the same
 *   history that compiling was ~20% of the run's CPU. Code that stays hot (a long validation, a
 *   replay repeated many times) still gets optimized, after a longer wait.
 *
 * Measured in docs/replay-benchmark.md.
 */
const ONE_SHOT_V8_FLAGS = ["--liftoff-only", "--interrupt-budget=675840"] as const;

export const useOneShotCompilers = (): void => {
  for (const flag of ONE_SHOT_V8_FLAGS) setFlagsFromString(flag);
};
