// The operator functions behind the admin API (direct sends, broadcasts,
// disconnects, revocations) and the control channel that carries them to
// every hub of the engine. Each applies on this hub first, then sends a
// command; every hub, this one included, applies what the engine hands
// back through `apply`. Internal.

import type { AclRule } from "../acl/rules.ts";
import type { Revocations } from "../auth/revocations.ts";
import type { ControlCommand, Engine } from "../engine/engine.ts";
import { CloseCode } from "../protocol/codes.ts";
import { DISCONNECT_KEEP_MS } from "./cluster.ts";
import type { LogEntry } from "./log.ts";
import type { BroadcastInput } from "./publish_options.ts";
import type { UserConnection, Users } from "./users.ts";

/** What an operation closes by id. */
export interface OperatedConnection extends UserConnection {
  readonly id: string;
}

/** What the operations act on. */
export interface OperationsDeps<C extends OperatedConnection> {
  engine: Engine;
  users: Users<C>;
  /** The live connections, for closing one by id. */
  connections: Iterable<C>;
  revocations: Revocations;
  /** How long the engine keeps a revocation (ms), `Infinity` for as long as it can. */
  revocationKeepMs: number;
  /** Current time, epoch ms. */
  now(): number;
  /** `hub.publish`, for broadcasts to a topic. */
  publish(
    topic: string,
    payload: unknown,
    options: Pick<BroadcastInput, "event" | "sign" | "idempotencyKey">,
  ): Promise<unknown>;
  /** Applies an `update_rules` command. */
  applyRules(rules: readonly AclRule[], version: string | undefined): void;
  audit(entry: LogEntry): void;
  log(entry: LogEntry): void;
}

/** A local action and whether the other hubs were told of it. */
export interface Sent {
  /** Local connections it touched. */
  count: number;
  /** Rejects (an `EngineError`) when the engine could not carry it to the other hubs. */
  sent: Promise<void>;
}

/** The operator functions of one hub, created by {@linkcode createOperations}. */
export interface Operations {
  /** Applies a command from the control channel here; returns how many local connections it touched. */
  apply(command: ControlCommand): number;
  /**
   * Sends a command through the engine, with how many local connections it
   * reached before `control` returned (all of them with the in-memory
   * engine, which applies it synchronously).
   */
  control(command: ControlCommand): { reached: number; sent: Promise<void> };
  /** `disconnectUser` here, then on every hub. */
  disconnect(user: string, reason?: string): Sent;
  /** `revoke` here, then on every hub. */
  revoke(target: { user: string; session?: string }): Sent;
  /** Disconnects a user on this hub only (a cluster ask); returns how many. */
  disconnectLocal(user: string, reason: string): number;
  /** Revokes on this hub only, as made at `at` (a cluster ask); returns how many it closed. */
  revokeLocal(target: { user: string; session?: string }, at: number): number;
  /** Closes one local connection by id (4003); returns 1, or 0 when it is not here. */
  disconnectConnection(id: string, reason: string): number;
  /** Sends an event outside topics to users on every hub; returns the local connections reached. */
  sendTo(users: readonly string[], event: string | undefined, payload: unknown): number;
  /** `hub.broadcast`. */
  broadcast(input: BroadcastInput): Promise<number>;
}

