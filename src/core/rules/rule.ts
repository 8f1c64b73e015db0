import { createHash } from "node:crypto";
import type { UnreadableInScope } from "../files/unreadable-scope.ts";
import type { LineageContext } from "../lineage/judge-lineage.ts";
import type { RewrittenMigration } from "../migrations/rewritten-history.ts";
import type { Change, ChangeKind } from "../model/change.ts";
import type { Contract, ContractLines } from "../model/contract.ts";
import type { Dialect, EnforcementLevel } from "../model/contract-levels.ts";
import type { Finding, Severity, Unverified } from "../model/finding.ts";
import type { Column, SourceLocation, TableSchema } from "../model/schema.ts";
import type { Violation } from "../model/violation.ts";

/**
 * A contract tied to the dataset it describes, with the changes the PR made to that dataset.
 * `origin: "base"` contracts judge the PR's schema changes (contracts are read from the base, so a
 * PR cannot weaken the contract it breaks); `origin: "head"` contracts were added or edited by the
 * PR and must hold against the head schema once merged.
 */
export type ContractBinding = {
  contract: Contract;
  /** The contract file, when the contract lives in the repository. */
  file?: string;
  origin: "base" | "head";
  /** The contract's own level (for edited contracts, the stricter of base and head); repo policy comes later. */
  enforcement: EnforcementLevel;
  owners: string[];
  /** For head contracts: the version at the base, when the PR edits an existing contract. */
  baseContract?: Contract;
  /** Where the parts of the contract file are, when it was read from one. */
  lines?: ContractLines;
  /** A base contract whose file the PR deletes, with no head file taking it over. */
  removedByPr?: boolean;
  baseDataset?: TableSchema;
  headDataset?: TableSchema;
  /** The changes whose dataset is this contract's dataset (under its base or head name). */
  changes: Change[];
};

export type InvalidContract = {
  file: string;
  /** The name, when the file was readable enough to have one. */
  name?: string;
  enforcement: EnforcementLevel;
  owners: string[];
  issues: { file: string; line: number; column: number; path: string; message: string }[];
};

/** Something of a changed migration Covenant could not verify, with what it needs to attribute it. */
export type UnverifiedStatement = Unverified & {
  dialect: Dialect;
  /** The datasets of its migration history (base and head), which it may touch when it names none. */
  history: ReadonlySet<string>;
};

export type RuleContext = {
  bindings: ContractBinding[];
  invalidContracts: InvalidContract[];
  unverified?: UnverifiedStatement[];
  /** Applied migrations the PR edits, deletes, renames or slots new ones before. */
  rewritten?: RewrittenMigration[];
  /** Files the change depends on that could not be read, and which contracts they may touch. */
  unreadable?: UnreadableInScope[];
  /** The head lineage and what each change reaches downstream through it. */
  lineage?: LineageContext;
  /**
   * dbt models or snapshots the PR changes so that they no longer parse or render, with the
   * models downstream of each (itself included): what those compute is unverified.
   */
  unparsedModels?: UnparsedModel[];
};

export type UnparsedModel = {
  /** The `dbt-parse-error` finding at the model's file and line. */
  finding: Finding;
  model: string;
  /** Names of the models it feeds, directly or through others, the broken model itself included. */
  downstream: ReadonlySet<string>;
};

export type Rule = {
  id: string;
  severity: Severity;
  description: string;
  check: (context: RuleContext) => Violation[];
};

/** Stable across pushes: the same fact (rule, contract, dataset, column) keeps its id. */
export const violationId = (parts: {
  rule: string;
  contract: string;
  dataset: string;
  column?: string;
  detail?: string;
}): string =>
  createHash("sha256")
    .update(
      [
        parts.rule,
        parts.contract,
        parts.dataset.toLowerCase(),
        (parts.column ?? "").toLowerCase(),
        parts.detail ?? "",
      ].join("\u0000"),
    )
    .digest("hex")
    .slice(0, 16);

type ViolationInput = {
  column?: string;
  message: string;
  help?: string;
  expected?: string;
  actual?: string;
  location?: SourceLocation;
  /** Distinguishes several facts of one rule on the same column. */
  detail?: string;
};

