/** UTF-8 length of a string, without encoding it (no copy of the text is made). */
export const utf8Length = (text: string): number => {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 2; // four bytes for the two UTF-16 units of a pair
        i++;
      } else n += 2;
    } else n += 2;
  }
  return n;
};
