import { isMap, isScalar, isSeq, type Node, parseDocument, type YAMLMap } from "yaml";
import { type Contract, contractOwners, parseContract } from "./contract.ts";
import type { ContractStatus, EnforcementLevel } from "./contract-levels.ts";

/**
 * The fields the registry manages once a contract is registered: its lifecycle status (activate,
 * deprecate, archive), its enforcement level, owners and description (changed in place by PUT).
 * The YAML a contract was registered with says what they were then; what the API returns must
 * say what they are now.
 */
export type RegistryState = {
  status: ContractStatus;
  enforcement: EnforcementLevel;
  owners: readonly string[];
  description: string | null;
  /** Set while deprecated: the reason and the successor contract's name. */
  deprecation: { reason: string; successor?: string } | null;
};

const sameList = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x, i) => x.toLowerCase() === b[i]?.toLowerCase());

const sameDeprecation = (a: Contract["deprecation"], b: RegistryState["deprecation"]): boolean =>
  (a === undefined && b === null) ||
  (a !== undefined && b !== null && a.reason === b.reason && a.successor === b.successor);

type Obj = Record<string, unknown>;

/** ODCS keeps what it has no field for in `customProperties: [{property, value}]`. */
const setCustomProperty = (doc: ReturnType<typeof parseDocument>, property: string, value: unknown) => {
  const list = doc.get("customProperties", true) as Node | undefined;
  if (!isSeq(list)) {
    if (value !== undefined) doc.set("customProperties", doc.createNode([{ property, value }]));
    return;
  }
  const index = list.items.findIndex((item) => isMap(item) && item.get("property") === property);
  if (index < 0) {
    if (value !== undefined) list.items.push(doc.createNode({ property, value }) as YAMLMap);
    return;
  }
  if (value === undefined) list.items.splice(index, 1);
  else (list.items[index] as YAMLMap).set("value", value);
};

/**
 * The contract's YAML with the registry's current state written into it (status, enforcement,
 * owners, description, deprecation), comments and layout kept. Fields that already agree are not
 * touched, so a document in step with the registry comes back byte for byte. ODCS documents are
 * written in ODCS terms (`team`, `description.purpose`, `customProperties`).
 */
export const withRegistryState = (contents: string, state: RegistryState): string => {
  const parsed = parseContract(contents, "contents");
  // Stored contents were validated when published; one that no longer parses is left for the
  // callers that read it to report.
  if (!parsed.ok) return contents;
  const c = parsed.contract;
  const statusOk = c.status === state.status;
  const enforcementOk = c.enforcement === state.enforcement;
  const ownersOk = sameList(contractOwners(c), state.owners) || state.owners.length === 0;
  const descriptionOk = (c.description ?? null) === state.description;
  const deprecationOk = sameDeprecation(c.deprecation, state.deprecation);
  if (statusOk && enforcementOk && ownersOk && descriptionOk && deprecationOk) return contents;

  const owners = [...state.owners];
  if (parsed.format === "covenant") {
    // The usual change (a new status or level) rewrites the value in place: nothing else moves.
    const edits: Array<[string, string | string[] | null]> = [];
    if (!statusOk) edits.push(["status", state.status]);
    if (!enforcementOk) edits.push(["enforcement", state.enforcement]);
    if (!ownersOk) edits.push(["owner", owners.length === 1 ? (owners[0] as string) : owners]);
    if (!descriptionOk) edits.push(["description", state.description]);
    // A new deprecation is appended as a block of its own (when the file has none yet).
    const appended =
      deprecationOk || c.deprecation !== undefined || state.deprecation === null
        ? undefined
        : `deprecation:\n  reason: ${JSON.stringify(state.deprecation.reason)}\n${state.deprecation.successor ? `  successor: ${JSON.stringify(state.deprecation.successor)}\n` : ""}`;
    const spliced = deprecationOk || appended ? spliceScalars(contents, edits) : undefined;
    if (spliced !== undefined) return appended ? `${spliced.replace(/\n*$/, "\n")}${appended}` : spliced;
  }
  const doc = parseDocument(contents, { keepSourceTokens: false });
  if (parsed.format === "odcs") {
    if (!statusOk) doc.set("status", state.status);
    if (!enforcementOk) setCustomProperty(doc, "enforcement", state.enforcement);
    if (!ownersOk) doc.set("team", doc.createNode(owners.map((username) => ({ username, role: "owner" }))));
    if (!descriptionOk) {
      const description = doc.get("description", true) as Node | undefined;
      if (state.description === null) {
        if (isMap(description)) description.delete("purpose");
        else doc.delete("description");
      } else if (isMap(description)) description.set("purpose", state.description);
      else doc.set("description", doc.createNode({ purpose: state.description }));
    }
    if (!deprecationOk) {
      setCustomProperty(doc, "deprecationReason", state.deprecation?.reason);
      setCustomProperty(doc, "successor", state.deprecation?.successor);
    }
    return doc.toString({ lineWidth: 0 });
  }
  // Covenant keys are set where the document has them, else added after the key they follow.
  const root = doc.contents as unknown;
  if (!isMap<unknown, unknown>(root)) return contents;
  const put = (key: string, value: unknown, after: string[]) => {
    if (root.has(key)) {
      root.set(key, value);
      return;
    }
    const node = doc.createPair(key, value);
    const anchor = Math.max(
      ...after.map((k) => root.items.findIndex((pair) => (pair.key as unknown as Obj | null)?.value === k)),
    );
    root.items.splice(anchor < 0 ? root.items.length : anchor + 1, 0, node as (typeof root.items)[number]);
  };
  if (!statusOk) put("status", state.status, ["version", "name"]);
  if (!ownersOk)
    put("owner", owners.length === 1 ? owners[0] : doc.createNode(owners), ["status", "version"]);
  if (!enforcementOk) put("enforcement", state.enforcement, ["owner", "status", "version"]);
  if (!descriptionOk) {
    if (state.description === null) root.delete("description");
    else put("description", state.description, ["enforcement", "owner"]);
  }
  if (!deprecationOk) {
    if (state.deprecation === null) root.delete("deprecation");
    else
      put(
        "deprecation",
        doc.createNode({
          reason: state.deprecation.reason,
          ...(state.deprecation.successor ? { successor: state.deprecation.successor } : {}),
        }),
        ["sla", "quality", "schema"],
      );
  }
  return doc.toString({ lineWidth: 0 });
};

