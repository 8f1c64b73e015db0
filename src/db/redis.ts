import { createHash } from "node:crypto";
import { connect as connectTcp, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";
import { CovenantError } from "../core/errors.ts";

/** A reply: a status or bulk string, an integer, nil, or an array of replies. */
export type RedisReply = string | number | null | RedisReply[];

/** An error reply from the server (`ERR …`, `NOSCRIPT …`, `WRONGPASS …`). */
export class RedisReplyError extends Error {}

const REDIS_URL_HELP = "use redis://[[user]:password@]host[:port][/db] (or rediss:// for TLS)";

/** Why `url` is not a Redis URL Covenant can use, or undefined. */
export const redisUrlProblem = (url: string): string | undefined => {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `is not a URL: ${REDIS_URL_HELP}`;
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:")
    return `has scheme ${parsed.protocol.replace(/:$/, "")}: ${REDIS_URL_HELP}`;
  if (!parsed.hostname) return `has no host: ${REDIS_URL_HELP}`;
  const db = parsed.pathname.replace(/^\//, "");
  if (db !== "" && !/^\d+$/.test(db))
    return `names database "${db}", which is not a number: ${REDIS_URL_HELP}`;
  return undefined;
};

/** `host:port`, for messages: never the password. */
export const redisLocation = (url: string): string => {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || 6379}`;
};

const encode = (args: readonly (string | number)[]): Buffer => {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const value = Buffer.from(String(arg));
    parts.push(Buffer.from(`$${value.length}\r\n`), value, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
};

/**
 * Reads one reply from `buffer` at `offset`: the reply and where the next one starts, or undefined
 * while the reply is still incomplete.
 */
const parseReply = (
  buffer: Buffer,
  offset: number,
): { reply: RedisReply | Error; next: number } | undefined => {
  const end = buffer.indexOf("\r\n", offset);
  if (end < 0) return undefined;
  const type = String.fromCharCode(buffer[offset]!);
  const line = buffer.toString("utf8", offset + 1, end);
  switch (type) {
    case "+":
      return { reply: line, next: end + 2 };
    case "-":
      return { reply: new RedisReplyError(line), next: end + 2 };
    case ":":
      return { reply: Number(line), next: end + 2 };
    case "$": {
      const length = Number(line);
      if (length < 0) return { reply: null, next: end + 2 };
      if (buffer.length < end + 2 + length + 2) return undefined;
      return { reply: buffer.toString("utf8", end + 2, end + 2 + length), next: end + 2 + length + 2 };
    }
    case "*": {
      const count = Number(line);
      if (count < 0) return { reply: null, next: end + 2 };
      const items: RedisReply[] = [];
      let next = end + 2;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buffer, next);
        if (!item) return undefined;
        // An error inside an array (a script's error table) fails the whole command.
        if (item.reply instanceof Error) return { reply: item.reply, next: item.next };
        items.push(item.reply);
        next = item.next;
      }
      return { reply: items, next };
    }
    default:
      throw new Error(`unexpected Redis reply type ${JSON.stringify(type)}`);
  }
};

export type RedisClient = {
  /** Sends one command; connects (again) first when needed. */
  command: (args: readonly (string | number)[]) => Promise<RedisReply>;
  /** Runs a Lua script by its SHA-1, loading it once when the server does not know it. */
  evalScript: (
    script: string,
    keys: readonly string[],
    args: readonly (string | number)[],
  ) => Promise<RedisReply>;
  close: () => Promise<void>;
};

/**
 * A small Redis client (RESP2): one connection, commands pipelined in order, opened on first use
 * and again after it breaks; a command that gets no answer within `timeoutMs` fails, and so does
 * every command sent on a connection that broke.
 */
export const createRedisClient = (
  url: string,
  { timeoutMs = 2_000 }: { timeoutMs?: number } = {},
): RedisClient => {
  const problem = redisUrlProblem(url);
  if (problem) throw new CovenantError("invalid_input", `REDIS_URL ${problem}`);
  const parsed = new URL(url);
  const where = redisLocation(url);
  const password = decodeURIComponent(parsed.password);
  const user = decodeURIComponent(parsed.username);
  const database = parsed.pathname.replace(/^\//, "");

  type Pending = { resolve: (reply: RedisReply) => void; reject: (error: Error) => void };
  let socket: Socket | undefined;
  let ready: Promise<Socket> | undefined;
  let pending: Pending[] = [];
  let buffer: Buffer = Buffer.alloc(0);
  let closed = false;

  const broken = (error: Error) => {
    const failed = pending;
    pending = [];
    buffer = Buffer.alloc(0);
    socket?.destroy();
    socket = undefined;
    ready = undefined;
    for (const p of failed) p.reject(error);
  };

  const onData = (chunk: Buffer) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    let offset = 0;
    for (;;) {
      let parsedReply: ReturnType<typeof parseReply>;
      try {
        parsedReply = parseReply(buffer, offset);
      } catch (error) {
        return broken(error as Error);
      }
      if (!parsedReply) break;
      offset = parsedReply.next;
      const waiting = pending.shift();
      if (!waiting) continue;
      if (parsedReply.reply instanceof Error) waiting.reject(parsedReply.reply);
      else waiting.resolve(parsedReply.reply);
    }
    buffer = buffer.subarray(offset);
  };

  const send = (target: Socket, args: readonly (string | number)[]) =>
    new Promise<RedisReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        broken(new Error(`Redis at ${where} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.push({
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      target.write(encode(args));
    });

  const open = () =>
    new Promise<Socket>((resolve, reject) => {
      const port = Number(parsed.port || 6379);
      const target =
        parsed.protocol === "rediss:"
          ? connectTls({ host: parsed.hostname, port, servername: parsed.hostname })
          : connectTcp({ host: parsed.hostname, port });
      target.setNoDelay(true);
      const timer = setTimeout(() => {
        target.destroy();
        reject(new Error(`could not connect to Redis at ${where} within ${timeoutMs} ms`));
      }, timeoutMs);
      target.once(parsed.protocol === "rediss:" ? "secureConnect" : "connect", () => {
        clearTimeout(timer);
        socket = target;
        target.on("data", onData);
        target.on("error", (error) => broken(new Error(`Redis at ${where}: ${error.message}`)));
        target.on("close", () => {
          if (socket === target) broken(new Error(`Redis at ${where} closed the connection`));
        });
        const setup: Promise<RedisReply>[] = [];
        if (password) setup.push(send(target, user ? ["AUTH", user, password] : ["AUTH", password]));
        if (database) setup.push(send(target, ["SELECT", database]));
        Promise.all(setup).then(
          () => resolve(target),
          (error: Error) => {
            broken(error);
            reject(new Error(`Redis at ${where} refused the connection setup: ${error.message}`));
          },
        );
      });
      target.once("error", (error) => {
        clearTimeout(timer);
        if (socket !== target) reject(new Error(`could not connect to Redis at ${where}: ${error.message}`));
      });
    });

  const command = async (args: readonly (string | number)[]) => {
    if (closed) throw new Error("the Redis client is closed");
    ready ??= open().catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return send(await ready, args);
  };

  const shas = new Map<string, string>();
  return {
    command,
    evalScript: async (script, keys, args) => {
      let sha = shas.get(script);
      if (!sha) {
        sha = createHash("sha1").update(script).digest("hex");
        shas.set(script, sha);
      }
      try {
        return await command(["EVALSHA", sha, keys.length, ...keys, ...args]);
      } catch (error) {
        if (!(error instanceof RedisReplyError && error.message.startsWith("NOSCRIPT"))) throw error;
        return command(["EVAL", script, keys.length, ...keys, ...args]);
      }
    },
    close: async () => {
      closed = true;
      const target = socket;
      broken(new Error("the Redis client is closed"));
      target?.end();
    },
  };
};
