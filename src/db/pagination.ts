import { CovenantError } from "../core/errors.ts";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/**
 * `page` is 0-based (Soda Cloud / Spring style). `cursor` — the opaque value returned with the
 * previous page — wins over `page`: the listing continues right after the item it names, which
 * stays correct while rows are being inserted.
 */
export type PageRequest = { page?: number; size?: number; cursor?: string };

export type Page<T> = {
  content: T[];
  /** The 0-based page number; null when the page was reached through a cursor. */
  page: number | null;
  size: number;
  totalElements: number;
  totalPages: number;
  /** Pass back as `cursor` to get the next items; null when this was the last page. */
  cursor: string | null;
};

export type CursorPosition = { at: Date; id: string };

export const encodeCursor = (at: Date, id: string): string =>
  Buffer.from(`${at.toISOString()}|${id}`, "utf8").toString("base64url");

/** `field` is the query parameter that carried it (the scan log reads its cursor from `after`). */
export const decodeCursor = (cursor: string, field = "cursor"): CursorPosition => {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const bar = text.indexOf("|");
  const at = new Date(bar > 0 ? text.slice(0, bar) : "");
  const id = text.slice(bar + 1);
  if (bar <= 0 || Number.isNaN(at.getTime()) || id.length === 0) {
    throw new CovenantError(
      "invalid_input",
      `Invalid \`${field}\`: pass back the \`cursor\` value of a previous answer.`,
      [{ path: field, message: "not a cursor returned by this API" }],
    );
  }
  return { at, id };
};

export const normalizePage = (request: PageRequest): { page: number; size: number } => {
  const size = Math.min(Math.max(Math.trunc(request.size ?? DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE);
  const page = Math.max(Math.trunc(request.page ?? 0), 0);
  return { page, size };
};

/** Prisma `where` fragment selecting rows strictly after the cursor in (field, id) order. */
export const afterCursor = (field: string, direction: "asc" | "desc", cursor: CursorPosition) => {
  const op = direction === "asc" ? "gt" : "lt";
  return {
    OR: [{ [field]: { [op]: cursor.at } }, { [field]: cursor.at, id: { [op]: cursor.id } }],
  };
};

type Delegate<Row> = {
  count: (args: { where: object }) => Promise<number>;
  findMany: (args: {
    where: object;
    orderBy: object[];
    skip: number;
    take: number;
    omit?: object;
  }) => Promise<Row[]>;
};

/**
 * One paginated listing: the filtered count plus one page ordered by (field, id), fetched
 * together. `size + 1` rows are read to know whether a next page exists without a second count.
 */
export const paginate = async <Row extends { id: string }>(
  delegate: Delegate<Row>,
  options: {
    where: object;
    field: keyof Row & string;
    direction: "asc" | "desc";
    request: PageRequest;
    /** Columns a listing does not need (large text). */
    omit?: object;
  },
): Promise<Page<Row>> => {
  const { page, size } = normalizePage(options.request);
  const cursor = options.request.cursor ? decodeCursor(options.request.cursor) : undefined;
  const pageWhere = cursor
    ? { AND: [options.where, afterCursor(options.field, options.direction, cursor)] }
    : options.where;
  const [totalElements, rows] = await Promise.all([
    delegate.count({ where: options.where }),
    delegate.findMany({
      where: pageWhere,
      orderBy: [{ [options.field]: options.direction }, { id: options.direction }],
      skip: cursor ? 0 : page * size,
      take: size + 1,
      ...(options.omit ? { omit: options.omit } : {}),
    }),
  ]);
  const hasMore = rows.length > size;
  const content = hasMore ? rows.slice(0, size) : rows;
  const last = content.at(-1);
  const lastAt = last ? (last[options.field] as unknown) : undefined;
  return {
    content,
    page: cursor ? null : page,
    size,
    totalElements,
    totalPages: Math.ceil(totalElements / size),
    cursor: hasMore && last && lastAt instanceof Date ? encodeCursor(lastAt, last.id) : null,
  };
};
