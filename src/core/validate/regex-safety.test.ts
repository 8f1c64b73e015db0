import { describe, expect, it } from "vitest";
import { checkRegexSafety, compileRegex, MAX_PATTERN_LENGTH } from "./regex-safety.ts";

const refused = (pattern: string): string => {
  const r = checkRegexSafety(pattern);
  if (r.ok) throw new Error(`expected ${pattern} to be refused`);
  return r.message;
};

describe("checkRegexSafety: accepted", () => {
  // What contracts usually hold, and patterns a backtracking engine would stall on: RE2 matches
  // every one of them in time linear in the value.
  it.each([
    "^[^@]+@[^@]+\\.[^@]+$",
    "^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}$",
    "^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$",
    "^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$",
    "^\\d{4}-\\d{2}$",
    "^\\d{4}-\\d{2}-\\d{2}$",
    "^\\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\\d|3[01])$",
    "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$",
    "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
    "^\\+?[0-9 ()-]{7,20}$",
    "^\\+[1-9]\\d{1,14}$",
    "^(?:\\+?1[-. ]?)?\\(?([0-9]{3})\\)?[-. ]?([0-9]{3})[-. ]?([0-9]{4})$",
    "^\\d{5}(-\\d{4})?$",
    "^[A-Z]{1,2}\\d[A-Z\\d]? ?\\d[A-Z]{2}$",
    "^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$",
    "^[a-z0-9]+(?:-[a-z0-9]+)*$",
    "^[a-z]+(?:_[a-z]+)*$",
    "^https?://",
    "^https?://[^\\s/$.?#].[^\\s]*$",
    "^(?:[a-z0-9-]+\\.)+[a-z]{2,}$",
    "^(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)$",
    "^-?\\d+(\\.\\d+)?$",
    "^\\d{1,3}(,\\d{3})*(\\.\\d+)?$",
    "^v?\\d+\\.\\d+\\.\\d+(?:-[0-9A-Za-z.-]+)?$",
    "^[A-Z][a-z]+(?: [A-Z][a-z]+)*$",
    "^(new|paid|shipped)$",
    "^#?([a-f0-9]{6}|[a-f0-9]{3})$",
    "^(a+)+$",
    "(a{1,10}){1,10}b",
    "(\\w{1,8}\\s?){1,10}!",
    "(.{1,10}){1,10}x",
    "(a?){46}a{46}",
    "(a|a)*b",
    "^\\S+@\\S+\\.\\S+$",
    "(?i)^[a-z]+$",
    "^\\d+\\d+x$",
    "^\\s+|\\s+$",
    "@",
    "^$",
  ])("%s", (pattern) => {
    expect(checkRegexSafety(pattern)).toEqual({ ok: true });
  });
});

describe("checkRegexSafety: refused", () => {
  it.each([
    ["(a)\\1", /backreference "\\1", and RE2 .* has no backreferences: match the repeated text explicitly/],
    ["^(?<y>\\d{4})-\\k<y>$", /backreference "\\k<y>"/],
    [
      "^(?=.*\\d)[A-Za-z\\d]{8,}$",
      /lookahead "\(\?=", and RE2 .* has no lookaround: split the condition into several regex rules/,
    ],
    ["^(?!x)y", /lookahead "\(\?!"/],
    ["(?<=\\$)\\d+", /lookbehind "\(\?<="/],
    ["(?<!x)y", /lookbehind "\(\?<!"/],
  ])("refuses %s, which RE2 cannot match", (pattern, message) => {
    expect(refused(pattern)).toMatch(message);
  });

  it("does not mistake escaped or bracketed digits and parentheses for backreferences or lookaround", () => {
    expect(checkRegexSafety("^\\\\1[1]\\(\\?<=x\\)$")).toEqual({ ok: true });
    expect(checkRegexSafety("^[(?<=]+$")).toEqual({ ok: true });
  });

  it("gives RE2's reason for an invalid pattern", () => {
    expect(refused("([a-z")).toBe(
      'pattern "([a-z" is not a valid regular expression for RE2 (missing closing ]: `[a-z`): see the RE2 syntax (github.com/google/re2/wiki/Syntax)',
    );
    expect(refused("(a{1,1000}){1,1000}")).toMatch(/expression too large/);
  });

  it("refuses patterns longer than the limit", () => {
    const long = `^${"a".repeat(MAX_PATTERN_LENGTH)}$`;
    expect(refused(long)).toMatch(/is 1002 characters long, more than the 1000 allowed/);
  });

  it("gives the same answer twice (results are remembered)", () => {
    expect(checkRegexSafety("(a)\\1")).toEqual(checkRegexSafety("(a)\\1"));
    expect(checkRegexSafety("^[a-z]+$")).toEqual({ ok: true });
  });
});

describe("compileRegex", () => {
  it("matches anywhere in the value, like SQL's ~ and DuckDB's regexp_matches", () => {
    const email = compileRegex("@[a-z]+\\.com");
    expect(email("me@example.com!")).toBe(true);
    expect(email("me@example.org")).toBe(false);
    expect(compileRegex("^(a+)+$")(`${"a".repeat(40)}!`)).toBe(false);
  });

  it("throws the refusal for a pattern that is not accepted", () => {
    expect(() => compileRegex("(a)\\1")).toThrow(/backreference/);
  });
});
