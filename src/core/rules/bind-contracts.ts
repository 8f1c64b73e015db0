import type { Change } from "../model/change.ts";
import { type Contract, type ContractLines, contractOwners, datasetMatches } from "../model/contract.ts";
import { type Dialect, type EnforcementLevel, enforcementRank } from "../model/contract-levels.ts";
import type { SchemaState, TableSchema } from "../model/schema.ts";
import type { ContractBinding } from "./rule.ts";

export type ContractSource = {
  contract: Contract;
  file?: string;
  origin: "base" | "head";
  /** For a contract the PR edits: its version at the base. */
  baseContract?: Contract;
  /** Where the parts of the contract file are, when it was read from one. */
  lines?: ContractLines;
  /** A base contract whose file the PR deletes, with no head file taking it over. */
  removedByPr?: boolean;
};

export type BindInput = {
  contracts: readonly ContractSource[];
  base: SchemaState;
  head: SchemaState;
  changes: readonly Change[];
  /** The dialect a dataset was written in, to fold names (`orders` = `public.orders` in Postgres). */
  dialectOf: (dataset: string) => Dialect | "dbt";
};

const findDataset = (contract: Contract, state: SchemaState, dialectOf: BindInput["dialectOf"]) => {
  const wantDbt = contract.dataset.type === "dbt_model";
  for (const dataset of state.datasets.values()) {
    if ((dataset.kind === "dbt_model") !== wantDbt) continue;
    if (datasetMatches(contract.dataset.name, dataset.name, dialectOf(dataset.name))) return dataset;
  }
  return undefined;
};

const stricter = (a: EnforcementLevel, b: EnforcementLevel): EnforcementLevel =>
  enforcementRank(a) >= enforcementRank(b) ? a : b;

const bindOne = (
  source: ContractSource,
  { base, head, changes, dialectOf }: Omit<BindInput, "contracts">,
) => {
  const { contract } = source;
  const baseDataset = findDataset(contract, base, dialectOf);
  let headDataset: TableSchema | undefined;
  if (baseDataset) {
    const renamed = changes.find((c) => c.kind === "dataset-renamed" && c.dataset === baseDataset.name);
    const removed = changes.some((c) => c.kind === "dataset-removed" && c.dataset === baseDataset.name);
    headDataset = renamed?.to
      ? head.datasets.get(renamed.to)
      : removed
        ? undefined
        : head.datasets.get(baseDataset.name);
  } else {
    headDataset = findDataset(contract, head, dialectOf);
  }
  const names = new Set([baseDataset?.name, headDataset?.name].filter((n): n is string => n !== undefined));
  const enforcement =
    source.baseContract && source.baseContract.status === "active"
      ? stricter(source.baseContract.enforcement, contract.enforcement)
      : contract.enforcement;
  return {
    contract,
    ...(source.file === undefined ? {} : { file: source.file }),
    origin: source.origin,
    enforcement,
    owners: contractOwners(contract),
    ...(source.baseContract ? { baseContract: source.baseContract } : {}),
    ...(source.lines ? { lines: source.lines } : {}),
    ...(source.removedByPr ? { removedByPr: true } : {}),
    ...(baseDataset ? { baseDataset } : {}),
    ...(headDataset ? { headDataset } : {}),
    changes: changes.filter((change) => names.has(change.dataset)),
  } satisfies ContractBinding;
};

/**
 * Ties each active contract to its dataset at the base and at the head (following an explicit
 * rename) and to the PR's changes of that dataset. Contracts that are not `active` are not
 * enforced (`skippedContracts` says which of them the PR concerns).
 */
export const bindContracts = ({ contracts, ...state }: BindInput): ContractBinding[] =>
  contracts.filter((source) => source.contract.status === "active").map((source) => bindOne(source, state));

/**
 * Contracts that are not `active` yet concern the PR: it changes their dataset, or adds or edits
 * the contract file. Bound like active ones so the caller can say what was not judged.
 */
export const skippedContracts = ({ contracts, ...state }: BindInput): ContractBinding[] =>
  contracts
    .filter((source) => source.contract.status !== "active")
    .map((source) => bindOne(source, state))
    .filter((binding) => binding.origin === "head" || binding.changes.length > 0);
