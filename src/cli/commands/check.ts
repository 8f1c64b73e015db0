import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { CovenantError, isCovenantError } from "../../core/errors.ts";
import type { Verdict } from "../../core/model/violation.ts";
import { fetchHints, type GitReader, openGitRepo } from "../git.ts";
import { type CliIO, ExitCode, useColor } from "../io.ts";

export const FORMATS = ["text", "json", "sarif", "github", "gitlab"] as const;
export type Format = (typeof FORMATS)[number];

// The engine and the renderers load when a check runs, not when `covenant --help` or another
// command only declares this one (see bench/start.ts).
export const renderVerdict = async (verdict: Verdict, format: Format, io: CliIO): Promise<string> => {
  switch (format) {
    case "json":
      return (await import("../../core/report/render-json.ts")).renderJson(verdict);
    case "sarif":
      return (await import("../../core/report/render-sarif.ts")).renderSarif(verdict);
    case "github":
      return (await import("../../core/report/render-github.ts")).renderGithub(verdict);
    case "gitlab":
      return (await import("../../core/report/render-gitlab.ts")).renderGitlab(verdict);
    default:
      return (await import("../../core/report/render-text.ts")).renderText(verdict, { color: useColor(io) });
  }
};

type CheckOptions = {
  repo?: string;
  base?: string;
  head?: string;
  format: Format;
  config?: string;
  vars?: string;
};

/**
 * `A...B`, or --base/--head: the target branch and the change, as a pull request names them. No
 * base means the branch the change would merge into (`defaultBase`).
 */
const revisionsOf = (range: string | undefined, options: CheckOptions): { base?: string; head: string } => {
  if (range === undefined)
    return { ...(options.base ? { base: options.base } : {}), head: options.head ?? "HEAD" };
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
    .option(
      "--base <rev>",
      "base revision: the branch the change would merge into (default: origin/$GITHUB_BASE_REF in a pull request's workflow, else origin/HEAD, else main or master)",
    )
    .option("--head <rev>", "head revision: the change (default: HEAD)")
    .addOption(new Option("--format <format>", "output format").choices(FORMATS).default("text"))
    .option("--config <file>", "repository configuration to use instead of the base's .github/covenant.yml")
    .option(
      "--vars <yaml>",
      "dbt vars for the models' Jinja, as dbt run --vars takes them (YAML or JSON), over dbt_project.yml's",
    )
    .addHelpText(
      "after",
      `
Like a pull request, check compares the head with its merge base and applies the head's changes on
the base: files the head did not touch are taken from the base as it is now, files it touched
(also those the base changed meanwhile) as the head has them. New commits on the base are not
reported as removed by the head. Contracts and configuration come from the base.

In a shallow clone (CI checkouts usually are) the base and enough history to find the merge base
must be fetched first: git fetch --depth=1000 origin main:refs/remotes/origin/main, or in GitHub
Actions actions/checkout with fetch-depth: 0.`,
    )
    .action(async (range: string | undefined, options: CheckOptions) => {
      try {
        await runCheck(range, options, io);
      } catch (error) {
        if (error instanceof ExitCode) throw error;
        await failCheck(error, options.format, io);
      }
    });
};

/**
 * Whatever stops a check — bad input or a bug — ends in exit 2 with an error in the requested
 * format (JSON: `"conclusion": "error"`), never in silence or in a verdict the exit code denies.
 */
const failCheck = async (error: unknown, format: Format, io: CliIO): Promise<never> => {
  const known = isCovenantError(error);
  const message = error instanceof Error ? error.message : String(error);
  const problem = {
    code: known ? error.code : "internal",
    message: known ? message : `unexpected error: ${message}`,
    details: known ? error.details.map((d) => d.message) : [],
  };
  const { renderCheckError } = await import("../../core/report/render-error.ts");
  const output = renderCheckError(problem, format);
  if (format === "text") io.stderr(output);
  else io.stdout(output);
  throw new ExitCode(2);
};

/**
 * The branch a change in this clone would merge into, and how it was found: the pull request's
 * base in GitHub Actions (GITHUB_BASE_REF), origin/HEAD (the remote's default branch, set by
 * `git clone`), else main or master, local first, then origin's.
 */
export const defaultBase = (git: GitReader, env: CliIO["env"]): { rev: string; why: string } => {
  const prBase = env.GITHUB_BASE_REF?.trim();
  if (prBase && git.has(`origin/${prBase}`))
    return { rev: `origin/${prBase}`, why: "the pull request's base, from GITHUB_BASE_REF" };
  const originHead = git.originHead();
  if (originHead && git.has(originHead))
    return { rev: originHead, why: "the default branch, from origin/HEAD" };
  for (const rev of ["main", "master", "origin/main", "origin/master"])
    if (git.has(rev)) return { rev, why: `the default branch: no origin/HEAD here, and ${rev} exists` };
  const wanted = prBase ? `origin/${prBase}` : "origin/main";
  if (git.isShallow())
    throw new CovenantError(
      "invalid_input",
      `no base to compare with: this is a shallow clone (only its last commits were fetched) without ${wanted}, origin/HEAD, main or master`,
      [
        ...fetchHints(wanted, git.revisionContext()).map((message) => ({ message })),
        { message: "or name a base this clone has: covenant check --base REV" },
      ],
    );
  throw new CovenantError(
    "invalid_input",
    "cannot tell which branch this change would merge into: there is no origin/HEAD, main or master here",
    [
      { message: "name it: covenant check --base BRANCH (or main...feature)" },
      ...(git.revisionContext().remotes.includes("origin")
        ? [{ message: "or record the remote's default branch: git remote set-head origin --auto" }]
        : []),
    ],
  );
};

const runCheck = async (range: string | undefined, options: CheckOptions, io: CliIO): Promise<void> => {
  const revisions = revisionsOf(range, options);
  const dbtVars =
    options.vars === undefined
      ? undefined
      : (await import("../../core/dbt/project-macros.ts")).parseVarsOption(options.vars);
  const git = openGitRepo(resolve(io.cwd, options.repo ?? "."));
  const chosen = revisions.base === undefined ? defaultBase(git, io.env) : undefined;
  const baseRev = chosen?.rev ?? revisions.base ?? "";
  const base = git.resolve(baseRev);
  const head = git.resolve(revisions.head);
  const mergeBase = git.mergeBase(base, head, [baseRev, revisions.head]);
  if (chosen && (options.format === "text" || io.verbose)) {
    io.stderr(
      `covenant: comparing ${revisions.head} with ${baseRev} (${chosen.why}; --base to choose another)\n`,
    );
    if (mergeBase === head)
      io.stderr(
        `covenant: ${revisions.head} is already part of ${baseRev}: there is no change to judge (check a branch, or name the base: covenant check --base ${baseRev}~1)\n`,
      );
  } else if (io.verbose) {
    io.stderr(
      `covenant: comparing ${revisions.head} with ${baseRev} since their merge base ${mergeBase.slice(0, 12)}\n`,
    );
  }
  const { judgeGitChange } = await import("../judge-git-change.ts");
  const verdict = await judgeGitChange({
    git,
    base,
    head,
    mergeBase,
    ...(options.config ? { configText: readConfigFile(resolve(io.cwd, options.config)) } : {}),
    ...(dbtVars ? { dbtVars } : {}),
  });
  io.stdout(await renderVerdict(verdict, options.format, io));
  if (verdict.conclusion === "failure") throw new ExitCode(1);
};

const readConfigFile = (path: string): string => {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new CovenantError("invalid_input", `cannot read --config ${path}: ${(error as Error).message}`);
  }
};
