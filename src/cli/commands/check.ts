import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { analyze, loadRepoConfig, planAnalysis, REPO_CONFIG_PATH } from "../../core/analyze.ts";
import { CovenantError } from "../../core/errors.ts";
import type { Verdict } from "../../core/model/violation.ts";
import { renderGithub } from "../../core/report/render-github.ts";
import { renderJson } from "../../core/report/render-json.ts";
import { renderSarif } from "../../core/report/render-sarif.ts";
import { renderText } from "../../core/report/render-text.ts";
import { openGitRepo } from "../git.ts";
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

type CheckOptions = { repo?: string; base: string; head: string; format: Format; config?: string };

export const registerCheck = (program: Command, io: CliIO): void => {
  program
    .command("check")
    .description("Judge the changes between two git revisions against the data contracts of the base.")
    .option("--repo <dir>", "git repository", ".")
    .requiredOption("--base <rev>", "base revision (the target branch)")
    .requiredOption("--head <rev>", "head revision (the change)")
    .addOption(new Option("--format <format>", "output format").choices(FORMATS).default("text"))
    .option("--config <file>", "repository configuration to use instead of the base's .github/covenant.yml")
    .action(async (options: CheckOptions) => {
      const git = openGitRepo(resolve(io.cwd, options.repo ?? "."));
      const base = git.resolve(options.base);
      const head = git.resolve(options.head);
      const basePaths = git.listFiles(base);
      const headPaths = git.listFiles(head);
      const changedPaths = git.changedPaths(base, head);
      const configText = options.config
        ? readConfigFile(resolve(io.cwd, options.config))
        : git
            .readFiles(base, basePaths.includes(REPO_CONFIG_PATH) ? [REPO_CONFIG_PATH] : [])
            .get(REPO_CONFIG_PATH);
      const config = loadRepoConfig(configText);
      const plan = planAnalysis({ basePaths, headPaths, changedPaths, config });
      const { verdict } = await analyze({
        basePaths,
        headPaths,
        changedPaths,
        config,
        base: git.readFiles(base, plan.base),
        head: git.readFiles(head, plan.head),
      });
      io.stdout(renderVerdict(verdict, options.format, io));
      if (verdict.conclusion === "failure") throw new ExitCode(1);
    });
};

const readConfigFile = (path: string): string => {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new CovenantError("invalid_input", `cannot read --config ${path}: ${(error as Error).message}`);
  }
};
