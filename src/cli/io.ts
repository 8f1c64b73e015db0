/** What a command may touch of the outside world; tests pass their own. */
export type CliIO = {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Whether stdout is a terminal (colors in `text` output). */
  isTTY: boolean;
};

/** Thrown by a command to end the process with a given exit code after printing. */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}
