import type { MiddlewareHandler } from "hono";
import { CovenantError } from "../core/errors.ts";
import { badText } from "../core/model/bad-text.ts";

// One place that refuses what no route can use, before any schema or database sees it: a NUL
// character (PostgreSQL text cannot hold one: error 22021 became a 500 on every route, even
// `GET /contracts?dataset=%00`), an unpaired UTF-16 surrogate (not Unicode: stored as U+FFFD, or
// refused, depending on the database), JSON nested deeper than any contract or sample value
// (5,000 levels overflowed the stack), and objects with more keys than a table has columns
// (validating 40,000 unknown keys took seconds to minutes).

/** Deeper JSON is refused before it is parsed; a contract body needs 6 levels, a JSON column value a few more. */
export const MAX_JSON_DEPTH = 64;
/** More keys than a PostgreSQL table can have columns (1,600), with room. */
export const MAX_OBJECT_KEYS = 2_000;

const refuse = (where: string, path: string, message: string): never => {
  const at = path === "" ? where : `${where} (${path})`;
  throw new CovenantError("invalid_input", `Invalid ${at}: ${message}`, [{ path, message }]);
};

/** The deepest nesting of arrays and objects in JSON text, by a scan that skips strings. */
const jsonDepthExceeds = (text: string, max: number): boolean => {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > max) return true;
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return false;
};

const segment = (path: string, key: string | number): string =>
  typeof key === "number" ? `${path}[${key}]` : path === "" ? key : `${path}.${key}`;

/** Walks parsed JSON without recursion: every key and string is text, every object bounded. */
const checkJson = (root: unknown): void => {
  const stack: Array<{ value: unknown; path: string }> = [{ value: root, path: "" }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, path } = item;
    if (typeof value === "string") {
      const bad = badText(value);
      if (bad) refuse("request body", path, `${path === "" ? "the body" : path} ${bad}`);
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => {
        stack.push({ value: v, path: segment(path, i) });
      });
    } else if (value !== null && typeof value === "object") {
      const keys = Object.keys(value);
      if (keys.length > MAX_OBJECT_KEYS) {
        refuse(
          "request body",
          path,
          `${path === "" ? "the body" : path} has ${keys.length} keys, more than the ${MAX_OBJECT_KEYS} an object may have: remove the keys the API does not know`,
        );
      }
      for (const key of keys) {
        const bad = badText(key);
        if (bad) refuse("request body", path, `a key of ${path === "" ? "the body" : path} ${bad}`);
        stack.push({ value: (value as Record<string, unknown>)[key], path: segment(path, key) });
      }
    }
  }
};

const decoded = (text: string, where: string): string => {
  try {
    return decodeURIComponent(text);
  } catch {
    return refuse(where, "", "it is not valid percent-encoded UTF-8");
  }
};

/** Refuses bad text in the path, the query and a JSON body before validation reads them. */
export const guardRequest = (): MiddlewareHandler => async (c, next) => {
  const url = new URL(c.req.url);
  const pathBad = badText(decoded(url.pathname, "path"));
  if (pathBad) refuse("path", "", `the path ${pathBad}`);
  for (const pair of url.search.slice(1).split("&")) {
    if (pair === "") continue;
    const [rawName = "", rawValue = ""] = pair.split("=", 2);
    const name = decoded(rawName.replaceAll("+", " "), "query");
    const bad = badText(name) ?? badText(decoded(rawValue.replaceAll("+", " "), "query"));
    if (bad) refuse("query", name, `${name} ${bad}`);
  }
  if (/json/i.test(c.req.header("content-type") ?? "")) {
    const text = await c.req.text();
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
      refuse(
        "request body",
        "",
        `it is nested more than ${MAX_JSON_DEPTH} levels deep: flatten deeply nested values`,
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      // Malformed JSON: the route's validation says so, in the words every route uses.
      return next();
    }
    checkJson(body);
  }
  await next();
};
