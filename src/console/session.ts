import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Console sessions are signed cookies (HMAC-SHA256): no session table, any instance sharing
 * SESSION_SECRET reads them. A key session names the key's id, never the key, and is checked
 * against the database on every request, so revoking the key ends it.
 */
export type GitHubInstallationAccess = { id: string; login: string; role: "admin" | "read" };

export type Session =
  | { sid: string; exp: number; via: "key"; keyId: string }
  | {
      sid: string;
      exp: number;
      via: "github";
      login: string;
      installations: GitHubInstallationAccess[];
      current: string;
    };

export const SESSION_COOKIE = "covenant_session";
export const OAUTH_COOKIE = "covenant_oauth";
export const SESSION_HOURS = 12;

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64url");

export const createSigner = (secret: string) => {
  const mac = (text: string) => createHmac("sha256", secret).update(text).digest("base64url");
  const sign = (value: unknown): string => {
    const body = b64(JSON.stringify(value));
    return `${body}.${mac(body)}`;
  };
  const verify = <T>(token: string | undefined): T | null => {
    if (!token || token.length > 8192) return null;
    const dot = token.lastIndexOf(".");
    if (dot <= 0) return null;
    const body = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1));
    const expected = Buffer.from(mac(body));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    try {
      const value = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as { exp?: number };
      if (typeof value.exp !== "number" || value.exp < Date.now()) return null;
      return value as T;
    } catch {
      return null;
    }
  };
  /** The CSRF token of a session: derived from its id, so it needs no storage and dies with it. */
  const csrfToken = (sid: string) => mac(`csrf:${sid}`);
  const checkCsrf = (sid: string, token: unknown): boolean => {
    if (typeof token !== "string") return false;
    const a = Buffer.from(token);
    const b = Buffer.from(csrfToken(sid));
    return a.length === b.length && timingSafeEqual(a, b);
  };
  return { sign, verify, csrfToken, checkCsrf };
};

export type Signer = ReturnType<typeof createSigner>;

export const newSessionId = () => randomBytes(18).toString("base64url");
export const randomSecret = () => randomBytes(32).toString("hex");
