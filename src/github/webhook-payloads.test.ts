import { describe, expect, test } from "vitest";
import { webhookPayloadProblem } from "./webhook-payloads.ts";

const repository = { id: 1, name: "r", full_name: "o/r", private: false, owner: { login: "o" } };
const pr = (head: unknown) => ({
  action: "opened",
  repository,
  installation: { id: 7 },
  pull_request: { number: 3, head },
});

describe("webhook payload shapes", () => {
  test("a well-formed payload with extra fields passes", () => {
    expect(webhookPayloadProblem("pull_request", { ...pr({ sha: "a".repeat(40) }), extra: [1] })).toBeNull();
  });

  test.each([
    [
      "pull_request",
      pr({ sha: "A".repeat(40) }),
      "pull_request.head.sha: expected a git commit SHA, got string",
    ],
    ["pull_request", pr(null), "pull_request.head: expected an object, got null"],
    [
      "pull_request",
      { ...pr({ sha: "a".repeat(40) }), installation: { id: 0 } },
      "installation.id: expected a positive integer, got number",
    ],
    ["pull_request", [], "the body: expected an object, got an array"],
    [
      "check_suite",
      { action: "requested", repository, check_suite: { pull_requests: [{ number: 1, head: {} }] } },
      "check_suite.pull_requests.0.head.sha: expected a git commit SHA, got nothing",
    ],
  ])("%s: %j is refused naming the field", (event, payload, message) => {
    expect(webhookPayloadProblem(event, payload)).toBe(message);
  });

  test("an event name that is an Object.prototype key is an unknown event, not a crash", () => {
    expect(webhookPayloadProblem("constructor", {})).toBeNull();
    expect(webhookPayloadProblem("__proto__", null)).toBe("the body: expected an object, got null");
  });
});
