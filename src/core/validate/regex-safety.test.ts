import { describe, expect, it } from "vitest";
import { checkRegexSafety, MAX_PATTERN_LENGTH } from "./regex-safety.ts";

const refused = (pattern: string): string => {
  const r = checkRegexSafety(pattern);
  if (r.ok) throw new Error(`expected ${pattern} to be refused`);
  return r.message;
};

describe("checkRegexSafety: accepted", () => {
  // What contracts usually hold. Quadratic backtracking (the email patterns) is accepted: a
  // 10,000-character adversarial value takes tens of milliseconds.
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
    "^(?=.*\\d)[A-Za-z\\d]{8,}$",
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
    // Exponential: nested quantifiers
    ["^(a+)+$", /nested quantifier "\(a\+\)\+"/],
    ["(x+x+)+y", /nested quantifier "\(x\+x\+\)\+"/],
    ["^(\\w+\\s?)*$", /nested quantifier "\(\\w\+\\s\?\)\*"/],
    ["^(\\d+)*$", /nested quantifier "\(\\d\+\)\*"/],
    ["^(a*)*$", /nested quantifier "\(a\*\)\*"/],
    ["^(?:\\d+\\d+x)*$", /nested quantifier/],
    ["^(?=(a+)+$)x", /nested quantifier "\(a\+\)\+"/],
    // Exponential: alternatives that overlap, repeated
    ["(a|a)*b", /the repetition "\(a\|a\)\*" can match the same text in more than one way on every round/],
    ["^(a|b|ab)*c$", /the repetition "\(a\|b\|ab\)\*"/],
    ["^(?:\\d|\\d\\d|,)*$", /the repetition/],
    // Bounded repetition of an ambiguous part: polynomial of a high degree, or 2^n
    ["(.*a){12}", /the repetition "\(\.\*a\)\{12\}" can match the same text in several ways/],
    ["^(.*a){3}$", /the repetition "\(\.\*a\)\{3\}"/],
    ["^(?:a|a){1,30}$", /the repetition "\(\?:a\|a\)\{1,30\}"/],
    ["^(?:\\d{1,3}){1,30}$", /the repetition/],
    // Cubic and worse: overlapping repetitions in a row
    ["^\\d+\\d+\\d+x", /the repetitions "\\d\+" can take the same characters: .* length\^3/],
    ["^\\S+@\\S+\\.\\S+$", /the repetitions "\\S\+" can take the same characters/],
    [".*a.*b.*c", /the repetitions "\.\*" can take the same characters/],
    // Unanchored: every start position is one more repetition
    ["\\d+\\d+x", /not anchored with \^, so every start position is tried.*anchor it with \^/],
  ])("%s", (pattern, message) => {
    const text = refused(pattern);
    expect(text).toMatch(message);
    expect(text).toMatch(/a single long value could stall validation/);
  });

  it("says what is wrong, where, and a rewrite when there is a simple one", () => {
    expect(refused("^(a+)+$")).toBe(
      'pattern "^(a+)+$" can backtrack catastrophically (nested quantifier "(a+)+"): a single long value ' +
        'could stall validation; rewrite it without nested or overlapping repetition, e.g. "^a+$"',
    );
    expect(refused("^([a-z]+)*@x$")).toMatch(/e\.g\. "\^\[a-z\]\*@x\$"$/);
  });

  it.each([
    ["(a)\\1", /backreference "\\1"/],
    ["^(?<y>\\d{4})-\\k<y>$", /backreference "\\k<y>"/],
    ["(?<=\\$)\\d+", /lookbehind "\(\?<="/],
    ["(?<!x)y", /lookbehind "\(\?<!"/],
  ])("refuses %s, which the detector cannot judge", (pattern, message) => {
    expect(refused(pattern)).toMatch(message);
  });

  it("does not mistake escaped or bracketed digits and parentheses for backreferences or lookbehinds", () => {
    expect(checkRegexSafety("^\\\\1[\\1]\\(\\?<=x\\)$")).toEqual({ ok: true });
    expect(checkRegexSafety("^[(?<=]+$")).toEqual({ ok: true });
  });

  it("gives the RegExp error for an invalid pattern", () => {
    expect(refused("([a-z")).toBe(
      'pattern "([a-z" is not a valid regular expression (Invalid regular expression: /([a-z/: Unterminated character class)',
    );
  });

  it("refuses patterns longer than the limit", () => {
    const long = `^${"a".repeat(MAX_PATTERN_LENGTH)}$`;
    expect(refused(long)).toMatch(/is 1002 characters long, more than the 1000 allowed/);
  });

  it("gives the same answer twice (results are remembered)", () => {
    expect(checkRegexSafety("^(a+)+$")).toEqual(checkRegexSafety("^(a+)+$"));
    expect(checkRegexSafety("^[a-z]+$")).toEqual({ ok: true });
  });
});