/** Creates the operator functions of one hub. */
export function createOperations<C extends OperatedConnection>(
  deps: OperationsDeps<C>,
): Operations {
  const { engine, users, revocations, revocationKeepMs, audit, log } = deps;
  /** Connections reached by the commands applied while `control` runs. */
  let reached = 0;

  function apply(command: ControlCommand): number {
    switch (command.type) {
      case "send_to_user": {
        const n = users.send([command.user], command.event, JSON.parse(command.data));
        reached += n;
        return n;
      }
      case "broadcast_users": {
        const n = users.send(command.users, command.event, JSON.parse(command.data));
        reached += n;
        return n;
      }
      case "disconnect_user":
        // Handed back after a reconnect, it spares connections made since.
        return command.at === undefined
          ? users.disconnect(command.user, command.reason)
          : users.disconnectAcceptedBy(command.user, command.at, command.reason);
      case "disconnect_connection":
        return disconnectConnection(command.connection, command.reason);
      case "revoke":
        // With the time it was made: the engine hands stored revocations
        // back after a reconnect, when a user may have signed in again since.
        if (command.session !== undefined) {
          revocations.revokeSession(command.user, command.session, { at: command.at });
          return users.disconnectSession(command.user, command.session, "Session ended");
        }
        revocations.revoke(command.user, { at: command.at });
        return users.disconnectRevoked(command.user, revocations.isRevoked, "Access revoked");
      case "update_rules":
        deps.applyRules(command.rules, command.version);
        return 0;
      default:
        return 0;
    }
  }

  function disconnectConnection(id: string, reason: string): number {
    for (const connection of deps.connections) {
      if (connection.id !== id) continue;
      connection.close(CloseCode.Revoked, reason);
      audit({ level: "info", event: "connection.disconnected", connection: id });
      return 1;
    }
    return 0;
  }

  function control(command: ControlCommand): { reached: number; sent: Promise<void> } {
    reached = 0;
    const sent = engine.control(command);
    sent.catch((error) =>
      log({
        level: "error",
        event: "engine.control_failed",
        command: command.type,
        error: error instanceof Error ? error.name : typeof error,
      })
    );
    const count = reached;
    reached = 0;
    return { reached: count, sent };
  }

  function disconnectLocal(user: string, reason: string): number {
    const count = users.disconnect(user, reason);
    audit({ level: "info", event: "user.disconnected", user, connections: count });
    return count;
  }

  function revokeLocal({ user, session }: { user: string; session?: string }, at: number) {
    if (session !== undefined) {
      revocations.revokeSession(user, session, { at });
      const count = users.disconnectSession(user, session, "Session ended");
      audit({ level: "info", event: "session.revoked", user, connections: count });
      return count;
    }
    revocations.revoke(user, { at });
    const count = users.disconnect(user, "Access revoked");
    audit({ level: "warn", event: "revoked", user, connections: count });
    return count;
  }

  function sendTo(
    userList: readonly string[],
    event: string | undefined,
    payload: unknown,
  ): number {
    const data = JSON.stringify(payload) ?? "null";
    return userList.length === 1 && event !== undefined
      ? control({ type: "send_to_user", user: userList[0], event, data }).reached
      : control(
        event === undefined
          ? { type: "broadcast_users", users: userList, data }
          : { type: "broadcast_users", users: userList, event, data },
      ).reached;
  }

  return {
    apply,
    control,
    disconnectLocal,
    revokeLocal,
    disconnectConnection,
    sendTo,
    disconnect(user, reason = "Disconnected by an operator") {
      // Local connections close at once; the command closes them on other hubs.
      const count = users.disconnect(user, reason);
      const { sent } = control({
        type: "disconnect_user",
        user,
        reason,
        at: deps.now(),
        keepMs: DISCONNECT_KEEP_MS,
      });
      audit({ level: "info", event: "user.disconnected", user, connections: count });
      return { count, sent };
    },
    revoke(target) {
      const { user, session } = target;
      const at = deps.now();
      const keepMs = Number.isFinite(revocationKeepMs) ? { keepMs: revocationKeepMs } : {};
      if (session !== undefined) {
        revocations.revokeSession(user, session, { at });
        const count = users.disconnectSession(user, session, "Session ended");
        const { sent } = control({ type: "revoke", user, at, session, ...keepMs });
        audit({ level: "info", event: "session.revoked", user, connections: count });
        return { count, sent };
      }
      revocations.revoke(user, { at });
      const count = users.disconnect(user, "Access revoked");
      const { sent } = control({ type: "revoke", user, at, ...keepMs });
      audit({ level: "warn", event: "revoked", user, connections: count });
      return { count, sent };
    },
    async broadcast(input) {
      if (input.event !== undefined && typeof input.event !== "string") {
        throw new TypeError("Cannot broadcast as 'event' is not a string");
      }
      if (
        input.users !== undefined &&
        (!Array.isArray(input.users) || input.users.some((u) => typeof u !== "string"))
      ) {
        throw new TypeError("Cannot broadcast as 'users' is not an array of strings");
      }
      if (input.sign !== undefined && input.topic === undefined) {
        throw new TypeError(
          "Cannot broadcast signed without 'topic': only publications are signed",
        );
      }
      if (
        input.idempotencyKey !== undefined &&
        (input.topic === undefined || input.users !== undefined)
      ) {
        throw new TypeError(
          "Cannot broadcast with 'idempotencyKey' but no 'topic' or with 'users': direct sends are not remembered",
        );
      }
      if (input.topic !== undefined) {
        await deps.publish(input.topic, input.payload, {
          event: input.event,
          sign: input.sign,
          idempotencyKey: input.idempotencyKey,
        });
        return input.users === undefined ? 0 : sendTo(input.users, input.event, input.payload);
      }
      // To everyone: every hub's own users (a per-process list), so local only.
      return input.users === undefined
        ? users.sendToAll(input.event, input.payload)
        : sendTo(input.users, input.event, input.payload);
    },
  };
}
