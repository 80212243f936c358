/**
 * A server-sent events parser for streams read with `fetch()`: the console
 * cannot use `EventSource`, which sends no `Authorization` header, and
 * credentials never go in URLs. The parser is the client's (one
 * implementation for both).
 *
 * @module
 */

export { createSseParser, type ServerSentEvent } from "../../client/sse_parser.ts";
