import { type Document, isMap, isScalar, isSeq, type Node, parseDocument, visit } from "yaml";

// The `yaml` library stalls or dies on hostile documents well inside any body limit: 10,000
// nested `[` aborted the whole process (out of memory), 40,000 keys in one mapping took 100 s
// (its duplicate-key check is quadratic), each node costs tens of microseconds, and aliases can
// expand exponentially. Documents are therefore measured by a linear scan before parsing, keys
// are checked for duplicates here in linear time, and alias expansion is bounded.

export const YAML_LIMITS = {
  /** Nesting of flow collections (`[`, `{`) and of the parsed document. */
  maxDepth: 64,
  /** Lines, flow items and sequence entries: about one node each. */
  maxNodes: 10_000,
  /** Alias expansions (the library's own guard against alias bombs). */
  maxAliasCount: 100,
} as const;

export type YamlProblem = { offset: number; message: string };

const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13;
/** Where a quoted scalar may start: a line start, after blanks or a flow/mapping indicator. */
const startsScalar = (c: number | undefined): boolean =>
  c === undefined || isSpace(c) || c === 91 || c === 123 || c === 44 || c === 58 || c === 45;

/**
 * Refuses, before parsing, a document too deeply nested or with too many nodes to parse cheaply.
 * Files read from repositories (dbt's YAML can be large) pass `maxNodes: Infinity`: nesting alone
 * takes the parser down.
 */
export const scanYaml = (
  text: string,
  limits: { maxDepth: number; maxNodes: number } = YAML_LIMITS,
): YamlProblem | undefined => {
  let depth = 0;
  let nodes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c === 39 || c === 34) && startsScalar(i === 0 ? undefined : text.charCodeAt(i - 1))) {
      // Skip the quoted scalar: its brackets and commas are text.
      let j = i + 1;
      for (; j < text.length; j++) {
        const d = text.charCodeAt(j);
        if (c === 34 && d === 92) j++;
        else if (d === c) {
          if (c === 39 && text.charCodeAt(j + 1) === 39) j++;
          else break;
        }
      }
      i = j;
    } else if (c === 35 && (i === 0 || isSpace(text.charCodeAt(i - 1)))) {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end - 1;
    } else if (c === 91 || c === 123) {
      nodes++;
      if (++depth > limits.maxDepth) {
        return {
          offset: i,
          message: `invalid YAML: nested more than ${limits.maxDepth} levels deep: flatten it`,
        };
      }
    } else if (c === 93 || c === 125) depth = Math.max(0, depth - 1);
    else if (c === 10 || c === 44 || (c === 45 && isSpace(text.charCodeAt(i + 1)))) nodes++;
    if (nodes > limits.maxNodes) {
      return {
        offset: i,
        message: `invalid YAML: more than ${limits.maxNodes} lines and items, more than a contract needs: split or shorten it`,
      };
    }
  }
  return undefined;
};

/** Duplicate keys of every mapping (the library's own check is quadratic in the keys). */
export const duplicateKeys = (doc: Document): YamlProblem[] => {
  const problems: YamlProblem[] = [];
  visit(doc, {
    Map: (_, map) => {
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        if (seen.has(key))
          problems.push({
            offset: pair.key.range?.[0] ?? 0,
            message: "invalid YAML: Map keys must be unique",
          });
        seen.add(key);
      }
    },
  });
  return problems;
};

/** The deepest nesting of the parsed document, without recursion (aliases are not followed). */
export const nestingExceeds = (doc: Document): YamlProblem | undefined => {
  const stack: Array<{ node: unknown; depth: number }> = [{ node: doc.contents, depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { node, depth } = item;
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth >= YAML_LIMITS.maxDepth) {
      return {
        offset: (node as Node).range?.[0] ?? 0,
        message: `invalid YAML: nested more than ${YAML_LIMITS.maxDepth} levels deep: flatten it`,
      };
    }
    for (const entry of node.items as unknown[]) {
      if (isMap(node)) {
        const pair = entry as { key: unknown; value: unknown };
        stack.push({ node: pair.key, depth: depth + 1 }, { node: pair.value, depth: depth + 1 });
      } else stack.push({ node: entry, depth: depth + 1 });
    }
  }
  return undefined;
};

/** The guard for YAML read from repositories: nesting only (a real schema.yml may be long). */
export const repositoryYamlProblem = (text: string): (YamlProblem & { line: number }) | undefined => {
  const problem = scanYaml(text, { maxDepth: YAML_LIMITS.maxDepth, maxNodes: Number.POSITIVE_INFINITY });
  return problem && { ...problem, line: text.slice(0, problem.offset).split("\n").length };
};

export type BoundedYaml =
  | { ok: true; doc: Document; data: unknown }
  | { ok: false; problems: YamlProblem[]; doc?: Document };

/** Parses YAML within YAML_LIMITS: the document (for positions) and its plain data, or the problems. */
export const parseBoundedYaml = (
  text: string,
  options: Parameters<typeof parseDocument>[1] = {},
): BoundedYaml => {
  const scanned = scanYaml(text);
  if (scanned) return { ok: false, problems: [scanned] };
  const doc = parseDocument(text, { prettyErrors: false, ...options, uniqueKeys: false });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      doc,
      problems: doc.errors.map((e) => ({
        offset: e.pos[0],
        message: `invalid YAML: ${e.message.split("\n")[0]}`,
      })),
    };
  }
  const problems = [...duplicateKeys(doc), ...[nestingExceeds(doc)].filter((p) => p !== undefined)];
  if (problems.length > 0) return { ok: false, doc, problems };
  try {
    return { ok: true, doc, data: doc.toJS({ maxAliasCount: YAML_LIMITS.maxAliasCount }) };
  } catch (error) {
    // The library throws a ReferenceError for an alias bomb (and for an alias to nothing).
    const reason = (error as Error).message;
    return {
      ok: false,
      doc,
      problems: [
        {
          offset: 0,
          message: /alias count/i.test(reason)
            ? `invalid YAML: its aliases expand to more than the ${YAML_LIMITS.maxAliasCount} nodes allowed (an alias bomb?): write the values out`
            : `invalid YAML: ${reason}`,
        },
      ],
    };
  }
};
