import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type Logger, stdSerializers } from "pino";
import { webhookPayloadProblem } from "./webhook-payloads.ts";

/** GitHub caps webhook payloads at 25 MB; nothing larger is one of its deliveries. */
export const MAX_WEBHOOK_BYTES = 25 * 1024 * 1024;
/** How much of a refused body the log keeps: enough to recognise it, never the body. */
const EXCERPT_CHARS = 200;

export type WebhookEvent = { id: string; name: string; payload: unknown };

const reply = (res: ServerResponse, status: number, code: string, message: string) => {
  const body = JSON.stringify({ code, message });
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
};

/**
 * Reads the body up to `maxBytes`; past that it stops reading (the client is cut off once the
 * answer is out) and returns null. Content-Length is believed only to refuse early: a chunked or
 * lying body is counted as it arrives.
 */
const readBody = (req: IncomingMessage, maxBytes: number): Promise<Buffer | null> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        stop();
        req.pause();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });

/** An error as pino logs it, minus the `event` (whole payload) that @octokit/webhooks attaches. */
export const withoutEvent = (error: unknown): unknown => {
  if (!(error instanceof Error)) return error;
  const serialized = stdSerializers.err(error) as unknown as Record<string, unknown>;
  const strip = (value: unknown) => {
    if (!value || typeof value !== "object") return;
    delete (value as Record<string, unknown>).event;
    for (const inner of (value as { aggregateErrors?: unknown[] }).aggregateErrors ?? []) strip(inner);
  };
  strip(serialized);
  return serialized;
};

const signatureMatches = (secret: string, body: Buffer, header: string): boolean => {
  const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(body).digest("hex")}`);
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
};

/**
 * Parses and checks the body, then hands it to the App. Not part of the route's async function:
 * the parsed payload is then held only by the handlers, for as long as they read it, and not by a
 * frame that waits for the delivery's write (which, under a burst, spans garbage collections that
 * would copy every waiting payload).
 */
const handOver = (
  receive: (event: WebhookEvent) => Promise<unknown>,
  { id, name }: { id: string; name: string },
  body: Buffer,
): { notJson: string } | { problem: string } | { received: Promise<unknown> } => {
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString("utf8"));
  } catch (error) {
    return { notJson: (error as Error).message };
  }
  const problem = webhookPayloadProblem(name, payload);
  if (problem) return { problem };
  try {
    return { received: receive({ id, name, payload }) };
  } catch (error) {
    return { received: Promise.reject(error) };
  }
};

/**
 * GitHub's webhook endpoint: size capped before reading, signature checked, JSON and the shape of
 * each event checked, then handed to the App. Every refusal is a 4xx `{code, message}`; the log
 * keeps the delivery's id, event, size and a short excerpt, never the whole body.
 */
export const createWebhookRoute =
  ({
    secret,
    receive,
    logger,
    maxBytes = MAX_WEBHOOK_BYTES,
  }: {
    secret: string;
    receive: (event: WebhookEvent) => Promise<unknown>;
    logger: Logger;
    maxBytes?: number;
  }) =>
  async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== "POST") {
      return reply(res, 405, "method_not_allowed", "GitHub webhooks are POSTed to this path.");
    }
    const event = req.headers["x-github-event"];
    const id = req.headers["x-github-delivery"];
    const signature = req.headers["x-hub-signature-256"];
    const where = { deliveryId: id, event };
    const declared = Number(req.headers["content-length"] ?? 0);
    const body = declared > maxBytes ? null : await readBody(req, maxBytes);
    if (body === null) {
      logger.warn(
        { ...where, contentLength: req.headers["content-length"] },
        "webhook body too large: refused",
      );
      // The rest of the body is never read: the connection is closed once the answer is sent.
      res.setHeader("connection", "close");
      res.on("finish", () => req.socket?.destroy());
      return reply(
        res,
        413,
        "payload_too_large",
        `Webhook bodies are limited to ${maxBytes} bytes (GitHub sends at most 25 MB).`,
      );
    }
    const excerpt = () => body.subarray(0, EXCERPT_CHARS).toString("utf8");
    if (typeof event !== "string" || typeof id !== "string" || typeof signature !== "string") {
      logger.warn({ ...where, bytes: body.length }, "webhook without its GitHub headers: refused");
      return reply(
        res,
        400,
        "invalid_webhook",
        "A GitHub webhook needs the X-GitHub-Event, X-GitHub-Delivery and X-Hub-Signature-256 headers.",
      );
    }
    if (!signatureMatches(secret, body, signature)) {
      logger.warn(
        { ...where, bytes: body.length, excerpt: excerpt() },
        "webhook signature does not match: refused",
      );
      return reply(
        res,
        401,
        "invalid_signature",
        "The X-Hub-Signature-256 signature does not match the body: check that the App's webhook secret equals WEBHOOK_SECRET.",
      );
    }
    const handed = handOver(receive, { id, name: event }, body);
    if ("notJson" in handed) {
      logger.warn({ ...where, bytes: body.length, excerpt: excerpt() }, "webhook body is not JSON: refused");
      return reply(res, 400, "invalid_webhook", `The body is not JSON: ${handed.notJson}`);
    }
    if ("problem" in handed) {
      logger.warn(
        { ...where, bytes: body.length, excerpt: excerpt(), problem: handed.problem },
        "webhook payload malformed: refused",
      );
      return reply(
        res,
        400,
        "invalid_webhook",
        `This is not a ${event} payload as GitHub sends it (${handed.problem}); the body must match its X-GitHub-Event header.`,
      );
    }
    try {
      await handed.received;
    } catch (error) {
      // The App's errors carry the whole event; the log keeps what failed, not the payload.
      logger.error({ ...where, err: withoutEvent(error) }, "webhook handler failed");
      return reply(res, 500, "internal", "The delivery could not be handled; GitHub may redeliver it.");
    }
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok\n");
  };
