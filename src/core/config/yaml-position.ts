import { type Document, isMap, isNode, isScalar, type LineCounter, type Node } from "yaml";

export type Position = { line: number; col: number };

/**
 * The position of the node a zod issue path points at. When the path runs past what the
 * document holds (a missing key), the deepest existing ancestor is used, so the message still
 * points somewhere useful. `key` points at the key of the last path segment instead of its value
 * (for unknown keys).
 */
export const positionOfPath = (
  doc: Document,
  lineCounter: LineCounter,
  path: readonly PropertyKey[],
  options: { key?: string } = {},
): Position => {
  let node: unknown = doc.contents;
  for (const segment of path) {
    const next = childOf(node, segment);
    if (next === undefined) break;
    node = next;
  }
  if (options.key !== undefined && isMap(node)) {
    const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === options.key);
    if (pair && isNode(pair.key)) node = pair.key;
  }
  return positionOfNode(node, lineCounter);
};

export const positionOfNode = (node: unknown, lineCounter: LineCounter): Position => {
  const offset = isNode(node) ? ((node as Node).range?.[0] ?? 0) : 0;
  return lineCounter.linePos(offset);
};

const childOf = (node: unknown, segment: PropertyKey): unknown => {
  if (!isNode(node)) return undefined;
  if (isMap(node)) {
    const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
    return pair?.value ?? undefined;
  }
  if ("items" in node && Array.isArray((node as { items: unknown[] }).items) && typeof segment === "number") {
    return (node as { items: unknown[] }).items[segment];
  }
  return undefined;
};
