// Every request the App sends in tests is checked against GitHub's own REST description
// (@octokit/openapi, api.github.com): the method and path must exist, query parameters must be
// declared, and the JSON body must validate against the operation's request schema ($refs resolved
// by ajv against the whole document). GraphQL requests are checked for shape only.
import { createRequire } from "node:module";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

type Operation = {
  parameters?: Array<{ $ref?: string; name?: string; in?: string }>;
  requestBody?: { $ref?: string; content?: Record<string, { schema?: unknown }> };
};
type Description = {
  paths: Record<string, Record<string, Operation>>;
  components: {
    parameters: Record<string, { name: string; in: string }>;
    requestBodies?: Record<string, Operation["requestBody"]>;
  };
};

const DOC_ID = "https://api.github.com/openapi.json";

let loaded: { doc: Description; ajv: Ajv; routes: Array<{ template: string; regex: RegExp }> } | undefined;

const load = () => {
  if (loaded) return loaded;
  const doc = createRequire(import.meta.url)("@octokit/openapi/generated/api.github.com.json") as Description;
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  (addFormatsModule as unknown as (ajv: Ajv) => void)(ajv);
  ajv.addSchema(doc as object, DOC_ID);
  const routes = Object.keys(doc.paths).map((template) => ({
    template,
    regex: new RegExp(
      `^${template
        .replace(/[.*+?^$()|[\]\\]/g, "\\$&")
        .replace(/\\?\{[^}]+\\?\}/g, "[^/]+")
        .replace(/\{[^}]+\}/g, "[^/]+")}$`,
    ),
  }));
  loaded = { doc, ajv, routes };
  return loaded;
};

const pointer = (...segments: string[]) =>
  segments.map((s) => s.replace(/~/g, "~0").replace(/\//g, "~1")).join("/");
const validators = new Map<string, ValidateFunction>();

export type SentRequest = { method: string; url: string; body?: unknown };

/** Problems with one request; empty when GitHub's description allows it. */
export const checkGitHubRequest = ({ method, url, body }: SentRequest): string[] => {
  const { doc, ajv, routes } = load();
  const parsed = new URL(url, "http://github.test");
  const path = parsed.pathname.replace(/^\/api\/v3(?=\/)/, "");
  const verb = method.toLowerCase();
  if (path === "/graphql" || path === "/api/graphql") {
    const b = body as { query?: unknown; variables?: unknown } | undefined;
    return verb === "post" && typeof b?.query === "string" ? [] : [`${method} ${path}: not a GraphQL query`];
  }
  // A literal segment beats a parameter: try the templates with the fewest parameters first.
  const matches = routes
    .filter((r) => r.regex.test(path))
    .sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0));
  const route = matches.find((r) => doc.paths[r.template]?.[verb]);
  if (!route) return [`${method} ${path}: no such operation in GitHub's REST API`];
  const operation = doc.paths[route.template]![verb]!;
  const problems: string[] = [];
  const declared = new Set(
    (operation.parameters ?? [])
      .map((p) => (p.$ref ? doc.components.parameters[p.$ref.split("/").pop()!] : p))
      .filter((p) => p?.in === "query")
      .map((p) => p!.name),
  );
  for (const name of parsed.searchParams.keys()) {
    if (!declared.has(name))
      problems.push(`${method} ${route.template}: undeclared query parameter "${name}"`);
  }
  if (body === undefined || body === null || body === "") return problems;
  let requestBody = operation.requestBody;
  let bodyPointer = pointer("paths", route.template, verb, "requestBody");
  if (requestBody?.$ref) {
    const name = requestBody.$ref.split("/").pop()!;
    requestBody = doc.components.requestBodies?.[name];
    bodyPointer = pointer("components", "requestBodies", name);
  }
  if (!requestBody?.content?.["application/json"]?.schema) {
    problems.push(`${method} ${route.template}: sends a body the operation does not take`);
    return problems;
  }
  const ref = `${DOC_ID}#/${bodyPointer}/content/${pointer("application/json")}/schema`;
  let validate = validators.get(ref);
  if (!validate) {
    validate = ajv.compile({ $ref: ref });
    validators.set(ref, validate);
  }
  if (!validate(body)) {
    for (const error of validate.errors ?? []) {
      problems.push(
        `${method} ${route.template}: body${error.instancePath} ${error.message} ${JSON.stringify(error.params)}`,
      );
    }
  }
  return problems;
};

/** Collects requests and their problems; tests assert `problems` is empty at the end. */
export const createConformanceLog = () => {
  const requests: SentRequest[] = [];
  const problems: string[] = [];
  return {
    requests,
    problems,
    record: (request: SentRequest) => {
      requests.push(request);
      problems.push(...checkGitHubRequest(request));
    },
  };
};
