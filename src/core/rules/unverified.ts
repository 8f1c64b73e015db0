import { qualifyDatasetName } from "../model/contract.ts";
import { namesDataset } from "../sql/names.ts";
import type { ContractBinding, UnverifiedStatement } from "./rule.ts";

export type Touched = { binding: ContractBinding; attributed: boolean };

const stateNames = (binding: ContractBinding): string[] =>
  [binding.baseDataset, binding.headDataset].flatMap((d) => (d && d.kind !== "dbt_model" ? [d.name] : []));

/**
 * The contracts an unverified statement may touch: those whose dataset it names (under its
 * schema-qualified or bare name, as the dialect folds it). A statement that names no dataset
 * Covenant knows in its migration history may touch any of them, unless it runs code Covenant
 * cannot follow: that only counts where it names a contracted dataset.
 */
export const touchedBindings = (
  item: UnverifiedStatement,
  bindings: readonly ContractBinding[],
): Touched[] => {
  const tables = bindings.filter((b) => b.contract.dataset.type !== "dbt_model");
  const mentions = (dataset: string[]) => item.names.some((name) => namesDataset(name, dataset));
  const named = tables.filter(
    (binding) =>
      stateNames(binding).some((name) => mentions(name.split("."))) ||
      mentions(qualifyDatasetName(binding.contract.dataset.name, item.dialect).split(".")),
  );
  if (named.length > 0) return named.map((binding) => ({ binding, attributed: true }));
  if (item.kind === "dynamic" || item.kind === "unknown-table") return [];
  if ([...item.history].some((name) => mentions(name.split(".")))) return [];
  return tables
    .filter((binding) => stateNames(binding).some((name) => item.history.has(name)))
    .map((binding) => ({ binding, attributed: false }));
};

export const unverifiedDetail = (item: UnverifiedStatement): string =>
  `${item.finding.file}:${item.finding.line}`;
