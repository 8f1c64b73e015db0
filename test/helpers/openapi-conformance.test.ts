import { describe, expect, test } from "vitest";
import { checkGitHubRequest } from "./openapi-conformance.ts";

describe("GitHub OpenAPI conformance checker", () => {
  test("accepts real requests", () => {
    expect(
      checkGitHubRequest({
        method: "POST",
        url: "/repos/o/r/check-runs",
        body: {
          name: "Covenant",
          head_sha: "abc",
          status: "in_progress",
          started_at: "2024-01-01T00:00:00Z",
        },
      }),
    ).toEqual([]);
    expect(
      checkGitHubRequest({ method: "GET", url: "/repos/o/r/pulls/1/files?per_page=100&page=2" }),
    ).toEqual([]);
    expect(checkGitHubRequest({ method: "GET", url: "/api/v3/repos/o/r/git/trees/abc?recursive=1" })).toEqual(
      [],
    );
  });

  test("rejects unknown paths, undeclared parameters and invalid bodies", () => {
    expect(checkGitHubRequest({ method: "POST", url: "/repos/o/r/check-suns", body: {} })[0]).toMatch(
      /no such operation/,
    );
    expect(checkGitHubRequest({ method: "GET", url: "/repos/o/r/pulls/1/files?perpage=100" })[0]).toMatch(
      /undeclared/,
    );
    const bad = checkGitHubRequest({
      method: "PATCH",
      url: "/repos/o/r/check-runs/5",
      body: { status: "completed", conclusion: "great", output: { title: "t" } },
    });
    expect(bad.join("\n")).toMatch(/conclusion/);
    expect(bad.join("\n")).toMatch(/summary/);
  });
});
