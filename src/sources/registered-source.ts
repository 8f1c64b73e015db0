import { CovenantError } from "../core/errors.ts";
import { openSource } from "./open-source.ts";
import { type ResolvedSource, scrubSourceMessage } from "./source-location.ts";
import type { DataSource } from "./types.ts";

/**
 * Opens a resolved source for the length of `run`, then closes it. Any error leaves as a
 * CovenantError whose message names the source by its label, never by its secret location:
 * driver errors become `source_unavailable` (502).
 */
export const withRegisteredSource = async <T>(
  resolved: ResolvedSource,
  run: (source: DataSource) => Promise<T>,
): Promise<T> => {
  const scrub = (error: unknown): CovenantError => {
    if (error instanceof CovenantError) {
      const scrubbed = scrubSourceMessage(error.message, resolved);
      // Name the source as it was registered (e.g. the environment variable) when the message does not.
      const message = scrubbed.includes(resolved.label)
        ? scrubbed
        : `${scrubbed} (data source ${resolved.label})`;
      if (message === error.message) return error;
      return new CovenantError(
        error.code,
        message,
        error.details.map((d) => ({ ...d, message: scrubSourceMessage(d.message, resolved) })),
      );
    }
    const text = error instanceof Error ? error.message : String(error);
    return new CovenantError(
      "source_unavailable",
      `Data source ${resolved.label} (${resolved.kind}) failed: ${scrubSourceMessage(text, resolved)}`,
    );
  };
  let source: DataSource;
  try {
    source = await openSource(resolved.spec);
  } catch (error) {
    throw scrub(error);
  }
  try {
    return await run(source);
  } catch (error) {
    throw scrub(error);
  } finally {
    await source.close().catch(() => {});
  }
};
