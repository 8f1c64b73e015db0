import { describe, expect, it } from "vitest";
import { CONTRACT_STATUSES, type ContractStatus } from "./contract-levels.ts";
import {
  CONTRACT_ACTIONS,
  type ContractAction,
  transition,
  transitionViolation,
  VIOLATION_ACTIONS,
  VIOLATION_STATUSES,
  type ViolationAction,
  type ViolationStatus,
} from "./lifecycle.ts";

// The whole table, written out: any pair not listed here must be refused.
const allowedContract: [ContractStatus, ContractAction, ContractStatus][] = [
  ["draft", "activate", "active"],
  ["draft", "archive", "archived"],
  ["active", "deprecate", "deprecated"],
  ["deprecated", "activate", "active"],
  ["deprecated", "archive", "archived"],
];

const allowedViolation: [ViolationStatus, ViolationAction, ViolationStatus][] = [
  ["open", "acknowledge", "acknowledged"],
  ["open", "resolve", "resolved"],
  ["open", "waive", "waived"],
  ["acknowledged", "resolve", "resolved"],
  ["acknowledged", "waive", "waived"],
];

describe("contract lifecycle", () => {
  const pairs = CONTRACT_STATUSES.flatMap((from) =>
    CONTRACT_ACTIONS.map((action) => [from, action] as const),
  );
  it.each(pairs)("%s + %s", (from, action) => {
    const expected = allowedContract.find(([f, a]) => f === from && a === action);
    const result = transition(from, action);
    if (expected) {
      expect(result).toEqual({ ok: true, to: expected[2] });
    } else {
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.message).toContain(from);
        expect(result.message).toContain(action);
      }
    }
  });

  it("allows exactly the listed transitions", () => {
    const allowed = pairs.filter(([from, action]) => transition(from, action).ok);
    expect(allowed).toEqual(allowedContract.map(([from, action]) => [from, action]));
  });
});

describe("violation triage", () => {
  const pairs = VIOLATION_STATUSES.flatMap((from) =>
    VIOLATION_ACTIONS.map((action) => [from, action] as const),
  );
  it.each(pairs)("%s + %s", (from, action) => {
    const expected = allowedViolation.find(([f, a]) => f === from && a === action);
    const result = transitionViolation(from, action);
    if (expected) expect(result).toEqual({ ok: true, to: expected[2] });
    else {
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.message).toContain(from);
    }
  });

  it("allows exactly the listed transitions", () => {
    const allowed = pairs.filter(([from, action]) => transitionViolation(from, action).ok);
    expect(allowed).toEqual(allowedViolation.map(([from, action]) => [from, action]));
  });
});
