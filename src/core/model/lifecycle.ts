import type { ContractStatus } from "./contract-levels.ts";

/**
 * Contract lifecycle, after Planasonix: draft -> active -> deprecated, archived is terminal.
 *
 * - A draft may be activated, or archived (abandoned) without ever being active.
 * - An active contract is deprecated before it is archived, so consumers get notice
 *   (reason + successor) before it disappears: active -> archived is refused.
 * - A deprecated contract may be re-activated (the deprecation was a mistake, or the
 *   successor was withdrawn) or archived.
 * - Archived is terminal. Repeating the current state (activate an active contract) is refused
 *   too, so a caller never believes a transition happened when it did not.
 */
export const CONTRACT_ACTIONS = ["activate", "deprecate", "archive"] as const;
export type ContractAction = (typeof CONTRACT_ACTIONS)[number];

export const CONTRACT_TRANSITIONS: Readonly<
  Record<ContractStatus, Partial<Record<ContractAction, ContractStatus>>>
> = {
  draft: { activate: "active", archive: "archived" },
  active: { deprecate: "deprecated" },
  deprecated: { activate: "active", archive: "archived" },
  archived: {},
};

const ACTION_TARGET: Record<ContractAction, ContractStatus> = {
  activate: "active",
  deprecate: "deprecated",
  archive: "archived",
};

export type TransitionResult<S extends string> = { ok: true; to: S } | { ok: false; message: string };

/** Where `action` takes a contract in status `from`, or why it cannot. */
export const transition = (
  from: ContractStatus,
  action: ContractAction,
): TransitionResult<ContractStatus> => {
  const to = CONTRACT_TRANSITIONS[from][action];
  if (to) return { ok: true, to };
  const target = ACTION_TARGET[action];
  if (from === target) return { ok: false, message: `Cannot ${action} the contract: it is already ${from}.` };
  const allowed = Object.keys(CONTRACT_TRANSITIONS[from]);
  const hint =
    allowed.length === 0
      ? `${from} is terminal.`
      : `From ${from} the allowed actions are: ${allowed.join(", ")}.`;
  return {
    ok: false,
    message: `Cannot ${action} the contract: ${article(from)} ${from} contract cannot become ${target}. ${hint}`,
  };
};

/**
 * Violation triage. `open` is where the engine puts a violation; a human acknowledges it
 * (seen, being worked on), resolves it (fixed), or a contract owner waives it. Resolved and
 * waived are final for the API: a new occurrence of the same fact on a new push is the
 * engine's business (it re-records it).
 */
export const VIOLATION_STATUSES = ["open", "acknowledged", "resolved", "waived"] as const;
export type ViolationStatus = (typeof VIOLATION_STATUSES)[number];
export const VIOLATION_ACTIONS = ["acknowledge", "resolve", "waive"] as const;
export type ViolationAction = (typeof VIOLATION_ACTIONS)[number];

export const VIOLATION_TRANSITIONS: Readonly<
  Record<ViolationStatus, Partial<Record<ViolationAction, ViolationStatus>>>
> = {
  open: { acknowledge: "acknowledged", resolve: "resolved", waive: "waived" },
  acknowledged: { resolve: "resolved", waive: "waived" },
  resolved: {},
  waived: {},
};

const VIOLATION_TARGET: Record<ViolationAction, ViolationStatus> = {
  acknowledge: "acknowledged",
  resolve: "resolved",
  waive: "waived",
};

export const transitionViolation = (
  from: ViolationStatus,
  action: ViolationAction,
): TransitionResult<ViolationStatus> => {
  const to = VIOLATION_TRANSITIONS[from][action];
  if (to) return { ok: true, to };
  const target = VIOLATION_TARGET[action];
  if (from === target)
    return { ok: false, message: `Cannot ${action} the violation: it is already ${from}.` };
  return {
    ok: false,
    message: `Cannot ${action} the violation: ${article(from)} ${from} violation cannot become ${target}.`,
  };
};

export const isContractStatus = (value: string): value is ContractStatus =>
  value === "draft" || value === "active" || value === "deprecated" || value === "archived";

export const isViolationStatus = (value: string): value is ViolationStatus =>
  (VIOLATION_STATUSES as readonly string[]).includes(value);

const article = (word: string): string => (/^[aeiou]/.test(word) ? "an" : "a");

/**
 * Why data cannot be validated against a contract in this status, or undefined when it can. An
 * archived contract promises nothing any more: validating data against it would record new open
 * violations nobody is meant to act on. Drafts (trying a contract before activating it) and
 * deprecated contracts (still promised until archived) are validated.
 */
export const dataValidationRefusal = (name: string, status: string): string | undefined =>
  status === "archived"
    ? `Contract "${name}" is archived: it promises nothing any more, so data is not validated against it ` +
      "and no violations are recorded. Validate against the contract that replaced it, or publish and " +
      "activate a new contract; to compare data with it without recording anything, use POST /api/v1/check " +
      "with its contract_id."
    : undefined;
