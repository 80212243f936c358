/**
 * The example's token: the page's fragment (`#token=...`), which the browser
 * never sends to a server. A real application would get it from its backend.
 *
 * @module
 */

const { location } = globalThis as unknown as { location: { hash: string } };

/** The token the example connects with. */
export const authToken: string = new URLSearchParams(location.hash.slice(1)).get("token") ?? "";