export const headName = (binding: ContractBinding): string =>
  binding.headDataset?.name ?? binding.baseDataset?.name ?? binding.contract.dataset.name;

/**
 * The dataset a violation is filed under: the one the contract is bound to (its base name), so
 * that a rename or removal is grouped with its contract, as every other violation of it is.
 */
export const contractedName = (binding: ContractBinding): string =>
  binding.baseDataset?.name ?? binding.headDataset?.name ?? binding.contract.dataset.name;

export const violationOf = (
  rule: Pick<Rule, "id" | "severity">,
  binding: ContractBinding,
  input: ViolationInput,
): Violation => {
  const location = input.location ?? (binding.file ? { file: binding.file, line: 1 } : undefined);
  return {
    id: violationId({
      rule: rule.id,
      contract: binding.contract.name,
      dataset: binding.contract.dataset.name,
      ...(input.column === undefined ? {} : { column: input.column }),
      ...(input.detail === undefined ? {} : { detail: input.detail }),
    }),
    rule: rule.id,
    severity: rule.severity,
    contract: binding.contract.name,
    contractVersion: binding.contract.version,
    enforcement: binding.enforcement,
    owners: binding.owners,
    dataset: contractedName(binding),
    ...(input.column === undefined ? {} : { column: input.column }),
    ...(location ? { file: location.file, line: location.line } : {}),
    message: input.message,
    ...(input.help === undefined ? {} : { help: input.help }),
    ...(input.expected === undefined ? {} : { expected: input.expected }),
    ...(input.actual === undefined ? {} : { actual: input.actual }),
  };
};

export type ContractColumn = Contract["schema"]["columns"][number];

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

export const declaredColumns = (contract: Contract): ContractColumn[] => contract.schema?.columns ?? [];

export const declaredColumn = (contract: Contract, name: string | undefined): ContractColumn | undefined =>
  name === undefined ? undefined : declaredColumns(contract).find((column) => same(column.name, name));

/**
 * A contract promises the columns it declares; one that declares none promises the whole
 * dataset as it is.
 */
export const covers = (contract: Contract, column: string | undefined): boolean =>
  declaredColumns(contract).length === 0 || declaredColumn(contract, column) !== undefined;

/** Contracts edited by the PR are judged through contract-* rules; base contracts judge the diff. */
export const diffBindings = (context: RuleContext): ContractBinding[] =>
  context.bindings.filter((binding) => binding.origin === "base");

/**
 * Which bindings the contract-vs-schema rules look at: every contract the PR adds or edits, and
 * base contracts whose dataset the PR changes (only changed things are judged, as Buf does: a
 * disagreement nobody touched does not fail unrelated PRs).
 */
export const conformanceBindings = (context: RuleContext): ContractBinding[] =>
  context.bindings.filter((binding) => binding.origin === "head" || binding.changes.length > 0);

export const changesOf = (binding: ContractBinding, ...kinds: ChangeKind[]): Change[] =>
  binding.changes.filter((change) => kinds.includes(change.kind));

/**
 * Does the diff already report this fact? Then the contract-* rule stays silent. Diff rules judge
 * through base contracts only, so a contract the PR adds has nothing reporting for it.
 */
export const diffReports = (binding: ContractBinding, column: string, ...kinds: ChangeKind[]): boolean =>
  (binding.origin === "base" || binding.baseContract !== undefined) &&
  binding.changes.some(
    (change) =>
      kinds.includes(change.kind) &&
      (change.kind === "dataset-removed" || (change.column !== undefined && same(change.column, column))),
  );

export const headColumn = (binding: ContractBinding, name: string): Column | undefined =>
  binding.headDataset?.columns.find((column) => same(column.name, name));

export const qualified = (dataset: string, column?: string): string =>
  column === undefined ? dataset : `${dataset}.${column}`;

export const contractLabel = (binding: ContractBinding): string =>
  `contract "${binding.contract.name}"${binding.contract.version ? ` v${binding.contract.version}` : ""}`;
