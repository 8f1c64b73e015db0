import {
  isSafePattern,
  type RedosDetectorQuantifierIteration,
  type RedosDetectorTrailEntrySide,
} from "redos-detector";

// A `regex` quality rule runs on every value of a column: by JavaScript's backtracking RegExp for
// SQLite sources and in-memory rows, by Postgres `~`, by DuckDB's RE2. One pattern that can
// backtrack catastrophically lets a single long value stall a validation run, so such patterns
// are refused when the contract is parsed.
//
// redos-detector lists pairs of paths ("trails") through the pattern that match the same text.
// Out of the box it refuses any unbounded ambiguity, including the quadratic kind every
// everyday email pattern has (`^[^@]+@[^@]+\.[^@]+$`: 10,000 adversarial characters take
// ~50 ms). The trails are classified here instead:
// - exponential: two different paths from one point of a repetition back to the same point
//   over the same text (`^(a+)+$`, `(a|a)*b`): each repetition multiplies the attempts;
// - the same inside a bounded repetition: the blowup is capped by the bound (`(?:a|a){1,30}`
//   is 2^30; `{3}` is harmless);
// - polynomial of degree k: a chain of k unbounded repetitions that can take the same
//   characters in turn (`^\d+\d+\d+x` is cubic: 3,000 characters take seconds). Degree 2 is
//   accepted, 3 and more refused. An unanchored pattern is tried at every start position,
//   which the detector models as a leading `[^]*?` and counts here as one more repetition.
// The detector works within fixed step and score budgets, so the verdict does not depend on
// the machine; a refusal needs evidence from a trail.

/** Longer patterns are refused: they are hard to review and costly to analyze. */
export const MAX_PATTERN_LENGTH = 1000;

export type RegexSafety = { ok: true } | { ok: false; message: string };

const DETECTOR_OPTIONS = {
  // Scores above this stop the search; the trails found so far are enough to classify.
  maxScore: 30,
  maxSteps: 3000,
  // A backstop only: the step budget ends the search first on every pattern measured.
  timeout: 2000,
} as const;

/** A bounded repetition whose iterations can each match the same text in several ways. */
const MAX_AMBIGUOUS_REPEAT = 10;
/** Degree of the polynomial backtracking accepted: quadratic. */
const MAX_DEGREE = 2;

const quote = (text: string): string => `"${text.length > 80 ? `${text.slice(0, 77)}...` : text}"`;

// ---------------------------------------------------------------------------------------------
// Constructs the detector cannot judge

/**
 * Backreferences and lookbehinds, found by a small scan of the pattern's syntax. A
 * backreference makes matching NP-hard in general and the detector only approximates it;
 * lookbehinds are skipped by the detector. Neither is supported by DuckDB (RE2).
 */
const unsupportedConstruct = (pattern: string): string | undefined => {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      const next = pattern[i + 1] ?? "";
      if (!inClass && (/[1-9]/.test(next) || (next === "k" && pattern[i + 2] === "<"))) {
        const ref = next === "k" ? pattern.slice(i, pattern.indexOf(">", i) + 1 || undefined) : `\\${next}`;
        return `it uses the backreference ${quote(ref)}, which cannot be checked for catastrophic backtracking (and DuckDB does not support it): match the repeated text explicitly instead`;
      }
      i++;
    } else if (inClass) {
      if (c === "]") inClass = false;
    } else if (c === "[") inClass = true;
    else if (c === "(" && (pattern.startsWith("(?<=", i) || pattern.startsWith("(?<!", i))) {
      return `it uses the lookbehind ${quote(pattern.slice(i, i + 4))}, which cannot be checked for catastrophic backtracking (and DuckDB does not support it): rewrite the pattern without it`;
    }
  }
  return undefined;
};

// ---------------------------------------------------------------------------------------------
// Classifying the detector's trails

type Quantifier = RedosDetectorQuantifierIteration;
type Side = RedosDetectorTrailEntrySide;

