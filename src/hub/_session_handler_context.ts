/**
 * What a session hands the application's handlers: the connection as they
 * see it and the context of one call. Plain functions of the session's
 * fields, so a session holds nothing for them between calls.
 *
 * @module
 */

import type { Principal } from "../auth/principal.ts";
import type { HandlerConnection, HandlerContext } from "./handlers.ts";
import type { HandlerCall } from "./_handler_calls.ts";

/** The connection as a handler sees it: its address and transport only when known. */
export function handlerConnection(
  id: string,
  remoteAddr: string | undefined,
  transport: string | undefined,
): HandlerConnection {
  const connection: HandlerConnection = { id };
  return remoteAddr === undefined && transport === undefined ? connection : {
    id,
    remoteAddr,
    transport,
  };
}

/**
 * A handler's context, with the request's own fields; its signal is made
 * only if the handler reads it (so `extra` is added, never spread into it).
 */
export function handlerContext<E extends object = Record<never, never>>(
  principal: Principal,
  connection: HandlerConnection,
  call: HandlerCall,
  extra?: E,
): HandlerContext & E {
  const context: HandlerContext = {
    principal,
    connection,
    get signal() {
      return call.signal;
    },
  };
  return (extra === undefined ? context : Object.assign(context, extra)) as HandlerContext & E;
}
