/** What a file's bytes turned out to be. */
export type DecodedFile = { ok: true; text: string; encoding: TextEncoding } | { ok: false; reason: string };

export type TextEncoding = "UTF-8" | "UTF-16LE" | "UTF-16BE" | "Windows-1252 (Latin-1)";

const SAMPLE = 8192;

/**
 * UTF-16 without a byte order mark: text in the Latin range has a NUL in every other byte, on one
 * side only. Binary data has NULs scattered on both.
 */
const utf16Without = (bytes: Uint8Array): "UTF-16LE" | "UTF-16BE" | undefined => {
  const n = Math.min(bytes.length, SAMPLE) & ~1;
  if (n < 4) return undefined;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) even++;
    if (bytes[i + 1] === 0) odd++;
  }
  const pairs = n / 2;
  if (odd > pairs * 0.5 && even < pairs * 0.02) return "UTF-16LE";
  if (even > pairs * 0.5 && odd < pairs * 0.02) return "UTF-16BE";
  return undefined;
};

const decoder = (encoding: string, fatal = false) => new TextDecoder(encoding, { fatal, ignoreBOM: false });

/**
 * Text from a file's bytes, as Covenant reads SQL, YAML and dbt files: UTF-8 (with or without a
 * byte order mark), UTF-16 (with a mark, or recognisably without one), and otherwise a single-byte
 * legacy encoding (Windows-1252, a superset of Latin-1, which decodes every byte). Bytes with NULs
 * that are not UTF-16 are binary: there is no text to judge, and the caller must say so.
 */
export const decodeFile = (bytes: Uint8Array): DecodedFile => {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return { ok: true, text: decoder("utf-8").decode(bytes), encoding: "UTF-8" };
  if (bytes[0] === 0xff && bytes[1] === 0xfe)
    return { ok: true, text: decoder("utf-16le").decode(bytes), encoding: "UTF-16LE" };
  if (bytes[0] === 0xfe && bytes[1] === 0xff)
    return { ok: true, text: decoder("utf-16be").decode(bytes), encoding: "UTF-16BE" };
  const utf16 = utf16Without(bytes);
  if (utf16) return { ok: true, text: decoder(utf16.toLowerCase()).decode(bytes), encoding: utf16 };
  if (bytes.includes(0))
    return { ok: false, reason: "it is binary (it holds NUL bytes and is not UTF-16 text)" };
  try {
    return { ok: true, text: decoder("utf-8", true).decode(bytes), encoding: "UTF-8" };
  } catch {
    return { ok: true, text: decoder("windows-1252").decode(bytes), encoding: "Windows-1252 (Latin-1)" };
  }
};
