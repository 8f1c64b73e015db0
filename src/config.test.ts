import { describe, expect, it } from "vitest";
import { githubApiUrl, githubAppConfigured, loadConfig } from "./config.ts";

describe("loadConfig", () => {
  it("runs with no configuration at all: SQLite under ./data, port 3000, no App", () => {
    const config = loadConfig({});
    expect(config.DATABASE_URL).toBe("file:./data/covenant.db");
    expect(config.PORT).toBe(3000);
    expect(githubAppConfigured(config)).toBe(false);
    expect(githubApiUrl(config)).toBe("https://api.github.com");
  });

  it.each([
    [{ PORT: "http" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ APP_ID: "1" }, "APP_ID"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
  ])("rejects %j naming %s", (env, key) => {
    expect(() => loadConfig(env)).toThrow(/invalid configuration/);
    try {
      loadConfig(env);
    } catch (error) {
      expect((error as { details: { path: string }[] }).details.map((d) => d.path)).toContain(key);
    }
  });

  it("treats empty variables as unset and builds the GHES API URL", () => {
    const config = loadConfig({ APP_ID: "", GHE_HOST: "github.example.com" });
    expect(config.APP_ID).toBeUndefined();
    expect(githubApiUrl(config)).toBe("https://github.example.com/api/v3");
  });
});
