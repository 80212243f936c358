// The hub's live connections: a session per upgraded socket (a v1 or a
// STOMP door, by the negotiated subprotocol) or per SSE stream and HTTP
// publish, their socket events, and closing them all when the hub closes.
// Internal.

import { CloseCode } from "../protocol/codes.ts";
import { STOMP_SUBPROTOCOLS, SUBPROTOCOL_V1_BATCH } from "../protocol/subprotocols.ts";
import type { Clock } from "./clock.ts";
import type { HubContext } from "./context.ts";
import { StompDoor } from "./codec/stomp.ts";
import { V1Door } from "./codec/v1.ts";
import type { Door } from "./codec/door.ts";
import type { Doors } from "./_doors.ts";
import { type HubMetrics, increment } from "./metrics.ts";
import { Session } from "./session.ts";
import type { Accepted, HubSocket, SocketHandler } from "./transport.ts";

/** What the connections need of their hub. */
export interface ConnectionsDeps {
  doors: Doors;
  context: HubContext;
  metrics: HubMetrics;
  clock: Clock;
  /** A new connection's id. */
  generateId(): string;
}

/**
 * The class of the socket events of one hub's connections: a class so an
 * idle socket holds no closures, made per hub so that each holds no more
 * than its session and admission.
 */
function handlerClass(hub: { readonly closing: boolean }) {
  return class Handler implements SocketHandler {
    #connection: Session;
    #admission: Accepted | undefined;

    constructor(connection: Session, admission: Accepted) {
      this.#connection = connection;
      this.#admission = admission;
    }

    open(): void {
      const admission = this.#admission;
      if (admission === undefined) return;
      this.#admission = undefined;
      const connection = this.#connection;
      if (admission.closeWith !== undefined) {
        connection.close(admission.closeWith.code, admission.closeWith.reason);
      } else if (hub.closing) {
        connection.close(CloseCode.GoingAway, "Server shutting down");
      } else {
        connection.start(admission.principal);
      }
    }

    message(data: unknown): void {
      this.#connection.receive(data);
    }

    close(code?: number): void {
      this.#connection.closed(code);
    }
  };
}

/** The live connections of one hub. */
export class Connections {
  /** Every open session, oldest first. */
  readonly all: Set<Session> = new Set();
  /** Whether the hub is closing: sockets that open now are closed with 1001. */
  closing = false;
  #deps: ConnectionsDeps;
  #Handler: ReturnType<typeof handlerClass>;

  constructor(deps: ConnectionsDeps) {
    this.#deps = deps;
    this.#Handler = handlerClass(this);
  }

  /** How many are open. */
  get size(): number {
    return this.all.size;
  }

  /** Attaches an upgraded socket (`hub.connect`). */
  connect(socket: HubSocket, admission: Accepted): SocketHandler {
    const { doors, context, metrics, generateId } = this.#deps;
    const stomp = admission.protocol === undefined
      ? undefined
      : STOMP_SUBPROTOCOLS[admission.protocol];
    if (stomp !== undefined) {
      const door = new StompDoor(socket, doors.stomp, stomp);
      const peer = { remoteAddr: admission.peer?.remoteAddr, transport: "stomp" };
      const connection = new Session(generateId(), door, context, peer);
      door.bind(connection);
      this.all.add(connection);
      metrics.connectionsOpened++;
      return new this.#Handler(connection, admission);
    }
    const batch = admission.protocol === SUBPROTOCOL_V1_BATCH;
    const door = new V1Door(socket, batch ? doors.batch : doors.plain);
    const connection = new Session(generateId(), door, context, admission.peer);
    door.bind(connection);
    this.all.add(connection);
    metrics.connectionsOpened++;
    increment(metrics.connectionsByTransport, admission.peer?.transport ?? "unknown");
    return new this.#Handler(connection, admission);
  }

  /** A session on one of the HTTP doors (SSE, HTTP publish), registered as a connection. */
  open(door: Door, peer: Accepted["peer"]): Session {
    const { context, metrics, generateId } = this.#deps;
    const session = new Session(generateId(), door, context, peer);
    this.all.add(session);
    metrics.connectionsOpened++;
    increment(metrics.connectionsByTransport, peer?.transport ?? "unknown");
    return session;
  }

  /** Forgets a session that closed. */
  delete(session: Session): void {
    this.all.delete(session);
  }

  /**
   * Lets frames in flight finish, up to `deadlineMs`, then closes every
   * connection with 1001.
   */
  async closeAll(deadlineMs: number): Promise<void> {
    const { clock } = this.#deps;
    const drained = Promise.all([...this.all].map((connection) => connection.drained()));
    let timer: unknown;
    await Promise.race([
      drained,
      new Promise((resolve) => timer = clock.setTimer(() => resolve(undefined), deadlineMs)),
    ]);
    clock.clearTimer(timer);
    for (const connection of [...this.all]) {
      connection.close(CloseCode.GoingAway, "Server shutting down");
    }
  }
}