/** Where a key missing from the file is added: after the first of these the file has. */
const FOLLOWS: Record<string, string[]> = {
  status: ["version", "name"],
  owner: ["status", "version", "name"],
  enforcement: ["owner", "status", "version"],
  description: ["enforcement", "owner", "status", "version"],
};

const PLAIN = /^[A-Za-z][A-Za-z0-9_-]*$/;
const render = (value: string | string[]): string =>
  Array.isArray(value)
    ? `[${value.map((v) => JSON.stringify(v)).join(", ")}]`
    : PLAIN.test(value)
      ? value
      : JSON.stringify(value);

/**
 * Replaces the values of top-level keys that are written as one-line scalars, keeping every other
 * byte; undefined when an edit needs more (a missing key, a removal, a block value).
 */
const spliceScalars = (
  contents: string,
  edits: ReadonlyArray<[string, string | string[] | null]>,
): string | undefined => {
  const doc = parseDocument(contents);
  const root = doc.contents as unknown;
  if (!isMap<unknown, unknown>(root) || root.flow) return undefined;
  const ranges: Array<{ start: number; end: number; text: string }> = [];
  const oneLine = (key: string) => {
    const pair = root.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
    if (!pair) return { present: false as const };
    const node = pair.value as Node | null | undefined;
    if (!node || !isScalar(node) || !node.range) return undefined;
    const [start, end] = node.range;
    if (contents.slice(start, end).includes("\n")) return undefined;
    return { present: true as const, start, end };
  };
  for (const [key, value] of edits) {
    if (value === null) return undefined;
    const at = oneLine(key);
    if (!at) return undefined;
    if (at.present) {
      ranges.push({ start: at.start, end: at.end, text: render(value) });
      continue;
    }
    // A missing key goes on its own line after the key it follows in the documented order.
    const anchor = (FOLLOWS[key] ?? []).map(oneLine).find((a) => a?.present);
    if (!anchor?.present) return undefined;
    const eol = contents.indexOf("\n", anchor.end);
    if (eol < 0) return undefined;
    ranges.push({ start: eol + 1, end: eol + 1, text: `${key}: ${render(value)}\n` });
  }
  let out = contents;
  for (const r of ranges.sort((a, b) => b.start - a.start))
    out = `${out.slice(0, r.start)}${r.text}${out.slice(r.end)}`;
  return out;
};
