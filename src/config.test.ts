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

  it("an empty number (JOB_WORKERS= in .env) takes the default, never 0", () => {
    const config = loadConfig({ JOB_WORKERS: "", API_RATE_LIMIT_PER_MINUTE: " ", SCAN_TIMEOUT_MS: "" });
    expect(config.JOB_WORKERS).toBe(2);
    expect(config.API_RATE_LIMIT_PER_MINUTE).toBe(600);
    expect(config.SCAN_TIMEOUT_MS).toBe(30 * 60_000);
  });

  it("REDIS_URL: unset means the database counts the rate limits; a valid URL is kept, trimmed", () => {
    expect(loadConfig({ REDIS_URL: "" }).REDIS_URL).toBeUndefined();
    expect(loadConfig({ REDIS_URL: " rediss://:secret@cache.internal:6380/2 " }).REDIS_URL).toBe(
      "rediss://:secret@cache.internal:6380/2",
    );
  });

  it.each([
    ["JOB_WORKERS", "abc", /"abc" must be a whole number from 0 to 64/],
    ["API_BODY_LIMIT_BYTES", "1mb", /"1mb" must be a whole number of at least 1/],
    ["VALIDATE_TIMEOUT_MS", "1.5", /"1.5" must be a whole number of at least 1/],
    ["REDIS_URL", "localhost:6379", /has scheme localhost: use redis:\/\/\[\[user\]:password@\]host/],
    ["REDIS_URL", "redis://cache.internal/main", /names database "main", which is not a number/],
  ])("%s=%s says what a valid value is", (key, value, message) => {
    try {
      loadConfig({ [key]: value });
      expect.unreachable();
    } catch (error) {
      const details = (error as { details: { path: string; message: string }[] }).details;
      expect(details.find((d) => d.path === key)?.message).toMatch(message);
    }
  });
});
