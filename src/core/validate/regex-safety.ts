import { RE2JS } from "re2js";

// A `regex` quality rule runs on every value of a column: on sample rows and SQLite sources here,
// by Postgres `~`, by DuckDB's RE2. JavaScript's backtracking RegExp let one pattern and one long
// value stall the whole server (`(a{1,10}){1,10}b` on 40 characters: past 100 s), and the
// backtracking detector that guarded it both missed such patterns and cost about a second per
// rule. Patterns are therefore compiled and run by RE2 (a pure-JavaScript port): matching takes
// time linear in the value for every pattern it accepts, so no pattern needs to be judged for
// backtracking. RE2's syntax is DuckDB's; what it lacks (backreferences, lookaround) cannot be
// matched in linear time by any engine and is refused with what to write instead. Postgres runs
// the same patterns with its own automaton-based engine under the statement timeout.

/** Longer patterns are refused: they are hard to review, and matching cost grows with them. */
export const MAX_PATTERN_LENGTH = 1000;

export type RegexSafety = { ok: true } | { ok: false; message: string };

const quote = (text: string): string => `"${text.length > 80 ? `${text.slice(0, 77)}...` : text}"`;

const ENGINE = "RE2 (the linear-time engine Covenant and DuckDB match with)";

/** Backreferences and lookaround, found by a small scan of the pattern's syntax, with their fix. */
const unsupportedConstruct = (pattern: string): string | undefined => {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      const next = pattern[i + 1] ?? "";
      if (!inClass && (/[1-9]/.test(next) || (next === "k" && pattern[i + 2] === "<"))) {
        const ref = next === "k" ? pattern.slice(i, pattern.indexOf(">", i) + 1 || undefined) : `\\${next}`;
        return `it uses the backreference ${quote(ref)}, and ${ENGINE} has no backreferences: match the repeated text explicitly instead (e.g. list the alternatives)`;
      }
      i++;
    } else if (inClass) {
      if (c === "]") inClass = false;
    } else if (c === "[") inClass = true;
    else if (c === "(" && (pattern.startsWith("(?=", i) || pattern.startsWith("(?!", i))) {
      return `it uses the lookahead ${quote(pattern.slice(i, i + 3))}, and ${ENGINE} has no lookaround: split the condition into several regex rules on the same column, one per requirement`;
    } else if (c === "(" && (pattern.startsWith("(?<=", i) || pattern.startsWith("(?<!", i))) {
      return `it uses the lookbehind ${quote(pattern.slice(i, i + 4))}, and ${ENGINE} has no lookaround: match the preceding text as part of the pattern instead`;
    }
  }
  return undefined;
};

const MEMO_LIMIT = 500;
const compiled = new Map<string, RE2JS | string>();

/** The pattern compiled by RE2, or the reason it is refused (starting `pattern "…"`). */
const compile = (pattern: string): RE2JS | string => {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return `pattern is ${pattern.length} characters long, more than the ${MAX_PATTERN_LENGTH} allowed: split the rule or simplify the pattern`;
  }
  const unsupported = unsupportedConstruct(pattern);
  if (unsupported) return `pattern ${quote(pattern)} cannot be accepted: ${unsupported}`;
  try {
    return RE2JS.compile(pattern);
  } catch (error) {
    const reason = (error as Error).message.replace(/^error parsing regexp: /, "");
    return `pattern ${quote(pattern)} is not a valid regular expression for RE2 (${reason}): see the RE2 syntax (github.com/google/re2/wiki/Syntax)`;
  }
};

const cached = (pattern: string): RE2JS | string => {
  const known = compiled.get(pattern);
  if (known !== undefined) return known;
  const result = compile(pattern);
  if (compiled.size >= MEMO_LIMIT) compiled.delete(compiled.keys().next().value as string);
  compiled.set(pattern, result);
  return result;
};

/** Whether a pattern is accepted: valid RE2 syntax, no backreference or lookaround, not too long. */
export const checkRegexSafety = (pattern: string): RegexSafety => {
  const result = cached(pattern);
  return typeof result === "string" ? { ok: false, message: result } : { ok: true };
};

/** A matcher for an accepted pattern (true when it matches anywhere in the value, like `~`). */
export const compileRegex = (pattern: string): ((value: string) => boolean) => {
  const result = cached(pattern);
  if (typeof result === "string") throw new Error(result);
  return (value) => result.test(value);
};
