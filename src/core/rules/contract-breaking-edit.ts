import semver from "semver";
import type { Contract, ContractLines } from "../model/contract.ts";
import { compareTypes, normalizeType } from "../model/normalize-type.ts";
import { type ContractBinding, declaredColumns, type Rule, violationOf } from "./rule.ts";

type Edit = { column?: string; detail: string; what: string; expected: string; actual: string };

const byName = (contract: Contract) =>
  new Map(declaredColumns(contract).map((column) => [column.name.toLowerCase(), column]));

const keyList = (keys: readonly string[] | undefined): string =>
  (keys ?? []).map((k) => k.toLowerCase()).join(",");

/** Every promise the head version takes back from the base version. */
export const breakingEdits = (base: Contract, head: Contract): Edit[] => {
  const edits: Edit[] = [];
  const headColumns = byName(head);
  if (base.dataset.name.toLowerCase() !== head.dataset.name.toLowerCase()) {
    edits.push({
      detail: "dataset",
      what: `moves the contract from ${base.dataset.name} to ${head.dataset.name}`,
      expected: base.dataset.name,
      actual: head.dataset.name,
    });
  }
  for (const before of declaredColumns(base)) {
    const after = headColumns.get(before.name.toLowerCase());
    if (!after) {
      edits.push({
        column: before.name,
        detail: "removed",
        what: `removes column ${before.name}`,
        expected: before.name,
        actual: "removed",
      });
      continue;
    }
    if (
      before.type &&
      after.type &&
      compareTypes(normalizeType(before.type), normalizeType(after.type)) === "changed"
    ) {
      edits.push({
        column: before.name,
        detail: "type",
        what: `changes the type of ${before.name} from ${before.type} to ${after.type}`,
        expected: before.type,
        actual: after.type,
      });
    }
    if (before.required !== after.required) {
      edits.push({
        column: before.name,
        detail: "required",
        what: after.required ? `makes ${before.name} required` : `makes ${before.name} optional`,
        expected: before.required ? "required" : "optional",
        actual: after.required ? "required" : "optional",
      });
    }
    const removedValues = (before.accepted_values ?? []).filter(
      (value) =>
        after.accepted_values !== undefined && !after.accepted_values.map(String).includes(String(value)),
    );
    if (removedValues.length > 0) {
      edits.push({
        column: before.name,
        detail: "accepted_values",
        what: `removes accepted values ${removedValues.join(", ")} from ${before.name}`,
        expected: (before.accepted_values ?? []).join(", "),
        actual: (after.accepted_values ?? []).join(", "),
      });
    }
  }
  if (keyList(base.schema?.primary_key) !== keyList(head.schema?.primary_key)) {
    edits.push({
      detail: "primary_key",
      what: `changes the primary key from (${(base.schema?.primary_key ?? []).join(", ")}) to (${(head.schema?.primary_key ?? []).join(", ")})`,
      expected: (base.schema?.primary_key ?? []).join(", "),
      actual: (head.schema?.primary_key ?? []).join(", "),
    });
  }
  const headQuality = new Set((head.quality ?? []).map((q) => q.id));
  for (const check of base.quality ?? []) {
    if (!headQuality.has(check.id)) {
      edits.push({
        detail: `quality:${check.id}`,
        what: `removes quality check ${check.id}`,
        expected: check.id,
        actual: "removed",
      });
    }
  }
  const baseLag = base.sla?.freshness?.max_lag_minutes;
  const headLag = head.sla?.freshness?.max_lag_minutes;
  if (baseLag !== undefined && (headLag === undefined || headLag > baseLag)) {
    edits.push({
      detail: "sla.freshness",
      what: `lowers the freshness promise from ${baseLag} to ${headLag ?? "none"} minutes`,
      expected: `<= ${baseLag} minutes`,
      actual: headLag === undefined ? "none" : `${headLag} minutes`,
    });
  }
  const baseComplete = base.sla?.completeness_pct;
  const headComplete = head.sla?.completeness_pct;
  if (baseComplete !== undefined && (headComplete === undefined || headComplete < baseComplete)) {
    edits.push({
      detail: "sla.completeness",
      what: `lowers completeness from ${baseComplete}% to ${headComplete ?? "none"}`,
      expected: `>= ${baseComplete}%`,
      actual: headComplete === undefined ? "none" : `${headComplete}%`,
    });
  }
  return edits;
};

/**
 * The line of the head contract an edit is about: the column's entry (the `columns:` key when
 * the column is gone), the part of the contract it changes, else `version:`, where the missing
 * major bump belongs.
 */
const lineOf = (edit: Edit, lines: ContractLines): number | undefined => {
  if (edit.column !== undefined)
    return lines.column[edit.column.toLowerCase()] ?? lines.columns ?? lines.version;
  const part =
    edit.detail === "dataset"
      ? lines.dataset
      : edit.detail === "primary_key"
        ? lines.primaryKey
        : edit.detail.startsWith("quality:")
          ? lines.quality
          : edit.detail.startsWith("sla.")
            ? lines.sla
            : undefined;
  return part ?? lines.version;
};

const majorOf = (version: string | undefined): number | undefined => {
  const parsed = semver.coerce(version ?? "");
  return parsed ? parsed.major : undefined;
};

const isMajorBump = (base: Contract, head: Contract): boolean => {
  const before = majorOf(base.version);
  const after = majorOf(head.version);
  return before !== undefined && after !== undefined && after > before;
};

export const contractBreakingEdit: Rule = {
  id: "contract-breaking-edit",
  severity: "error",
  description: "An active contract is edited in a breaking way without a major version bump.",
  check: (context) =>
    context.bindings
      .filter(
        (binding): binding is ContractBinding & { baseContract: Contract } =>
          binding.origin === "head" && binding.baseContract?.status === "active",
      )
      .filter((binding) => !isMajorBump(binding.baseContract, binding.contract))
      .flatMap((binding) =>
        breakingEdits(binding.baseContract, binding.contract).map((edit) => {
          const line = binding.lines && binding.file ? lineOf(edit, binding.lines) : undefined;
          return violationOf(contractBreakingEdit, binding, {
            ...(edit.column === undefined ? {} : { column: edit.column }),
            detail: edit.detail,
            message: `This edit of contract "${binding.contract.name}" ${edit.what}, a breaking change for its consumers, but the version goes from ${binding.baseContract.version} to ${binding.contract.version} without a major bump.`,
            help: `Publish it as version ${(majorOf(binding.baseContract.version) ?? 0) + 1}.0.0 and tell the consumers, or keep the promise in this version.`,
            expected: edit.expected,
            actual: edit.actual,
            ...(binding.file && line !== undefined ? { location: { file: binding.file, line } } : {}),
          });
        }),
      ),
};
