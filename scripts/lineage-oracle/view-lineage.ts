// The lineage of a PostgreSQL view read from the query tree PostgreSQL itself analysed and stored
// (pg_rewrite.ev_action, nodeToString text): every name is already resolved by the engine, so
// nothing here guesses what a column refers to. Written apart from src/core/lineage, as the oracle
// of measure-lineage.

/** A parsed node of nodeToString output: `{TAG :field value …}`. */
export type PgNode = { tag: string; [field: string]: unknown };

const tokenize = (text: string): string[] => {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === " " || ch === "\n" || ch === "\t") {
      i++;
      continue;
    }
    if ("(){}".includes(ch)) {
      tokens.push(ch);
      i++;
      continue;
    }
    let token = "";
    while (i < text.length && !" \n\t(){}".includes(text[i]!)) {
      if (text[i] === "\\" && i + 1 < text.length) {
        token += text[i + 1];
        i += 2;
      } else token += text[i++];
    }
    tokens.push(token);
  }
  return tokens;
};

/** Parses nodeToString text (PostgreSQL 15) into plain objects; lists become arrays. */
export const parseNodeTree = (text: string): unknown => {
  const tokens = tokenize(text);
  let at = 0;
  const value = (): unknown => {
    const token = tokens[at++];
    if (token === "{") {
      const node: PgNode = { tag: tokens[at++]! };
      while (tokens[at] !== "}") {
        const field = tokens[at++]!;
        if (!field.startsWith(":")) continue; // datum bytes `[ 1 0 … ]` and the like
        if (tokens[at] === "}" || tokens[at]?.startsWith(":")) {
          node[field.slice(1)] = undefined;
          continue;
        }
        node[field.slice(1)] = value();
      }
      at++;
      return node;
    }
    if (token === "(") {
      const list: unknown[] = [];
      if (["i", "o", "b", "x"].includes(tokens[at]!)) at++;
      while (tokens[at] !== ")") list.push(value());
      at++;
      return list;
    }
    if (token === "<>") return null;
    if (token !== undefined && token.length >= 2 && token.startsWith('"') && token.endsWith('"'))
      return token.slice(1, -1);
    return token;
  };
  const out: unknown[] = [];
  while (at < tokens.length) out.push(value());
  return out.length === 1 ? out[0] : out;
};

const isNode = (v: unknown, tag?: string): v is PgNode =>
  typeof v === "object" &&
  v !== null &&
  !Array.isArray(v) &&
  (tag === undefined || (v as PgNode).tag === tag);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const num = (v: unknown): number => Number(v);

/** A column of a relation the view reads directly (a table or another view), by oid and attnum. */
export type BaseColumn = { relid: number; attnum: number };
export type ViewLineage = {
  /** Output column (1-based resno) -> the base columns its value is computed from. */
  projection: Map<number, BaseColumn[]>;
  /** Base columns that decide which rows there are (WHERE, JOIN … ON, GROUP BY, …). */
  dependencies: BaseColumn[];
  /** Every relation the view reads at all (a dropped one breaks it). */
  relations: Set<number>;
};

type Frame = { query: PgNode; outer: Frame | undefined };

const sortGroupExprs = (query: PgNode, clauses: unknown): PgNode[] => {
  const refs = new Set(list(clauses).map((c) => num((c as PgNode).tleSortGroupRef)));
  return list(query.targetList).filter((t): t is PgNode => isNode(t) && refs.has(num(t.ressortgroupref)));
};

/**
 * Resolves a view's query tree to the base columns each output is computed from and the base
 * columns its rows depend on. `attnumsOf(relid)` lists a relation's columns (for whole-row
 * references).
 */
