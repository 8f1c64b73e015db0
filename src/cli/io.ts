import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseEnv } from "node:util";
import { CovenantError } from "../core/errors.ts";
import type { Contract } from "../core/model/contract.ts";

/** What a command may touch of the outside world; tests pass their own. */
export type CliIO = {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Whether stdout is a terminal (colours in `text` output, see `useColor`). */
  isTTY: boolean;
  /** Variables `env` took from .env in the working directory (the environment wins over the file). */
  dotEnvKeys?: ReadonlySet<string>;
  /** --verbose: commands say which database and settings they use. */
  verbose?: boolean;
};

/**
 * The environment every command sees: variables already set, then those of .env in the working
 * directory, read the same way for every command so the CLI and the server it manages agree.
 */
export const withDotEnv = (io: CliIO): CliIO => {
  const file = join(io.cwd, ".env");
  if (!existsSync(file)) return { ...io };
  let values: Record<string, string | undefined>;
  try {
    values = parseEnv(readFileSync(file, "utf8")) as Record<string, string | undefined>;
  } catch (error) {
    throw new CovenantError(
      "invalid_input",
      `${file} cannot be read (${(error as Error).message}): fix or remove it`,
    );
  }
  const dotEnvKeys = new Set(Object.keys(values).filter((key) => io.env[key] === undefined));
  return { ...io, env: { ...values, ...io.env }, dotEnvKeys };
};

/**
 * Whether text output is coloured. FORCE_COLOR (present and not empty) forces colours even into a
 * pipe (force-color.org), except `0` or `false`, which Node and chalk read as "off"; otherwise
 * NO_COLOR (present and not empty, no-color.org) turns them off; otherwise only a terminal gets
 * them (not TERM=dumb).
 */
export const useColor = (io: CliIO): boolean => {
  const force = io.env.FORCE_COLOR;
  if (force !== undefined && force !== "") return !/^(0|false)$/i.test(force.trim());
  if (io.env.NO_COLOR) return false;
  return io.isTTY && io.env.TERM !== "dumb";
};

/** Where a setting came from, for --verbose and error messages. */
export const settingOrigin = (io: CliIO, key: string): string =>
  io.dotEnvKeys?.has(key)
    ? `${key} from ${join(io.cwd, ".env")}`
    : io.env[key] !== undefined
      ? `${key} from the environment`
      : `default, ${key} unset`;

/** Thrown by a command to end the process with a given exit code after printing. */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

const UNREADABLE: Record<string, string> = {
  ENOENT: "does not exist",
  EISDIR: "is a directory, not a file",
  EACCES: "cannot be read (permission denied)",
};

/** A text file named on the command line; a missing or unreadable one is bad input saying why. */
export const readInputFile = (io: CliIO, file: string, what = "file"): string => {
  try {
    return readFileSync(resolve(io.cwd, file), "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    const why = UNREADABLE[code] ?? `cannot be read (${(error as Error).message})`;
    throw new CovenantError(
      "invalid_input",
      `${what} ${file} ${why}: check the path (a relative path starts at ${io.cwd})`,
    );
  }
};

/** A contract file named on the command line; its problems are bad input, each at file:line:column. */
export const readContractFile = async (io: CliIO, file: string): Promise<Contract> => {
  // Loaded here: the contract parser is most of what a command loads, and most commands never need it.
  const { formatContractIssue, parseContract } = await import("../core/model/contract.ts");
  const parsed = parseContract(readInputFile(io, file, "contract"), file);
  if (parsed.ok) return parsed.contract;
  throw new CovenantError(
    "invalid_input",
    `${file} is not a valid contract (${parsed.errors.length} problem(s)); fix them and run again`,
    parsed.errors.map((issue) => ({ message: formatContractIssue(issue), file, line: issue.line })),
  );
};
