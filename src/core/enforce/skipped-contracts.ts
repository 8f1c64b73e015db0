import type { Finding } from "../model/finding.ts";
import type { ContractBinding } from "../rules/rule.ts";
import { type EnforcementPolicy, effectiveLevel } from "./judge.ts";

const STATUS_REASON: Record<string, string> = {
  draft: "its status is draft",
  deprecated: "it is deprecated",
  archived: "it is archived",
};

const concerns = (binding: ContractBinding): string => {
  const dataset = binding.baseDataset?.name ?? binding.headDataset?.name ?? binding.contract.dataset.name;
  return binding.changes.length > 0
    ? `this change touches ${dataset}, and nothing was judged against the contract`
    : "the contract file is added or edited here, and it will not be enforced once merged";
};

const where = (binding: ContractBinding, line: number | undefined) => ({
  file: binding.file ?? "",
  line: line ?? 1,
});

/**
 * One info finding per contract the PR concerns that Covenant does not enforce (not active, or
 * INACTIVE once the repository policy applies), so nobody wonders why nothing fired.
 */
export const skippedContractFindings = ({
  skipped,
  bindings,
  policy,
}: {
  /** Contracts that are not active yet concern the PR (`skippedContracts`). */
  skipped: readonly ContractBinding[];
  bindings: readonly ContractBinding[];
  policy?: EnforcementPolicy;
}): Finding[] => {
  const findings = new Map<string, Finding>();
  for (const binding of skipped) {
    const status = binding.contract.status;
    findings.set(binding.contract.name, {
      rule: "contract-skipped",
      severity: "info",
      ...where(binding, binding.lines?.status),
      message: `Contract "${binding.contract.name}" is not enforced: ${STATUS_REASON[status] ?? `its status is ${status}`} (only active contracts are); ${concerns(binding)}.`,
      help: "Set `status: active` in the contract to enforce it (a repository contract without `status` is active).",
    });
  }
  for (const binding of bindings) {
    if (findings.has(binding.contract.name)) continue;
    if (binding.origin === "base" && binding.changes.length === 0) continue;
    if (effectiveLevel(binding.enforcement, policy) !== "INACTIVE") continue;
    const own = binding.enforcement === "INACTIVE";
    findings.set(binding.contract.name, {
      rule: "contract-skipped",
      severity: "info",
      ...where(binding, own ? binding.lines?.enforcement : undefined),
      message: `Contract "${binding.contract.name}" is not enforced: ${own ? "its enforcement is INACTIVE" : "the repository policy caps enforcement at INACTIVE"}; ${concerns(binding)}.`,
      help: own
        ? "Set `enforcement` to RECORD, NOTIFY, ALERT or BLOCK to have it checked."
        : "Raise the repository policy's `enforcement.max` (in .github/covenant.yml or through the API) to have contracts checked.",
    });
  }
  return [...findings.values()];
};
