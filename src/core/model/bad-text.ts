// Text no store can hold faithfully: PostgreSQL refuses NUL (error 22021) and an unpaired UTF-16
// surrogate is not Unicode (stored as U+FFFD or refused, depending on the database).

/** Why a string cannot be taken, or undefined when it can. */
export const badText = (text: string): string | undefined => {
  if (text.includes("\u0000")) return "contains a NUL character (U+0000), which text cannot hold: remove it";
  // Node 20 has String.prototype.isWellFormed; the configured lib (ES2023) does not declare it.
  if (!(text as string & { isWellFormed: () => boolean }).isWellFormed())
    return "contains an unpaired UTF-16 surrogate, which is not Unicode: send well-formed UTF-8";
  return undefined;
};

/** The first key or string in plain data that is bad text, with its path; no recursion. */
export const findBadText = (root: unknown): { path: Array<string | number>; message: string } | undefined => {
  const stack: Array<{ value: unknown; path: Array<string | number> }> = [{ value: root, path: [] }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, path } = item;
    if (typeof value === "string") {
      const bad = badText(value);
      if (bad) return { path, message: bad };
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => {
        stack.push({ value: v, path: [...path, i] });
      });
    } else if (value !== null && typeof value === "object") {
      for (const [key, v] of Object.entries(value)) {
        const bad = badText(key);
        if (bad) return { path, message: `has a key that ${bad}` };
        stack.push({ value: v, path: [...path, key] });
      }
    }
  }
  return undefined;
};
