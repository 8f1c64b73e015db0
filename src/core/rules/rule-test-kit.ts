import { diffSchemas, type SchemaEvent } from "../diff/diff-schemas.ts";
import { type Contract, type ContractLines, parseContract } from "../model/contract.ts";
import { normalizeType } from "../model/normalize-type.ts";
import type { Column, SchemaState, TableSchema } from "../model/schema.ts";
import type { Violation } from "../model/violation.ts";
import { bindContracts, type ContractSource } from "./bind-contracts.ts";
import type { InvalidContract, UnverifiedStatement } from "./rule.ts";
import { runRules } from "./run-rules.ts";

/**
 * Test helpers shared by the rules' tests: tables written as `"id bigint!, email varchar(100)"`
 * (`!` = NOT NULL, `=x` = default x), contracts as YAML.
 */
export const table = (name: string, spec: string, extra: Partial<TableSchema> = {}): TableSchema => ({
  name,
  kind: "table",
  columnsKnown: true,
  uniques: [],
  foreignKeys: [],
  location: { file: "db/0001_init.sql", line: 1 },
  ...extra,
  columns: spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s, i): Column => {
      const [def = "", dflt] = s.split("=");
      const required = def.endsWith("!");
      const [colName = "", ...type] = def.replace(/!$/, "").split(" ");
      return {
        name: colName,
        type: normalizeType(type.join(" "), "postgres"),
        nullable: !required,
        ...(dflt === undefined ? {} : { default: dflt }),
        location: { file: "db/0001_init.sql", line: i + 2 },
      };
    }),
});

export const state = (...tables: TableSchema[]): SchemaState => ({
  datasets: new Map(tables.map((t) => [t.name, t])),
  enums: new Map(),
});

const parsed = (yaml: string): { contract: Contract; lines: ContractLines } => {
  const result = parseContract(yaml, "contracts/test.yaml");
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join("\n"));
  return result;
};

export const contract = (yaml: string): Contract => parsed(yaml).contract;

export const ORDERS_CONTRACT = `
name: orders
version: 1.0.0
status: active
owner: "@acme/data"
enforcement: BLOCK
dataset: { type: table, name: orders }
restrict_pii: true
schema:
  primary_key: [id]
  columns:
    - { name: id, type: bigint, required: true }
    - { name: email, type: string, required: false }
    - { name: status, type: string, required: true }
`;

export type RuleCase = {
  base: TableSchema[];
  head: TableSchema[];
  events?: SchemaEvent[];
  contracts?: string[];
  /** Contracts the PR adds or edits: head YAML and its base version's YAML. */
  edited?: Array<{ head: string; base?: string }>;
  invalid?: InvalidContract[];
  unverified?: UnverifiedStatement[];
};

export const runCase = (input: RuleCase): Violation[] => {
  const base = state(...input.base);
  const head = state(...input.head);
  const changes = diffSchemas({ base, head, events: input.events ?? [] });
  const sources: ContractSource[] = [
    ...(input.contracts ?? [ORDERS_CONTRACT]).map(
      (yaml): ContractSource => ({ contract: contract(yaml), file: "contracts/orders.yaml", origin: "base" }),
    ),
    ...(input.edited ?? []).map(
      (edit): ContractSource => ({
        ...parsed(edit.head),
        file: "contracts/orders.yaml",
        origin: "head",
        ...(edit.base ? { baseContract: contract(edit.base) } : {}),
      }),
    ),
  ];
  const bindings = bindContracts({ contracts: sources, base, head, changes, dialectOf: () => "postgres" });
  return runRules({
    bindings,
    invalidContracts: input.invalid ?? [],
    ...(input.unverified ? { unverified: input.unverified } : {}),
  });
};

/** [rule, column, file:line] of each violation, for compact expectations. */
export const brief = (violations: Violation[]): string[][] =>
  violations.map((v) => [v.rule, v.column ?? "", `${v.file ?? ""}:${v.line ?? ""}`]);

export const ORDERS = table("public.orders", "id bigint!, email varchar(100), status text!", {
  primaryKey: { columns: ["id"] },
});
export const at = (line: number) => ({ file: "db/0002_change.sql", line });
