import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { analyze, loadRepoConfig, planAnalysis, REPO_CONFIG_PATH } from "../../core/analyze.ts";
import { CovenantError, isCovenantError } from "../../core/errors.ts";
import type { TreeEntry } from "../../core/files/repository-files.ts";
import type { Verdict } from "../../core/model/violation.ts";
import { renderCheckError } from "../../core/report/render-error.ts";
import { renderGithub } from "../../core/report/render-github.ts";
import { renderJson } from "../../core/report/render-json.ts";
import { renderSarif } from "../../core/report/render-sarif.ts";
import { renderText } from "../../core/report/render-text.ts";
import { type GitReader, openGitRepo } from "../git.ts";
import { type CliIO, ExitCode } from "../io.ts";

export const FORMATS = ["text", "json", "sarif", "github"] as const;
export type Format = (typeof FORMATS)[number];

export const renderVerdict = (verdict: Verdict, format: Format, io: CliIO): string => {
  switch (format) {
    case "json":
      return renderJson(verdict);
    case "sarif":
      return renderSarif(verdict);
    case "github":
      return renderGithub(verdict);
    default:
      return renderText(verdict, { color: io.isTTY });
  }
};

type CheckOptions = { repo?: string; base?: string; head?: string; format: Format; config?: string };

/** `A...B`, or --base/--head: the target branch and the change, as a pull request names them. */
const revisionsOf = (range: string | undefined, options: CheckOptions): { base: string; head: string } => {
  if (range === undefined) {
    if (!options.base)
      throw new CovenantError(
        "invalid_input",
        "say what to compare: covenant check main...feature, or --base main [--head feature]",
      );
    return { base: options.base, head: options.head ?? "HEAD" };
  }
  if (options.base || options.head)
    throw new CovenantError("invalid_input", `give either ${range} or --base/--head, not both`);
  const dots = range.indexOf("...");
  if (dots < 0) {
    const [base, head] = range.split("..");
    throw new CovenantError(
      "invalid_input",
      `"${range}" is not a range check understands: write ${base || "main"}...${head || "HEAD"} (three dots: the change since it left the base, as a pull request shows it)`,
    );
  }
  return { base: range.slice(0, dots) || "HEAD", head: range.slice(dots + 3) || "HEAD" };
};

export const registerCheck = (program: Command, io: CliIO): void => {
  program
    .command("check")
    .description(
      "Judge a change as a pull request would: the head's changes since its merge base with the base, applied on the base, against the base's data contracts.",
    )
    .argument("[range]", "base...head, e.g. main...feature (the same as --base main --head feature)")
    .option("--repo <dir>", "git repository (any directory inside it)", ".")
    .option("--base <rev>", "base revision: the branch the change would merge into")
    .option("--head <rev>", "head revision: the change", undefined)
    .addOption(new Option("--format <format>", "output format").choices(FORMATS).default("text"))
    .option("--config <file>", "repository configuration to use instead of the base's .github/covenant.yml")
    .addHelpText(
      "after",
      `
Like a pull request, check compares the head with its merge base and applies the head's changes on
the base: files the head did not touch are taken from the base as it is now, files it touched
(also those the base changed meanwhile) as the head has them. New commits on the base are not
reported as removed by the head. Contracts and configuration come from the base.

Examples:
  covenant check main...feature
  covenant check --base origin/main            (head: HEAD)
  covenant check --base origin/main --head HEAD --format json`,
    )
    .action(async (range: string | undefined, options: CheckOptions) => {
      try {
        await runCheck(range, options, io);
      } catch (error) {
        if (error instanceof ExitCode) throw error;
        failCheck(error, options.format, io);
      }
    });
};

/**
 * Whatever stops a check — bad input or a bug — ends in exit 2 with an error in the requested
 * format (JSON: `"conclusion": "error"`), never in silence or in a verdict the exit code denies.
 */
const failCheck = (error: unknown, format: Format, io: CliIO): never => {
  const known = isCovenantError(error);
  const message = error instanceof Error ? error.message : String(error);
  const problem = {
    code: known ? error.code : "internal",
    message: known ? message : `unexpected error: ${message}`,
    details: known ? error.details.map((d) => d.message) : [],
  };
  const output = renderCheckError(problem, format);
  if (format === "text") io.stderr(output);
  else io.stdout(output);
  throw new ExitCode(2);
};

const runCheck = async (range: string | undefined, options: CheckOptions, io: CliIO): Promise<void> => {
  const revisions = revisionsOf(range, options);
  const git = openGitRepo(resolve(io.cwd, options.repo ?? "."));
  const base = git.resolve(revisions.base);
  const head = git.resolve(revisions.head);
  const baseTree = git.listTree(base);
  const headTree = git.listTree(head);
  const changedPaths = git.changedPaths(git.mergeBase(base, head), head);
  const changed = new Set(changedPaths);
  // What main becomes once merged: the base, with the head's own changes on top.
  const headEntry = (path: string) => (changed.has(path) ? headTree.get(path) : baseTree.get(path));
  const basePaths = [...baseTree.keys()];
  const headPaths = [
    ...basePaths.filter((path) => !changed.has(path)),
    ...changedPaths.filter((path) => headTree.has(path)),
  ];
  const config = loadRepoConfig(
    options.config ? readConfigFile(resolve(io.cwd, options.config)) : readBaseConfig(git, baseTree),
  );
  const plan = planAnalysis({ basePaths, headPaths, changedPaths, config });
  const baseRead = git.readFiles(plan.base, (path) => baseTree.get(path));
  const headRead = git.readFiles(plan.head, headEntry);
  const { verdict } = await analyze({
    basePaths,
    headPaths,
    changedPaths,
    config,
    base: baseRead.files,
    head: headRead.files,
    unreadable: [...baseRead.unreadable, ...headRead.unreadable],
    readFindings: [...baseRead.findings, ...headRead.findings],
  });
  io.stdout(renderVerdict(verdict, options.format, io));
  if (verdict.conclusion === "failure") throw new ExitCode(1);
};

const readBaseConfig = (git: GitReader, tree: Map<string, TreeEntry>): string | undefined => {
  if (!tree.has(REPO_CONFIG_PATH)) return undefined;
  const read = git.readFiles([REPO_CONFIG_PATH], (path) => tree.get(path));
  const problem = read.unreadable[0];
  if (problem)
    throw new CovenantError(
      "invalid_input",
      `${REPO_CONFIG_PATH} on the base cannot be read: ${problem.reason}`,
    );
  return read.files.get(REPO_CONFIG_PATH);
};

const readConfigFile = (path: string): string => {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new CovenantError("invalid_input", `cannot read --config ${path}: ${(error as Error).message}`);
  }
};