export const viewLineage = (query: PgNode, attnumsOf: (relid: number) => number[]): ViewLineage => {
  const relations = new Set<number>();
  const keyOf = (c: BaseColumn) => `${c.relid}:${c.attnum}`;
  const dedupe = (cols: BaseColumn[]) => [...new Map(cols.map((c) => [keyOf(c), c])).values()];

  const frameAt = (frame: Frame, levels: number): Frame => {
    let f = frame;
    for (let i = 0; i < levels; i++) f = f.outer!;
    return f;
  };

  /** Vars of an expression: projection (the value) and deps (sublinks' rows, conditions). */
  const walkExpr = (expr: unknown, frame: Frame, proj: BaseColumn[], deps: BaseColumn[]): void => {
    if (Array.isArray(expr)) {
      for (const e of expr) walkExpr(e, frame, proj, deps);
      return;
    }
    if (!isNode(expr)) return;
    if (expr.tag === "VAR") {
      const target = frameAt(frame, num(expr.varlevelsup));
      const r = resolveVar(target, num(expr.varno), num(expr.varattno));
      proj.push(...r.proj);
      deps.push(...r.deps);
      return;
    }
    if (expr.tag === "SUBLINK") {
      const sub = expr.subselect as PgNode;
      const inner: Frame = { query: sub, outer: frame };
      const out = outputOf(inner, 1);
      // A scalar or array subquery's value is its first column; EXISTS/IN only filter.
      const kind = num(expr.subLinkType);
      if (kind === 4 || kind === 6) proj.push(...out.proj);
      else deps.push(...out.proj);
      deps.push(...out.deps, ...rowDepsOf(inner));
      walkExpr(expr.testexpr, frame, deps, deps);
      return;
    }
    if (expr.tag === "QUERY") return; // handled through SUBLINK / RTEs
    for (const [field, value] of Object.entries(expr)) {
      if (field === "tag") continue;
      walkExpr(value, frame, proj, deps);
    }
  };

  const memo = new Map<PgNode, Map<number, { proj: BaseColumn[]; deps: BaseColumn[] }>>();

  /** The columns output `resno` of a query is computed from (and the deps met on the way). */
  const outputOf = (frame: Frame, resno: number): { proj: BaseColumn[]; deps: BaseColumn[] } => {
    const query = frame.query;
    const cache = memo.get(query) ?? new Map<number, { proj: BaseColumn[]; deps: BaseColumn[] }>();
    memo.set(query, cache);
    const hit = cache.get(resno);
    if (hit) return hit;
    const result = { proj: [] as BaseColumn[], deps: [] as BaseColumn[] };
    cache.set(resno, result); // recursive CTEs: a cycle adds nothing new
    if (isNode(query.setOperations)) {
      const leaves: number[] = [];
      const walk = (op: unknown) => {
        if (isNode(op, "RANGETBLREF")) leaves.push(num(op.rtindex));
        else if (isNode(op, "SETOPERATIONSTMT")) {
          walk(op.larg);
          walk(op.rarg);
        }
      };
      walk(query.setOperations);
      for (const leaf of leaves) {
        const r = resolveVar(frame, leaf, resno);
        result.proj.push(...r.proj);
        result.deps.push(...r.deps);
      }
    } else {
      const tle = list(query.targetList).find((t) => isNode(t) && num(t.resno) === resno) as
        | PgNode
        | undefined;
      if (tle) walkExpr(tle.expr, frame, result.proj, result.deps);
    }
    result.proj = dedupe(result.proj);
    result.deps = dedupe(result.deps);
    return result;
  };

  const resolveVar = (
    frame: Frame,
    varno: number,
    attno: number,
  ): { proj: BaseColumn[]; deps: BaseColumn[] } => {
    const rte = list(frame.query.rtable)[varno - 1] as PgNode | undefined;
    if (!rte) return { proj: [], deps: [] };
    const kind = num(rte.rtekind);
    if (kind === 0) {
      const relid = num(rte.relid);
      relations.add(relid);
      const cols =
        attno === 0 ? attnumsOf(relid).map((a) => ({ relid, attnum: a })) : [{ relid, attnum: attno }];
      return { proj: cols.filter((c) => c.attnum > 0), deps: [] };
    }
    if (kind === 1 || kind === 6) {
      let sub: Frame;
      if (kind === 1) sub = { query: rte.subquery as PgNode, outer: frame };
      else {
        const owner = frameAt(frame, num(rte.ctelevelsup));
        const cte = list(owner.query.cteList).find((c) => isNode(c) && c.ctename === rte.ctename) as PgNode;
        sub = { query: cte.ctequery as PgNode, outer: owner };
      }
      if (attno === 0) {
        const all = { proj: [] as BaseColumn[], deps: [] as BaseColumn[] };
        for (const t of list(sub.query.targetList))
          if (isNode(t) && t.resjunk !== "true") {
            const r = outputOf(sub, num(t.resno));
            all.proj.push(...r.proj);
            all.deps.push(...r.deps);
          }
        return all;
      }
      return outputOf(sub, attno);
    }
    if (kind === 2) {
      const aliasVars = list(rte.joinaliasvars);
      const proj: BaseColumn[] = [];
      const deps: BaseColumn[] = [];
      if (attno === 0) walkExpr(aliasVars, frame, proj, deps);
      else walkExpr(aliasVars[attno - 1], frame, proj, deps);
      return { proj, deps };
    }
    if (kind === 3) {
      // A function in FROM (unnest(x), generate_series(…)): computed from its arguments.
      const proj: BaseColumn[] = [];
      const deps: BaseColumn[] = [];
      for (const f of list(rte.functions)) if (isNode(f)) walkExpr(f.funcexpr, frame, proj, deps);
      return { proj, deps };
    }
    if (kind === 5) {
      const proj: BaseColumn[] = [];
      const deps: BaseColumn[] = [];
      for (const row of list(rte.values_lists)) walkExpr(list(row)[attno - 1], frame, proj, deps);
      return { proj, deps };
    }
    return { proj: [], deps: [] };
  };

  const rowMemo = new Map<PgNode, BaseColumn[]>();
  /** Base columns deciding a query's rows: its conditions, groupings, and its inputs' own. */
  const rowDepsOf = (frame: Frame): BaseColumn[] => {
    const query = frame.query;
    const hit = rowMemo.get(query);
    if (hit) return hit;
    const deps: BaseColumn[] = [];
    rowMemo.set(query, deps);
    const cond = (expr: unknown) => walkExpr(expr, frame, deps, deps);
    const jointree = (item: unknown): void => {
      if (Array.isArray(item)) {
        for (const i of item) jointree(i);
        return;
      }
      if (isNode(item, "FROMEXPR")) {
        jointree(item.fromlist);
        cond(item.quals);
      } else if (isNode(item, "JOINEXPR")) {
        jointree(item.larg);
        jointree(item.rarg);
        cond(item.quals);
      } else if (isNode(item, "RANGETBLREF")) {
        const rte = list(query.rtable)[num(item.rtindex) - 1] as PgNode;
        const kind = num(rte.rtekind);
        if (kind === 0) relations.add(num(rte.relid));
        if (kind === 1) deps.push(...rowDepsOf({ query: rte.subquery as PgNode, outer: frame }));
        if (kind === 6) {
          const owner = frameAt(frame, num(rte.ctelevelsup));
          const cte = list(owner.query.cteList).find((c) => isNode(c) && c.ctename === rte.ctename) as PgNode;
          deps.push(...rowDepsOf({ query: cte.ctequery as PgNode, outer: owner }));
        }
        if (kind === 3) for (const f of list(rte.functions)) if (isNode(f)) cond(f.funcexpr);
      }
    };
    if (isNode(query.setOperations)) {
      const walk = (op: unknown) => {
        if (isNode(op, "RANGETBLREF")) jointree(op);
        else if (isNode(op, "SETOPERATIONSTMT")) {
          walk(op.larg);
          walk(op.rarg);
          // UNION / INTERSECT / EXCEPT without ALL compare whole rows.
          if (op.all !== "true")
            for (const t of list(query.targetList))
              if (isNode(t)) {
                const r = outputOf(frame, num(t.resno));
                deps.push(...r.proj);
              }
        }
      };
      walk(query.setOperations);
    } else {
      jointree(query.jointree);
      cond(query.havingQual);
      const keyExprs = [
        ...sortGroupExprs(query, query.groupClause),
        ...sortGroupExprs(query, query.distinctClause),
        // ORDER BY decides rows only under LIMIT/OFFSET.
        ...(query.limitCount || query.limitOffset ? sortGroupExprs(query, query.sortClause) : []),
      ];
      for (const w of list(query.windowClause))
        if (isNode(w))
          keyExprs.push(...sortGroupExprs(query, w.partitionClause), ...sortGroupExprs(query, w.orderClause));
      for (const t of keyExprs) cond(t.expr);
      // Set-returning functions in the select list (unnest) multiply rows.
      for (const t of list(query.targetList))
        if (isNode(t) && JSON.stringify(t.expr).includes(`"funcretset":"true"`)) cond(t.expr);
      cond(query.limitCount);
      cond(query.limitOffset);
    }
    // Relations read anywhere (unused CTEs included) break the view when dropped.
    const anyRelation = (v: unknown) => {
      if (Array.isArray(v)) {
        for (const x of v) anyRelation(x);
        return;
      }
      if (!isNode(v)) return;
      if (v.tag === "RANGETBLENTRY" && num(v.rtekind) === 0) relations.add(num(v.relid));
      for (const [f, x] of Object.entries(v)) if (f !== "tag") anyRelation(x);
    };
    anyRelation(query);
    rowMemo.set(query, dedupe(deps));
    return rowMemo.get(query)!;
  };

  const top: Frame = { query, outer: undefined };
  const projection = new Map<number, BaseColumn[]>();
  const extraDeps: BaseColumn[] = [];
  for (const t of list(query.targetList))
    if (isNode(t) && t.resjunk !== "true") {
      const r = outputOf(top, num(t.resno));
      projection.set(num(t.resno), r.proj);
      extraDeps.push(...r.deps);
    }
  const dependencies = dedupe([...rowDepsOf(top), ...extraDeps]);
  return { projection, dependencies, relations };
};
