/**
 * A seed's columns are the names of its CSV header (RFC 4180: quoted names, `""` inside quotes,
 * commas and line breaks inside quotes, a UTF-8 BOM, CRLF). Only the header is ever kept: the
 * readers cut a `.csv` to its first record (see `headerOnly`), so a large seed costs its header.
 */

/** Files of which only the first line is read (a seed's data may be large). */
export const headerOnly = (path: string): boolean => /\.csv$/i.test(path);

/** Bytes of a header-only file that are read at most; a longer header is not a header. */
export const HEADER_BYTES = 64 * 1024;

/**
 * The first record of a CSV text, line ending excluded: up to the first line break outside
 * quotes. Whatever the reader kept beyond it is dropped.
 */
export const firstRecord = (text: string): string => {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === "\n" || ch === "\r")) return text.slice(0, i);
  }
  return text;
};

/**
 * The column names of a CSV's header, or undefined when it has none (an empty file, a blank first
 * line, an unterminated quote, or a header cut short): unknown columns, never "no columns".
 */
export const parseCsvHeader = (text: string): string[] | undefined => {
  const record = firstRecord(text.replace(/^\uFEFF/, ""));
  if (record.trim() === "") return undefined;
  const names: string[] = [];
  let i = 0;
  for (;;) {
    while (record[i] === " " || record[i] === "\t") i++;
    let name = "";
    if (record[i] === '"') {
      i++;
      for (;;) {
        if (i >= record.length) return undefined;
        if (record[i] === '"') {
          if (record[i + 1] === '"') {
            name += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        name += record[i++];
      }
      while (record[i] === " " || record[i] === "\t") i++;
      if (i < record.length && record[i] !== ",") return undefined;
    } else {
      const comma = record.indexOf(",", i);
      const end = comma < 0 ? record.length : comma;
      name = record.slice(i, end).trim();
      if (name.includes('"')) return undefined;
      i = end;
    }
    names.push(name);
    if (i >= record.length) break;
    i++; // the comma
  }
  return names.some((name) => name === "") ? undefined : names;
};
