import { columnBecameNullable } from "./column-became-nullable.ts";
import { columnBecameRequired } from "./column-became-required.ts";
import { columnRemoved } from "./column-removed.ts";
import { columnRenamed } from "./column-renamed.ts";
import { columnTypeChanged } from "./column-type-changed.ts";
import { columnTypeWidened } from "./column-type-widened.ts";
import { contractBreakingEdit } from "./contract-breaking-edit.ts";
import { contractColumnMissing } from "./contract-column-missing.ts";
import { contractInvalid } from "./contract-invalid.ts";
import { contractNullabilityMismatch } from "./contract-nullability-mismatch.ts";
import { contractPrimaryKeyMismatch } from "./contract-primary-key-mismatch.ts";
import { contractRemoved } from "./contract-removed.ts";
import { contractTypeMismatch } from "./contract-type-mismatch.ts";
import { datasetRemoved } from "./dataset-removed.ts";
import { datasetRenamed } from "./dataset-renamed.ts";
import { downstreamContractBroken } from "./downstream-contract-broken.ts";
import { enumValueRemoved } from "./enum-value-removed.ts";
import { fileUnreadable } from "./file-unreadable.ts";
import { foreignKeyRemoved } from "./foreign-key-removed.ts";
import { migrationHistoryRewritten } from "./migration-history-rewritten.ts";
import { piiColumnAdded } from "./pii-column-added.ts";
import { primaryKeyChanged } from "./primary-key-changed.ts";
import { requiredColumnAdded } from "./required-column-added.ts";
import type { Rule } from "./rule.ts";
import { sqlParseError } from "./sql-parse-error.ts";
import { uniqueRemoved } from "./unique-removed.ts";
import { unverifiableChange } from "./unverifiable-change.ts";

/** The only registry of rules, in the catalogue's order. */
export const RULES: readonly Rule[] = [
  datasetRemoved,
  datasetRenamed,
  columnRemoved,
  columnRenamed,
  columnTypeChanged,
  columnTypeWidened,
  columnBecameNullable,
  columnBecameRequired,
  requiredColumnAdded,
  primaryKeyChanged,
  uniqueRemoved,
  foreignKeyRemoved,
  enumValueRemoved,
  contractColumnMissing,
  contractTypeMismatch,
  contractNullabilityMismatch,
  contractPrimaryKeyMismatch,
  piiColumnAdded,
  contractBreakingEdit,
  contractRemoved,
  contractInvalid,
  sqlParseError,
  unverifiableChange,
  migrationHistoryRewritten,
  fileUnreadable,
  downstreamContractBroken,
];

export const ruleById = (id: string): Rule | undefined => RULES.find((rule) => rule.id === id);
