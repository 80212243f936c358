/**
 * A session's authentication and token lifetime: the `auth` request (a
 * first sign-in or a refresh of the same subject's token), the welcome,
 * and the deadlines that follow the token (`token_expiring`, the
 * application's `refresh` handler, the close at expiry). Thin shells that
 * reach their session through an {@linkcode AuthPort}, one table per
 * session class, over the pure times of `_session_limits.ts`. None of this
 * is on the publish path.
 *
 * @module
 */

import { AuthError } from "../auth/errors.ts";
import type { Principal } from "../auth/principal.ts";
import { CloseCode, type ErrorCode } from "../protocol/codes.ts";
import type { HubError } from "../protocol/errors.ts";
import type { RequestId, ServerFrame } from "../protocol/frames.ts";
import type { Clock } from "./clock.ts";
import type { LogEntry } from "./log.ts";
import type { AppHandlers, HandlerConnection } from "./handlers.ts";
import type { HubEventSink } from "./hub_events.ts";
import type { HandlerCall } from "./_handler_calls.ts";
import { handlerContext } from "./_session_handler_context.ts";
import { expiringAt, refreshRetryAt, validRefresh } from "./_session_limits.ts";

/** Where a session is in its life. */
export type SessionState = "awaiting_auth" | "open" | "closed";

/** What the session's one deadline is for. */
export type DeadlineKind = "first_message" | "token_expiring" | "token_expired";

/** What authentication needs of the hub (a session's `HubContext`). */
export interface AuthHub<S> {
  /** The hub's clock. */
  readonly clock: Clock;
  /** How long before expiry `token_expiring` is sent. */
  readonly tokenExpiringLeadMs: number;
  /** The application's handlers, if any. */
  readonly handlers: AppHandlers | undefined;
  /** The observer of the hub's events, if any. */
  readonly events: HubEventSink | undefined;
  /** Verifies a token. */
  verify(token: string): Promise<Principal>;
  /** A close code and reason to refuse the connection, or `undefined` to accept it. */
  onAuthenticated(
    connection: S,
    principal: Principal,
  ): { code: number; reason: string } | undefined;
  /** Logs an operational line. */
  log(entry: LogEntry): void;
  /** Logs a security event. */
  audit(entry: LogEntry): void;
}

/** The session's own public members authentication uses. */
export interface AuthSession {
  /** Server-assigned id. */
  readonly id: string;
  /** Closes the connection. */
  close(code: number, reason: string): void;
  /** Re-checks every live subscription against the principal now in force. */
  recheck(): Promise<void>;
}

/** How authentication reaches a session of type `S`: functions of the session, made once per class. */
export interface AuthPort<S> {
  /** Its hub. */
  hub(session: S): AuthHub<S>;
  /** Where it is in its life. */
  state(session: S): SessionState;
  /** Its principal, once there is one. */
  principal(session: S): Principal | undefined;
  /** Puts `principal` in force; `welcome` also opens the session. */
  authenticate(session: S, principal: Principal, welcome: boolean): void;
  /** Replaces its deadline (`at` undefined: clears it). */
  at(session: S, at: number | undefined, kind?: DeadlineKind): void;
  /** Sends a reply or event. */
  reply(session: S, frame: ServerFrame): void;
  /** Sends an error reply. */
  error(session: S, code: ErrorCode, message: string, id?: RequestId): void;
  /** Calls an application handler in the session's slot. */
  call<T>(session: S, kind: string, fn: (call: HandlerCall) => T | Promise<T>): Promise<T>;
  /** The connection as the application's handlers see it. */
  connection(session: S): HandlerConnection;
  /** Its transport, when the adapter said. */
  transport(session: S): string | undefined;
  /** Subscribes it to a topic the connect handler gave. */
  serverSubscribe(session: S, topic: string): void;
}

/** `auth`: the first sign-in, or a refresh with a token of the same subject. */
export async function auth<S extends AuthSession>(
  port: AuthPort<S>,
  session: S,
  token: string,
  id: RequestId | undefined,
): Promise<void> {
  const hub = port.hub(session);
  if (port.principal(session)?.anonymous === true) {
    // Not a refresh (it has no token to refresh) and not a sign-in (it
    // would keep the anonymous connection's place outside the user index,
    // out of reach of revocation): a user connects afresh with a token.
    hub.audit({
      level: "warn",
      event: "auth.failed",
      reason: "anonymous_connection",
      connection: session.id,
    });
    port.error(
      session,
      "AUTH_FAILED",
      "Cannot authenticate an anonymous connection: reconnect with the token",
      id,
    );
    session.close(CloseCode.AuthFailed, "Anonymous connection cannot authenticate");
    return;
  }
  let principal: Principal;
  try {
    principal = await hub.verify(token);
  } catch (error) {
    const authError = error instanceof AuthError ? error : undefined;
    const code = authError?.code ?? "AUTH_FAILED";
    hub.audit({
      level: "info",
      event: "auth.failed",
      reason: authError?.reason ?? "invalid",
      source: "message",
      connection: session.id,
    });
    if (port.state(session) === "closed") return;
    port.error(session, code, authError?.message ?? "Token is invalid", id);
    // A failed first-message auth ends the connection; a failed refresh
    // leaves the old token in force until its own expiry.
    if (port.state(session) === "awaiting_auth") {
      session.close(CloseCode.AuthFailed, "Authentication failed");
    }
    return;
  }
  const state = port.state(session);
  if (state === "closed") return;
  if (state === "awaiting_auth") return authenticated(port, session, principal, id);
  if (principal.sub !== port.principal(session)?.sub) {
    hub.audit({
      level: "warn",
      event: "auth.failed",
      reason: "subject_changed",
      connection: session.id,
    });
    session.close(CloseCode.AuthFailed, "Token subject changed");
    return;
  }
  port.authenticate(session, principal, false);
  armExpiry(port, session, principal);
  await session.recheck();
  port.reply(session, { type: "ack", id, expiresAt: principal.expiresAt });
}