/** `{ min, max }` of a quantifier node from its source, e.g. `(a+)+` -> 1..Infinity. */
const quantifierBounds = (source: string): { min: number; max: number } => {
  const at = (text: string): { min: number; max: number } | undefined => {
    const brace = /\{(\d+)(,(\d*))?\}$/.exec(text);
    if (brace) {
      const min = Number(brace[1]);
      return { min, max: brace[2] === undefined ? min : brace[3] === "" ? Infinity : Number(brace[3]) };
    }
    let backslashes = 0;
    for (let i = text.length - 2; i >= 0 && text[i] === "\\"; i--) backslashes++;
    if (backslashes % 2 === 1) return undefined;
    const last = text.at(-1);
    if (last === "*") return { min: 0, max: Infinity };
    if (last === "+") return { min: 1, max: Infinity };
    if (last === "?") return { min: 0, max: 1 };
    return undefined;
  };
  // A trailing `?` is either the lazy marker of a quantifier or the `?` quantifier itself.
  return (source.endsWith("?") ? at(source.slice(0, -1)) : undefined) ?? at(source) ?? { min: 1, max: 1 };
};

const unbounded = (q: Quantifier): boolean => quantifierBounds(q.node.source).max === Infinity;
const sameQuantifier = (a: Quantifier, b: Quantifier): boolean => a.node.start.offset === b.node.start.offset;

const identical = (a: Side, b: Side): boolean =>
  a.node.start.offset === b.node.start.offset &&
  a.quantifierIterations.length === b.quantifierIterations.length &&
  a.quantifierIterations.every((q, i) => {
    const r = b.quantifierIterations[i];
    return r !== undefined && sameQuantifier(q, r) && q.iteration === r.iteration;
  });

/**
 * Both paths are at the same point of the pattern with the same future: the iteration counts
 * of unbounded repetitions past their minimum do not change what can follow.
 */
const converged = (a: Side, b: Side): boolean =>
  a.node.start.offset === b.node.start.offset &&
  a.quantifierIterations.length === b.quantifierIterations.length &&
  a.quantifierIterations.every((q, i) => {
    const r = b.quantifierIterations[i];
    if (r === undefined || !sameQuantifier(q, r)) return false;
    if (q.iteration === r.iteration) return true;
    const { min, max } = quantifierBounds(q.node.source);
    return max === Infinity && q.iteration >= min - 1 && r.iteration >= min - 1;
  });

/** The repetition that lets the two paths differ: where their quantifier stacks part. */
const responsibleRepetition = (a: Side, b: Side): Quantifier | undefined => {
  const qa = a.quantifierIterations;
  const qb = b.quantifierIterations;
  let common: Quantifier | undefined;
  for (let i = 0; i < Math.min(qa.length, qb.length); i++) {
    const x = qa[i] as Quantifier;
    const y = qb[i] as Quantifier;
    if (!sameQuantifier(x, y)) break;
    // Same repetition, different iteration: its iterations split the text differently.
    if (x.iteration !== y.iteration) return x;
    common = x;
  }
  return common;
};

/** Quantifiers that stay around both paths throughout a segment of a trail. */
const enclosingThroughout = (steps: ReadonlyArray<{ a: Side; b: Side }>, q: Quantifier): boolean =>
  steps.every(
    (s) =>
      s.a.quantifierIterations.some((x) => sameQuantifier(x, q)) &&
      s.b.quantifierIterations.some((x) => sameQuantifier(x, q)),
  );

type Finding =
  | { kind: "exponential"; repetition: string; nested: boolean }
  | { kind: "bounded"; repetition: string; max: number }
  | { kind: "polynomial"; degree: number; repetitions: string[]; unanchored: boolean };

const IMPLICIT_START = "[^]*?";

/** The innermost unbounded repetition of a path, keyed by the iterations around it. */
const instanceOf = (side: Side): { key: number[]; source: string } | undefined => {
  const stack = side.quantifierIterations;
  for (let i = stack.length - 1; i >= 0; i--) {
    const q = stack[i] as Quantifier;
    if (!unbounded(q)) continue;
    const key: number[] = [];
    for (const outer of stack.slice(0, i)) key.push(outer.node.start.offset, outer.iteration);
    key.push(q.node.start.offset);
    return { key, source: q.node.source };
  }
  return undefined;
};

