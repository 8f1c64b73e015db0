import type { TableSchema } from "../model/schema.ts";
import type { ContractBinding } from "./rule.ts";

/** "Table public.orders", "dbt model orders", "View public.v": the words readers know the dataset by. */
export const datasetNoun = (binding: ContractBinding, name: string): string => {
  const kind: TableSchema["kind"] | undefined =
    binding.baseDataset?.kind ?? binding.headDataset?.kind ?? binding.contract.dataset.type;
  if (kind === "dbt_model") return `dbt model ${name}`;
  if (kind === "view") return `View ${name}`;
  return `Table ${name}`;
};

export const EXPAND_CONTRACT =
  "Change it in steps (expand/contract): add the new column, backfill it and keep both in sync, migrate readers and writers, then drop the old one in a later release once the contract's next major version no longer lists it.";
