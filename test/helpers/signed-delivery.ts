import { createHmac, randomUUID } from "node:crypto";
import { request } from "node:http";

export type PreparedDelivery = { id: string; body: string; headers: Record<string, string> };

/** A webhook delivery as GitHub builds it: JSON body, event and delivery headers, HMAC SHA-256 signature. */
export const prepareDelivery = ({
  secret,
  event,
  payload,
  id = randomUUID(),
  signatureSecret = secret,
}: {
  secret: string;
  event: string;
  payload: unknown;
  id?: string;
  /** A different secret gives a wrong signature. */
  signatureSecret?: string;
}): PreparedDelivery => {
  const body = JSON.stringify(payload);
  const signature = `sha256=${createHmac("sha256", signatureSecret).update(body).digest("hex")}`;
  return {
    id,
    body,
    headers: {
      "content-type": "application/json",
      "x-github-event": event,
      "x-github-delivery": id,
      "x-hub-signature-256": signature,
      "user-agent": "GitHub-Hookshot/test",
    },
  };
};

/**
 * Posts a prepared delivery on a connection of its own, as GitHub's senders do; `ms` runs from the
 * request's start to the whole answer. node:http rather than fetch: a burst of fetches spends most
 * of its time in the sender's own stream machinery, which the server's answer time would include.
 */
export const postDelivery = (
  url: string,
  { id, body, headers }: PreparedDelivery,
): Promise<{ status: number; id: string; ms: number }> =>
  new Promise((resolve, reject) => {
    const start = performance.now();
    const req = request(`${url}/api/github/webhooks`, {
      method: "POST",
      headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
      agent: false,
    });
    req.on("error", reject);
    req.on("response", (res) => {
      res.on("error", reject);
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, id, ms: performance.now() - start }));
    });
    req.end(body);
  });

/** Sends a webhook delivery the way GitHub does. */
export const sendDelivery = ({
  url,
  ...delivery
}: Parameters<typeof prepareDelivery>[0] & { url: string }): Promise<{
  status: number;
  id: string;
  ms: number;
}> => postDelivery(url, prepareDelivery(delivery));
