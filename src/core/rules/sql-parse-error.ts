import type { Rule } from "./rule.ts";
import { violationOf } from "./rule.ts";
import { touchedBindings, unverifiedDetail } from "./unverified.ts";

/**
 * A statement of a changed migration that could not be parsed (or is over the analysis limits)
 * cannot be verified: it is a violation of every contract it may touch, at that contract's
 * level, instead of a warning nobody reads (fail closed). Elsewhere it stays a finding.
 */
export const sqlParseError: Rule = {
  id: "sql-parse-error",
  severity: "error",
  description:
    "A statement of a changed migration could not be parsed or is too large to analyse, and it names a contracted dataset (or no dataset Covenant recognises): its effect cannot be verified; or a changed dbt model no longer parses and a contracted model is it or reads from it.",
  check: ({ unverified = [], bindings, unparsedModels = [] }) => [
    ...unparsedModels.flatMap((item) =>
      bindings
        .filter((binding) => binding.contract.dataset.type === "dbt_model")
        .filter((binding) =>
          [binding.headDataset?.name, binding.baseDataset?.name, binding.contract.dataset.name].some(
            (name) => name !== undefined && item.downstream.has(name),
          ),
        )
        .map((binding) => {
          const dataset =
            binding.headDataset?.name ?? binding.baseDataset?.name ?? binding.contract.dataset.name;
          const where = `${item.finding.file}:${item.finding.line}`;
          return violationOf(sqlParseError, binding, {
            message: `dbt model ${item.model} (${where}) no longer parses: ${item.finding.message}. ${
              dataset === item.model ? `It is ${dataset}` : `${dataset} reads from it`
            }, which contract "${binding.contract.name}" covers, so Covenant cannot verify what this change does to ${dataset}.`,
            help: `Fix ${where} so its SQL renders and parses (check the project's warehouse dialect in profiles.yml or \`dbt: [{ path, dialect }]\` in .github/covenant.yml); if it is valid SQL Covenant does not understand, a contract owner can waive this violation.`,
            location: { file: item.finding.file, line: item.finding.line },
            detail: `${item.finding.file}:${item.model}`,
          });
        }),
    ),
    ...unverified
      .filter((item) => item.kind !== "dynamic")
      .flatMap((item) =>
        touchedBindings(item, bindings).map(({ binding, attributed }) => {
          const dataset =
            binding.headDataset?.name ?? binding.baseDataset?.name ?? binding.contract.dataset.name;
          return violationOf(sqlParseError, binding, {
            message: `${item.finding.message} ${
              attributed
                ? `It names ${dataset}, so Covenant cannot verify what it does to that dataset.`
                : `It names no dataset Covenant recognises, so it may touch any dataset of this migration history, ${dataset} included.`
            }`,
            help:
              item.kind === "too-large"
                ? "Split the migration into smaller files or statements; Covenant does not pass what it could not read."
                : item.kind === "unknown-table"
                  ? "Put the migration in the history that creates the table (a subfolder is a history of its own; .github/covenant.yml lists the histories), so Covenant replays it after the CREATE TABLE; if it is meant to run elsewhere, a contract owner can waive this violation."
                  : "Fix the statement so it parses (check the migrations' dialect in .github/covenant.yml); if it is valid SQL Covenant does not understand, a contract owner can waive this violation.",
            location: item.finding,
            detail: unverifiedDetail(item),
          });
        }),
      ),
  ],
};
