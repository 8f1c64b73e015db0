import { describe, expect, it } from "vitest";
import { utf8Length } from "./utf8.ts";

describe("utf8Length", () => {
  it("counts the bytes UTF-8 encodes a string to", () => {
    for (const text of ["", "select 1;", "café", "€ 10", "emoji 😀 here", "名前", "a\u0000b"])
      expect(utf8Length(text)).toBe(new TextEncoder().encode(text).length);
  });

  it("counts a lone surrogate as the three bytes of U+FFFD", () => {
    expect(utf8Length("a\ud800b")).toBe(5);
    expect(utf8Length("\udc00")).toBe(3);
    expect(utf8Length("x\ud83d")).toBe(4);
  });
});
