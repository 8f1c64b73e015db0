import { basename, extname, resolve } from "node:path";
import { type Command, Option } from "commander";
import { CovenantError } from "../../core/errors.ts";
import { DIALECTS, type Dialect } from "../../core/model/contract-levels.ts";
import type { SourceKind } from "../../sources/types.ts";
import { type CliIO, readInputFile } from "../io.ts";

type InferOptions = {
  dataset?: string;
  dialect?: Dialect;
  name?: string;
  owner?: string;
  fromJson?: string;
  fromCsv?: string;
  source?: string;
  table?: string;
  sampleLimit?: string;
};

const isUrl = (location: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(location);

const positiveInteger = (flag: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0)
    throw new CovenantError("invalid_input", `${flag} must be a positive whole number, got "${value}"`);
  return n;
};

/** Which input the options name; mixing them is a mistake worth saying. */
const chooseInput = (paths: string[], options: InferOptions) => {
  const given = [
    options.source !== undefined ? "--source" : undefined,
    options.fromCsv !== undefined ? "--from-csv" : undefined,
    options.fromJson !== undefined ? "--from-json" : undefined,
  ].filter((flag): flag is string => flag !== undefined);
  if (given.length > 1)
    throw new CovenantError("invalid_input", `give one of ${given.join(", ")}, not several`);
  const live = options.source !== undefined || options.fromCsv !== undefined;
  if (given.length > 0 && paths.length > 0)
    throw new CovenantError(
      "invalid_input",
      `${given[0]} infers from data, not from migrations: drop the paths (${paths.join(" ")}) or drop ${given[0]}`,
    );
  if (!live) {
    for (const [flag, value] of [
      ["--table", options.table],
      ["--sample-limit", options.sampleLimit],
    ] as const) {
      if (value !== undefined)
        throw new CovenantError(
          "invalid_input",
          `${flag} applies to a data source: use it with --source or --from-csv`,
        );
    }
  }
  if (given.length > 0 && options.dialect !== undefined)
    throw new CovenantError("invalid_input", "--dialect applies to migrations; a data source knows its own");
  return given[0];
};

export const registerInfer = (program: Command, io: CliIO): void => {
  program
    .command("infer")
    .description(
      "Print a draft contract: for a replayed table or dbt model, or by profiling live data (a SQLite file, a " +
        "postgresql:// URL, CSV, JSON lines or Parquet) or a sample JSON payload, with suggestions (required, " +
        "accepted values, email format, unique ids) each explained in a comment.",
    )
    .argument("[paths...]", "migration files or directories holding migrations and dbt projects")
    .option(
      "--dataset <name>",
      "table, view or dbt model (e.g. public.orders); required with migrations, else the table's name",
    )
    .addOption(new Option("--dialect <dialect>", "SQL dialect of the migrations").choices(DIALECTS))
    .option("--name <name>", "contract name (default: the dataset's name)")
    .option("--owner <owner>", "GitHub team or user owning the contract")
    .option(
      "--source <path-or-url>",
      "profile live data: a SQLite file, postgresql:// URL, CSV, JSON lines or Parquet",
    )
    .option("--table <name>", "the table of the source to profile (a file holds one)")
    .option("--sample-limit <rows>", "profile at most this many rows of the table")
    .option("--from-csv <file>", "profile a CSV file (same as --source FILE for a .csv)")
    .option("--from-json <file>", "profile a sample JSON payload (an object or a list of objects)")
    .action(async (paths: string[], options: InferOptions) => {
      const common = {
        ...(options.name ? { name: options.name } : {}),
        ...(options.owner ? { owner: options.owner } : {}),
      };
      const input = chooseInput(paths, options);
      if (input === "--from-json") {
        const file = options.fromJson ?? "";
        const text = readInputFile(io, file, "--from-json");
        let sample: unknown;
        try {
          sample = JSON.parse(text);
        } catch (error) {
          throw new CovenantError(
            "invalid_input",
            `${file} is not JSON (${(error as Error).message}): give a JSON array of objects, or one object`,
          );
        }
        const dataset = options.dataset ?? basename(file, extname(file));
        const { profileRows, sampleRows, suggestContract } = await import("../../core/validate/profile.ts");
        const { table, profiles } = profileRows(sampleRows(sample), { name: dataset });
        io.stdout(suggestContract(table, profiles, { ...common, dataset, source: file }));
        return;
      }
      if (input !== undefined) {
        const given = options.source ?? options.fromCsv ?? "";
        const location = isUrl(given) ? given : resolve(io.cwd, given);
        const { detectSourceKind, openSource, redactLocation } = await import("../../sources/open-source.ts");
        const { inferFromSource } = await import("../../sources/profile-source.ts");
        const kind: SourceKind = input === "--from-csv" ? "csv" : detectSourceKind(location);
        const sampleLimit = positiveInteger("--sample-limit", options.sampleLimit);
        const source = await openSource({ kind, location });
        try {
          io.stdout(
            await inferFromSource(source, {
              ...common,
              ...(options.table !== undefined ? { table: options.table } : {}),
              ...(options.dataset !== undefined ? { dataset: options.dataset } : {}),
              ...(sampleLimit !== undefined ? { sampleLimit } : {}),
              label: redactLocation(given),
            }),
          );
        } finally {
          await source.close();
        }
        return;
      }
      if (paths.length === 0)
        throw new CovenantError(
          "invalid_input",
          "give migration paths and --dataset NAME, or --source PATH_OR_URL, --from-csv FILE or --from-json FILE",
        );
      if (options.dataset === undefined)
        throw new CovenantError(
          "invalid_input",
          "--dataset NAME is required with migrations: the table or dbt model to describe (e.g. public.orders)",
        );
      const wanted = options.dataset;
      const { loadSchemaFromPaths } = await import("../read-paths.ts");
      const { datasetMatches } = await import("../../core/model/contract.ts");
      const { renderContractSkeleton } = await import("../../core/report/render-contract-skeleton.ts");
      const { state, dialects } = await loadSchemaFromPaths(io.cwd, paths, options.dialect);
      const dataset = [...state.datasets.values()].find((d) =>
        datasetMatches(wanted, d.name, dialects.get(d.name) ?? options.dialect ?? "postgres"),
      );
      if (!dataset) {
        const known = [...state.datasets.keys()].sort().join(", ") || "none";
        throw new CovenantError("invalid_input", `dataset ${wanted} not found (known: ${known})`);
      }
      io.stdout(renderContractSkeleton(dataset, common));
    });
};
