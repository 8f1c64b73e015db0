import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { CovenantError } from "../../core/errors.ts";
import { datasetMatches } from "../../core/model/contract.ts";
import { DIALECTS, type Dialect } from "../../core/model/contract-levels.ts";
import { renderContractSkeleton } from "../../core/report/render-contract-skeleton.ts";
import { profileRows, sampleRows, suggestContract } from "../../core/validate/profile.ts";
import type { CliIO } from "../io.ts";
import { loadSchemaFromPaths } from "../read-paths.ts";

type InferOptions = { dataset: string; dialect?: Dialect; name?: string; owner?: string; fromJson?: string };

export const registerInfer = (program: Command, io: CliIO): void => {
  program
    .command("infer")
    .description("Print a contract skeleton for a replayed table or dbt model, or for a sample JSON payload.")
    .argument("[paths...]", "migration files or directories holding migrations and dbt projects")
    .requiredOption("--dataset <name>", "table, view or dbt model (e.g. public.orders)")
    .addOption(new Option("--dialect <dialect>", "SQL dialect").choices(DIALECTS))
    .option("--name <name>", "contract name (default: the dataset's name)")
    .option("--owner <owner>", "GitHub team or user owning the contract")
    .option("--from-json <file>", "infer from a sample JSON payload instead of migrations")
    .action(async (paths: string[], options: InferOptions) => {
      const common = {
        ...(options.name ? { name: options.name } : {}),
        ...(options.owner ? { owner: options.owner } : {}),
      };
      if (options.fromJson) {
        let sample: unknown;
        try {
          sample = JSON.parse(readFileSync(resolve(io.cwd, options.fromJson), "utf8"));
        } catch (error) {
          throw new CovenantError(
            "invalid_input",
            `cannot read ${options.fromJson} as JSON: ${(error as Error).message}`,
          );
        }
        const { table, profiles } = profileRows(sampleRows(sample), { name: options.dataset });
        io.stdout(suggestContract(table, profiles, { ...common, source: options.fromJson }));
        return;
      }
      if (paths.length === 0)
        throw new CovenantError("invalid_input", "give migration paths, or --from-json FILE");
      const { state, dialects } = await loadSchemaFromPaths(io.cwd, paths, options.dialect);
      const dataset = [...state.datasets.values()].find((d) =>
        datasetMatches(options.dataset, d.name, dialects.get(d.name) ?? options.dialect ?? "postgres"),
      );
      if (!dataset) {
        const known = [...state.datasets.keys()].sort().join(", ") || "none";
        throw new CovenantError("invalid_input", `dataset ${options.dataset} not found (known: ${known})`);
      }
      io.stdout(renderContractSkeleton(dataset, common));
    });
};
