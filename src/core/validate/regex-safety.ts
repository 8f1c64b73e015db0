// PLACEHOLDER being replaced in this session by the real check. Signature is fixed.

/** Whether a pattern can backtrack catastrophically (exponential or high-degree polynomial time). */
export const checkRegexSafety = (pattern: string): { ok: true } | { ok: false; message: string } =>
  /\([^)]*[+*][^)]*\)[+*]/.test(pattern) ? { ok: false, message: "nested quantifier" } : { ok: true };