const compareKeys = (a: number[], b: number[]): number => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  }
  return a.length - b.length;
};

const hasUnboundedInside = (side: Side, q: Quantifier): boolean => {
  const stack = side.quantifierIterations;
  const at = stack.findIndex((x) => sameQuantifier(x, q));
  return stack.slice(at + 1).some(unbounded);
};

const classify = (
  trails: ReadonlyArray<{ trail: ReadonlyArray<{ a: Side; b: Side }> }>,
  downgraded: boolean,
): Finding | undefined => {
  let worstBounded: { repetition: string; max: number } | undefined;
  // Overlaps between unbounded repetitions: an edge from the earlier to the later one.
  const edges = new Map<string, Set<string>>();
  const instances = new Map<string, { key: number[]; source: string }>();
  for (const { trail } of trails) {
    let divergedAt: number | undefined;
    for (let s = 0; s < trail.length; s++) {
      const step = trail[s] as { a: Side; b: Side };
      const same = identical(step.a, step.b);
      if (!same) divergedAt ??= s;
      // The paths parted and met again: if a repetition encloses both all along, every round
      // of it can be matched in two ways.
      if (divergedAt !== undefined && converged(step.a, step.b)) {
        const segment = trail.slice(divergedAt, s + 1);
        const first = segment[0] as { a: Side; b: Side };
        const q = responsibleRepetition(first.a, first.b);
        if (q && enclosingThroughout(segment, q)) {
          const { max } = quantifierBounds(q.node.source);
          const inner = segment.some((x) => hasUnboundedInside(x.a, q) || hasUnboundedInside(x.b, q));
          if (max === Infinity) return { kind: "exponential", repetition: q.node.source, nested: inner };
          // With an unbounded part inside, each of the `max` rounds multiplies by the length.
          const effective = inner && max > MAX_DEGREE ? MAX_AMBIGUOUS_REPEAT + 1 : max;
          if (effective > (worstBounded?.max ?? 0))
            worstBounded = { repetition: q.node.source, max: effective };
        }
      }
      if (same) divergedAt = undefined;
      const a = instanceOf(step.a);
      const b = instanceOf(step.b);
      if (!a || !b) continue;
      const ka = a.key.join(",");
      const kb = b.key.join(",");
      if (ka === kb) continue;
      instances.set(ka, a);
      instances.set(kb, b);
      const [lo, hi] = compareKeys(a.key, b.key) < 0 ? [ka, kb] : [kb, ka];
      const out = edges.get(lo) ?? new Set<string>();
      out.add(hi);
      edges.set(lo, out);
    }
  }
  if (worstBounded && worstBounded.max > MAX_AMBIGUOUS_REPEAT) return { kind: "bounded", ...worstBounded };
  // The longest chain of overlapping repetitions is the degree of the polynomial.
  const chain = new Map<string, string[]>();
  const longest = (node: string): string[] => {
    const known = chain.get(node);
    if (known) return known;
    let best: string[] = [node];
    for (const next of edges.get(node) ?? []) {
      const tail = longest(next);
      if (tail.length + 1 > best.length) best = [node, ...tail];
    }
    chain.set(node, best);
    return best;
  };
  let worst: string[] = [];
  for (const node of instances.keys()) {
    const c = longest(node);
    if (c.length > worst.length) worst = c;
  }
  if (worst.length <= MAX_DEGREE) return undefined;
  const sources = worst.map((k) => instances.get(k)?.source ?? "");
  const unanchored = downgraded && sources.includes(IMPLICIT_START);
  return {
    kind: "polynomial",
    degree: worst.length,
    repetitions: [...new Set(sources.filter((s) => s !== IMPLICIT_START))],
    unanchored,
  };
};

// ---------------------------------------------------------------------------------------------
// Messages

const ATOM = String.raw`(?:\\.|\[(?:\\.|[^\]\\])*\]|[^\\()[\]|*+?{}])`;
const NESTED_SIMPLE = new RegExp(String.raw`^\((?:\?:)?(${ATOM})([+*])\)([+*])$`);

