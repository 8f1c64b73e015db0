import semver from "semver";
import { stringify } from "yaml";
import { CovenantError, type ErrorDetail } from "../core/errors.ts";
import {
  type Contract,
  type ContractIssue,
  contractChecksum,
  parseContract,
  serializeContract,
  validateContract,
} from "../core/model/contract.ts";
import type { EnforcementLevel } from "../core/model/contract-levels.ts";
import { type RegistryState, withRegistryState } from "../core/model/contract-state.ts";
import { isContractStatus } from "../core/model/lifecycle.ts";
import { exportOdcs } from "../core/model/odcs.ts";
import { type ContractRow, type CurrentDocument, decodeOwners } from "../db/contracts.ts";
import { invalidInput } from "./errors.ts";

// Turning request bodies into contracts and back: the one place that knows how the API reads
// YAML `contents` and JSON fields.

export type ContractDocument = {
  contract: Contract;
  /** The YAML stored as the version's contents: what was sent, or the serialized JSON fields. */
  contents: string;
  checksum: string;
  format: "covenant" | "odcs";
};

const yamlDetails = (errors: ContractIssue[]): ErrorDetail[] =>
  errors.map((e) => ({
    path: e.path,
    message: `${e.line}:${e.column} ${e.message}`,
    line: e.line,
    column: e.column,
  }));

/** Parses YAML contents (Covenant or ODCS v3); invalid -> 400 with line:column per problem. */
export const contractFromYaml = (contents: string, file = "contents"): ContractDocument => {
  const parsed = parseContract(contents, file);
  if (!parsed.ok) {
    const first = parsed.errors[0];
    throw invalidInput(
      `Invalid contract YAML${first ? ` at ${first.line}:${first.column}: ${first.message}` : ""}`,
      yamlDetails(parsed.errors),
    );
  }
  return { contract: parsed.contract, contents, checksum: contractChecksum(contents), format: parsed.format };
};

/** Validates JSON contract fields; invalid -> 400 with the field paths. */
export const contractFromFields = (fields: Record<string, unknown>): ContractDocument => {
  const data = { version: "1.0.0", ...fields };
  const result = validateContract(data);
  if (!result.ok) {
    throw invalidInput(`Invalid contract: ${result.errors[0]?.message ?? "see details"}`, result.errors);
  }
  const contents = serializeContract(result.contract);
  return { contract: result.contract, contents, checksum: contractChecksum(contents), format: "covenant" };
};

/**
 * Reads a stored contract's contents. They were validated when published, so other failures are
 * a bug (500); but the quality rules' guards grow stricter (a `sql` or `regex` rule now refused):
 * such a contract is unprocessable until a corrected version is published, and never run.
 */
export const storedContract = (contents: string): Contract => {
  const parsed = parseContract(contents, "stored contents");
  if (!parsed.ok) {
    const refusedRules = parsed.errors.every((e) => e.path.startsWith("quality"));
    if (!refusedRules) throw new CovenantError("internal", "A stored contract no longer parses.");
    const first = parsed.errors[0];
    throw new CovenantError(
      "unprocessable",
      `The stored contract no longer validates${first ? ` (${first.line}:${first.column} ${first.message})` : ""}: ` +
        "publish a corrected version (POST /contracts/{id}/versions) before using it.",
      yamlDetails(parsed.errors),
    );
  }
  return parsed.contract;
};

/** The registry's state of a contract row (`successor`: the successor contract's name, if any). */
export const registryState = (
  row: Pick<ContractRow, "status" | "enforcement" | "owners" | "description" | "deprecationReason">,
  successor?: string | null,
): RegistryState => ({
  status: isContractStatus(row.status) ? row.status : "draft",
  enforcement: row.enforcement as EnforcementLevel,
  owners: decodeOwners(row.owners),
  description: row.description,
  deprecation:
    (row.status === "deprecated" || row.status === "archived") && row.deprecationReason
      ? { reason: row.deprecationReason, ...(successor ? { successor } : {}) }
      : null,
});

/** The YAML `contents` saying `state`, with its checksum: what is stored and returned. */
export const documentWithState = (
  row: Pick<ContractRow, "version" | "contents" | "checksum">,
  state: RegistryState,
): CurrentDocument => {
  const contents = withRegistryState(row.contents, state);
  return {
    version: row.version,
    previousChecksum: row.checksum,
    contents,
    checksum: contents === row.contents ? row.checksum : contractChecksum(contents),
  };
};

export const odcsContents = (contents: string): string =>
  stringify(exportOdcs(storedContract(contents)), { lineWidth: 0 });

/** 409 unless `next` is a higher semver than `current`. */
export const assertNewerVersion = (current: string, next: string): void => {
  if (!semver.valid(next)) {
    throw invalidInput(`"${next}" is not a semantic version (MAJOR.MINOR.PATCH).`, [
      { path: "version", message: "must be a semantic version" },
    ]);
  }
  if (semver.valid(current) && !semver.gt(next, current)) {
    throw new CovenantError(
      "conflict",
      `Version ${next} is not greater than the current version ${current}: publish a higher version (e.g. ${semver.inc(current, "minor")}, or ${semver.inc(current, "major")} for a breaking change).`,
    );
  }
};