/**
 * A principal was established (at the upgrade or by `auth`): the hub may
 * refuse it, then the application's connect handler may; otherwise the
 * session is welcomed.
 */
export function authenticated<S extends AuthSession>(
  port: AuthPort<S>,
  session: S,
  principal: Principal,
  id: RequestId | undefined,
): Promise<void> | void {
  const hub = port.hub(session);
  const accepted = hub.onAuthenticated(session, principal);
  if (accepted !== undefined) {
    session.close(accepted.code, accepted.reason);
    return;
  }
  const connect = hub.handlers?.connect;
  if (connect === undefined) return welcome(port, session, principal, id);
  // Known now, so that a close while the application decides finds its user.
  port.authenticate(session, principal, false);
  port.at(session, undefined);
  return port.call(
    session,
    "connect",
    (call) => connect(handlerContext(principal, port.connection(session), call)),
  ).then((result) => {
    if (port.state(session) === "closed") return;
    welcome(port, session, principal, id);
    for (const topic of result?.subscriptions ?? []) port.serverSubscribe(session, topic);
  }, (error: HubError) => {
    if (port.state(session) === "closed") return;
    port.error(session, error.code, error.message, id);
    session.close(
      error.retry ? CloseCode.Overloaded : CloseCode.AuthFailed,
      "Refused by the application",
    );
  });
}

function welcome<S extends AuthSession>(
  port: AuthPort<S>,
  session: S,
  principal: Principal,
  id: RequestId | undefined,
): void {
  const hub = port.hub(session);
  port.authenticate(session, principal, true);
  armExpiry(port, session, principal);
  port.reply(session, {
    type: "welcome",
    id,
    connectionId: session.id,
    user: principal.sub,
    expiresAt: principal.expiresAt,
  });
  hub.events?.({
    type: "connect",
    at: hub.clock.now(),
    connection: session.id,
    user: principal.sub,
    transport: port.transport(session),
  });
}

/**
 * Schedules `token_expiring` and then the close at `exp`, replacing the
 * deadline in force (one at a time: the close is scheduled when the
 * warning goes out).
 */
function armExpiry<S>(port: AuthPort<S>, session: S, principal: Principal): void {
  const expiresAt = principal.expiresAt;
  if (expiresAt === null) return port.at(session, undefined);
  const hub = port.hub(session);
  port.at(
    session,
    expiringAt(expiresAt, hub.clock.now(), hub.tokenExpiringLeadMs),
    "token_expiring",
  );
}

/** The session's deadline of kind `kind` is due (it was cleared first). */
export function deadline<S extends AuthSession>(
  port: AuthPort<S>,
  session: S,
  kind: DeadlineKind | undefined,
): void {
  const hub = port.hub(session);
  if (kind === "first_message") {
    if (port.state(session) !== "awaiting_auth") return;
    hub.audit({
      level: "info",
      event: "auth.failed",
      reason: "first_message_timeout",
      connection: session.id,
    });
    session.close(CloseCode.AuthFailed, "Authentication timeout");
    return;
  }
  const principal = port.principal(session);
  const expiresAt = principal?.expiresAt;
  if (principal === undefined || expiresAt === null || expiresAt === undefined) return;
  if (kind === "token_expiring") {
    if (hub.handlers?.refresh !== undefined && hub.clock.now() < expiresAt) {
      return appRefresh(port, session, principal, expiresAt);
    }
    port.reply(session, { type: "token_expiring", expiresAt });
    port.at(session, expiresAt, "token_expired");
    return;
  }
  hub.log({
    level: "info",
    event: "auth.expired",
    connection: session.id,
    user: principal.sub,
  });
  port.error(session, "TOKEN_EXPIRED", "Token has expired");
  session.close(CloseCode.AuthFailed, "Token expired");
}

/**
 * Asks the application's `refresh` handler to extend the credentials
 * (sessions without a token to refresh with). The close at `expiresAt`
 * stays armed while it decides; a failure is tried again at half the
 * time left, while at least a second is left.
 */
function appRefresh<S extends AuthSession>(
  port: AuthPort<S>,
  session: S,
  principal: Principal,
  expiresAt: number,
): void {
  const hub = port.hub(session);
  const refresh = hub.handlers!.refresh!;
  port.at(session, expiresAt, "token_expired");
  port.call(
    session,
    "refresh",
    (call) => refresh(handlerContext(principal, port.connection(session), call)),
  ).then(
    (result) => {
      if (port.state(session) !== "open" || port.principal(session) !== principal) return;
      if (result === undefined || result === null) {
        port.reply(session, { type: "token_expiring", expiresAt });
        return;
      }
      const next = result.expiresAt;
      if (!validRefresh(next, hub.clock.now())) {
        hub.log({
          level: "error",
          event: "handler.bad_refresh",
          connection: session.id,
          error: "The refresh handler's expiresAt is not a time in the future",
        });
        return;
      }
      const refreshed = { ...principal, expiresAt: next };
      port.authenticate(session, refreshed, false);
      armExpiry(port, session, refreshed);
    },
    (error: HubError) => {
      if (port.state(session) !== "open" || port.principal(session) !== principal) return;
      if (!error.retry) {
        port.error(session, "TOKEN_EXPIRED", error.message);
        session.close(CloseCode.AuthFailed, "Refresh refused by the application");
        return;
      }
      const retryAt = refreshRetryAt(expiresAt, hub.clock.now());
      if (retryAt !== undefined) port.at(session, retryAt, "token_expiring");
    },
  );
}
