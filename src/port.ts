// Apart from config.ts (zod and every setting), so that declaring `serve --port` loads nothing heavy.

export const PORT_RULE = "must be a whole number from 0 to 65535 (0 picks a free port)";

/** A TCP port as written in PORT or --port; undefined when it is not one. */
export const parsePort = (text: string): number | undefined => {
  const port = /^\s*\d{1,5}\s*$/.test(text) ? Number(text) : Number.NaN;
  return port >= 0 && port <= 65535 ? port : undefined;
};
