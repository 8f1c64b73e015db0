import { Buffer } from "node:buffer";

/**
 * UTF-8 length of a string, without encoding it (no copy of the text is made). V8 counts it
 * natively, about five times faster than a loop over the UTF-16 units written in JavaScript; a
 * lone surrogate counts three bytes, as the U+FFFD it is encoded to.
 */
export const utf8Length = (text: string): number => Buffer.byteLength(text, "utf8");
