// What both adapters check of an upgrade request before the hub sees it, and
// the 400 they answer when it cannot be read. Internal.

/**
 * The answer to an upgrade request that cannot be read: 400, and the
 * connection is not kept alive.
 *
 * @param message What was wrong, without echoing the request.
 * @returns The response.
 */
export function badRequest(message: string): Response {
  return Response.json({ code: "BAD_REQUEST", message }, {
    status: 400,
    headers: { connection: "close" },
  });
}

/** A `Sec-WebSocket-Key`: base64 of 16 bytes (RFC 6455 §4.1). */
const KEY = /^[A-Za-z0-9+/]{21}[AQgw]==$/;

/**
 * What is wrong with the handshake headers of a WebSocket upgrade, if
 * anything. Both adapters apply it so they refuse the same requests.
 *
 * @param method The request method.
 * @param upgrade The `Upgrade` header.
 * @param key The `Sec-WebSocket-Key` header.
 * @param version The `Sec-WebSocket-Version` header.
 * @returns The problem, or `undefined` for a well-formed upgrade or a request that is no upgrade (admission answers that 426).
 */
export function handshakeProblem(
  method: string | undefined,
  upgrade: string | null | undefined,
  key: string | null | undefined,
  version: string | null | undefined,
): string | undefined {
  if ((upgrade ?? "").toLowerCase() !== "websocket") return undefined;
  if (method !== "GET") return `A WebSocket upgrade must be a GET request, got ${method}`;
  if (key == null || !KEY.test(key)) return "Malformed or missing Sec-WebSocket-Key";
  if (version !== "13") return "Unsupported Sec-WebSocket-Version: 13 is required";
  return undefined;
}
