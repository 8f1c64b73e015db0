import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { CovenantError } from "../../core/errors.ts";
import type { Lineage } from "../../core/lineage/build-lineage.ts";
import type { ImpactDirection } from "../../core/lineage/impact-report.ts";
import { openGitRepo } from "../git.ts";
import type { CliIO } from "../io.ts";

const FORMATS = ["text", "json", "dot", "mermaid"] as const;
type Format = (typeof FORMATS)[number];

type ImpactOptions = {
  repo: string;
  rev: string;
  format: Format;
  direction: ImpactDirection;
  vars?: string;
};

/** The lineage of one revision, read straight from git (migrations replayed, dbt projects parsed). */
const lineageAt = async (dir: string, rev: string, vars: string | undefined): Promise<Lineage> => {
  // The engine loads when the command runs, not when `covenant --help` lists it (bench/start.ts).
  const [
    { analyze, loadRepoConfig, planAnalysis, REPO_CONFIG_PATH },
    { lineageOfSnapshot },
    { dbtProjectFiles },
    { parseVarsOption },
  ] = await Promise.all([
    import("../../core/analyze.ts"),
    import("../../core/lineage/snapshot-lineage.ts"),
    import("../../core/dbt/discover-dbt-projects.ts"),
    import("../../core/dbt/project-macros.ts"),
  ]);
  const dbtVars = vars === undefined ? undefined : parseVarsOption(vars);
  const git = openGitRepo(dir);
  const commit = git.resolve(rev);
  const tree = git.listTree(commit);
  const paths = [...tree.keys()];
  const configRead = tree.has(REPO_CONFIG_PATH)
    ? git.readFiles([REPO_CONFIG_PATH], (p) => tree.get(p))
    : undefined;
  const config = loadRepoConfig(configRead?.files.get(REPO_CONFIG_PATH));
  // dbt_project.yml first: its folder settings say which files of a project to read.
  const projects = git.readFiles(dbtProjectFiles(paths, config), (path) => tree.get(path));
  const plan = planAnalysis({
    basePaths: paths,
    headPaths: paths,
    changedPaths: [],
    config,
    dbtProjectTexts: { base: projects.files },
  });
  const read = git.readFiles(plan.base, (path) => tree.get(path));
  const { baseSnapshot } = await analyze({
    basePaths: paths,
    headPaths: paths,
    changedPaths: [],
    config,
    base: read.files,
    head: read.files,
    ...(dbtVars ? { dbtVars } : {}),
  });
  return lineageOfSnapshot(baseSnapshot);
};

export const registerImpact = (program: Command, io: CliIO): void => {
  program
    .command("impact")
    .description(
      "Show what a dataset or column feeds (dbt models, exposures, their owners) and what it is computed from, through column-level lineage.",
    )
    .argument(
      "<target>",
      "a dataset, dbt model or source, optionally with a column: public.orders.email, stg_orders, shop.orders",
    )
    .option("--repo <dir>", "git repository (any directory inside it)", ".")
    .option("--rev <rev>", "revision to read", "HEAD")
    .addOption(new Option("--format <format>", "output format").choices(FORMATS).default("text"))
    .addOption(
      new Option("--direction <direction>", "which way to follow")
        .choices(["both", "upstream", "downstream"])
        .default("both"),
    )
    .option(
      "--vars <yaml>",
      "dbt vars for the models' Jinja, as dbt run --vars takes them (YAML or JSON), over dbt_project.yml's",
    )
    .action(async (target: string, options: ImpactOptions) => {
      if (target.trim() === "")
        throw new CovenantError("invalid_input", "name a dataset, e.g. public.orders.email");
      const lineage = await lineageAt(resolve(io.cwd, options.repo), options.rev, options.vars);
      const { impactReport, renderImpactDot, renderImpactMermaid, renderImpactText, splitImpactTarget } =
        await import("../../core/lineage/impact-report.ts");
      const report = impactReport(lineage, {
        ...splitImpactTarget(lineage, target),
        direction: options.direction,
      });
      if (options.format === "json") io.stdout(`${JSON.stringify(report, null, 2)}\n`);
      else if (options.format === "dot") io.stdout(renderImpactDot(report));
      else if (options.format === "mermaid") io.stdout(renderImpactMermaid(report));
      else io.stdout(renderImpactText(report));
    });
};
