import { describe, expect, it } from "vitest";
import { decodeFile } from "./decode-file.ts";
import { linkTarget } from "./repository-files.ts";

const SQL = "ALTER TABLE orders DROP COLUMN prénom;\n";

describe("decodeFile", () => {
  it.each([
    ["UTF-8", Buffer.from(SQL, "utf8"), "UTF-8"],
    [
      "UTF-8 with a byte order mark",
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(SQL)]),
      "UTF-8",
    ],
    [
      "UTF-16LE with a mark",
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(SQL, "utf16le")]),
      "UTF-16LE",
    ],
    [
      "UTF-16BE with a mark",
      Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(SQL, "utf16le").swap16()]),
      "UTF-16BE",
    ],
    ["UTF-16LE without a mark", Buffer.from(SQL, "utf16le"), "UTF-16LE"],
    ["UTF-16BE without a mark", Buffer.from(SQL, "utf16le").swap16(), "UTF-16BE"],
    ["Latin-1", Buffer.from(SQL, "latin1"), "Windows-1252 (Latin-1)"],
  ])("%s", (_name, bytes, encoding) => {
    expect(decodeFile(bytes)).toEqual({ ok: true, text: SQL, encoding });
  });

  it("refuses binary", () => {
    const decoded = decodeFile(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0x41, 0x42]));
    expect(decoded).toEqual({ ok: false, reason: expect.stringContaining("binary") });
  });
});

describe("linkTarget", () => {
  it.each([
    ["db/migrations/0002.sql", "../../sql/x.sql", { path: "sql/x.sql" }],
    ["db/migrations/0002.sql", "./x.sql", { path: "db/migrations/x.sql" }],
    ["a.sql", "../x.sql", { reason: expect.stringContaining("outside the repository") }],
    ["a.sql", "/etc/passwd", { reason: expect.stringContaining("outside the repository") }],
  ])("%s -> %s", (path, target, expected) => {
    expect(linkTarget(path, target)).toEqual(expected);
  });
});