/** `(a+)+` -> `a+`: a rewrite of the simplest nested quantifiers, when there is one. */
const flatten = (pattern: string, repetition: string): string | undefined => {
  const m = NESTED_SIMPLE.exec(repetition);
  if (!m) return undefined;
  const atom = m[1] as string;
  const both = m[2] === "+" && m[3] === "+" ? "+" : "*";
  return pattern.replace(repetition, `${atom}${both}`);
};

const STALL = "a single long value could stall validation";

const describe = (pattern: string, finding: Finding): string => {
  const head = `pattern ${quote(pattern)} can backtrack catastrophically`;
  switch (finding.kind) {
    case "exponential": {
      if (finding.nested) {
        const rewrite = flatten(pattern, finding.repetition);
        return `${head} (nested quantifier ${quote(finding.repetition)}): ${STALL}; rewrite it without nested or overlapping repetition${rewrite ? `, e.g. ${quote(rewrite)}` : ""}`;
      }
      return `${head} (the repetition ${quote(finding.repetition)} can match the same text in more than one way on every round): ${STALL}; make what one round matches unambiguous, e.g. alternatives that cannot match the same characters`;
    }
    case "bounded":
      return `${head} (the repetition ${quote(finding.repetition)} can match the same text in several ways on each of its rounds): ${STALL}; make what one round matches unambiguous or repeat it fewer times`;
    case "polynomial": {
      const parts = finding.repetitions.map(quote).join(", ");
      const what =
        finding.repetitions.length > 0
          ? `the repetitions ${parts} can take the same characters${finding.unanchored ? " and the pattern is not anchored with ^, so every start position is tried" : ""}`
          : "the pattern is not anchored with ^, so every start position is tried";
      const fix = finding.unanchored
        ? "anchor it with ^ and make neighbouring repetitions exclude each other's characters"
        : "make neighbouring repetitions exclude each other's characters, e.g. [^@]+@ instead of .+@";
      return `${head} (${what}: a value that does not match is retried in about length^${finding.degree} ways): ${STALL}; ${fix}`;
    }
  }
};

// ---------------------------------------------------------------------------------------------

const MEMO_LIMIT = 500;
const memo = new Map<string, RegexSafety>();

const analyze = (pattern: string): RegexSafety => {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return {
      ok: false,
      message: `pattern is ${pattern.length} characters long, more than the ${MAX_PATTERN_LENGTH} allowed: split the rule or simplify the pattern`,
    };
  }
  try {
    new RegExp(pattern);
  } catch (error) {
    return {
      ok: false,
      message: `pattern ${quote(pattern)} is not a valid regular expression (${(error as Error).message})`,
    };
  }
  const unsupported = unsupportedConstruct(pattern);
  if (unsupported)
    return { ok: false, message: `pattern ${quote(pattern)} cannot be accepted: ${unsupported}` };
  let result: ReturnType<typeof isSafePattern>;
  try {
    result = isSafePattern(pattern, DETECTOR_OPTIONS);
  } catch (error) {
    // The detector parses standard syntax only; JavaScript also accepts legacy forms.
    const reason = (error as Error).message.split("\n")[0];
    return {
      ok: false,
      message: `pattern ${quote(pattern)} cannot be checked for catastrophic backtracking (${reason}): write it in standard syntax, e.g. escape a literal { } or ] with a backslash`,
    };
  }
  if (result.safe) return { ok: true };
  const finding = classify(result.trails, result.patternDowngraded);
  return finding ? { ok: false, message: describe(pattern, finding) } : { ok: true };
};

/** Whether a pattern can backtrack catastrophically (exponential or high-degree polynomial time). */
export const checkRegexSafety = (pattern: string): { ok: true } | { ok: false; message: string } => {
  const known = memo.get(pattern);
  if (known) return known;
  const verdict = analyze(pattern);
  if (memo.size >= MEMO_LIMIT) memo.delete(memo.keys().next().value as string);
  memo.set(pattern, verdict);
  return verdict;
};
