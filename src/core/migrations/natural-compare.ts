const CHUNK = /(\d+)|(\D+)/g;

const compareDigits = (a: string, b: string): number => {
  const x = a.replace(/^0+(?=\d)/, "");
  const y = b.replace(/^0+(?=\d)/, "");
  return x.length - y.length || (x < y ? -1 : x > y ? 1 : 0);
};

/**
 * Orders strings the way people number files: `2_x` before `10_x`. Digit runs compare by value
 * (without a size limit, so 14-digit timestamps work), other runs by code unit; ties fall back
 * to plain comparison so the order is total and stable.
 */
export const naturalCompare = (a: string, b: string): number => {
  const left = a.match(CHUNK) ?? [];
  const right = b.match(CHUNK) ?? [];
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const x = left[i]!;
    const y = right[i]!;
    const bothDigits = /^\d/.test(x) && /^\d/.test(y);
    const order = bothDigits ? compareDigits(x, y) : x < y ? -1 : x > y ? 1 : 0;
    if (order !== 0) return order;
  }
  return left.length - right.length || (a < b ? -1 : a > b ? 1 : 0);
};

/**
 * Flyway versions: parts separated by `.` or `_`, compared numerically part by part, missing
 * parts count as zero (1.1 = 1.1.0), so V1_10 follows V1_9 and V2 follows V1.1.
 */
export const compareFlywayVersions = (a: string, b: string): number => {
  const left = a.split(/[._]/);
  const right = b.split(/[._]/);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const order = compareDigits(left[i] ?? "0", right[i] ?? "0");
    if (order !== 0) return order;
  }
  return 0;
};
