import type { MigrationTool } from "../config/repo-config.ts";

const DBMATE_MARKER = /^\s*--\s*migrate:(up|down)\b/;

/**
 * The SQL of a migration file that runs when migrating forward, with every line at its original
 * line number, so findings point at the right line.
 *
 * dbmate files hold `-- migrate:up` and `-- migrate:down` sections in one file: the down part
 * (and anything before the first marker) is blanked, not cut. The markers are unambiguous, so
 * they are honoured whatever the detected tool (a dbmate directory not named `db/migrations` is
 * detected as plain numbered). Other tools keep their down scripts in separate files that
 * discovery never returns, so their content is returned as it is.
 */
export const extractMigrationUp = (content: string, tool?: MigrationTool): string => {
  const lines = content.split("\n");
  const hasMarkers = lines.some((line) => DBMATE_MARKER.test(line));
  if (!hasMarkers || tool === "prisma" || tool === "flyway") return content;
  let section: "before" | "up" | "down" = "before";
  return lines
    .map((line) => {
      const marker = DBMATE_MARKER.exec(line);
      if (marker) {
        section = marker[1] === "up" ? "up" : "down";
        return line.endsWith("\r") ? "\r" : "";
      }
      if (section === "up") return line;
      return line.endsWith("\r") ? "\r" : "";
    })
    .join("\n");
};
