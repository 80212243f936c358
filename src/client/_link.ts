// The client's link to the hub: its connection state, one connection
// attempt at a time (WebSocket, else Server-Sent Events), the connect
// deadline, reconnecting with back-off and moving on to the next URL, what a
// close code means, the token and its refresh, the heartbeat, and closing for
// good. It hands each frame to what it concerns, and tells what travels over
// it (requests, subscriptions) when it opens, drops and closes.

import type { ErrorFrame, ServerFrame, WelcomeFrame } from "../protocol/frames.ts";
import { CloseCode } from "../protocol/codes.ts";
import { RealtimeError } from "./errors.ts";
import { closePolicy } from "./close_policy.ts";
import { type CloseInfo, Connection } from "./connection.ts";
import type { SseConnection } from "./_sse_connection.ts";
import type { ClientTransport, ConnectionState } from "./options.ts";
import { deferred } from "./_deferred.ts";
import type { Emitter } from "./_emitter.ts";
import type { RealtimeEvents, StateChange } from "./events.ts";
import { Heartbeat } from "./_heartbeat.ts";
import { ReconnectSchedule } from "./_reconnect.ts";
import { TokenManager } from "./_token_manager.ts";
import type { OutgoingRequest, Reply } from "./_requests.ts";
import type { ResolvedOptions } from "./_resolve_options.ts";
import { tokenExpiresAt } from "../auth/token_expiry.ts";
import { authRefusal } from "./_auth_refusal.ts";

/** The requests and the publish queue, as the link drives them (`Outbox`). */
export interface LinkOutbox {
  /** Sends a request (a ping, a token refresh) and waits for its answer. */
  request(frame: OutgoingRequest, what: string): Promise<Reply>;
  /** Settles the request a frame answers; returns whether one was waiting. */
  answer(frame: ServerFrame): boolean;
  /** The link opened: send what waited. */
  open(): void;
  /** The connection was lost (`code`): what was in flight on it settles or waits. */
  lost(code: number): void;
  /** The client is closing for good: settle everything with `closed`. */
  close(closed: RealtimeError): void;
}

/** The subscriptions, as the link drives them (`Subscriptions`). */
export interface LinkSubscriptions {
  /** Handles every frame the link does not: subscriptions' and answers to requests. */
  frame(frame: ServerFrame): void;
  /** The link opened: send every subscription. */
  open(): void;
  /** The connection was lost: every subscription waits to be confirmed again. */
  lost(): void;
  /** The client is closing for good: end every subscription with `closed`. */
  close(closed: RealtimeError): void;
}

/** Failed attempts after which a reconnect also fetches a fresh token. */
const REFRESH_AFTER_FAILURES = 3;
/** Longest wait for sockets to finish closing in `close()`. */
const CLOSE_WAIT_MS = 2000;

export class Link {
  readonly #o: ResolvedOptions;
  readonly #events: Emitter<RealtimeEvents>;
  #outbox!: LinkOutbox;
  #subs!: LinkSubscriptions;
  #state: ConnectionState = "idle";
  #error: RealtimeError | undefined;
  readonly #tokens: TokenManager;
  #authRetried = false;
  #lastServerError: ErrorFrame | undefined;
  /** How the last connection ended, reported once with the next state change. */
  #lastClose: CloseInfo | undefined;
  #conn: Connection | SseConnection | undefined;
  /** Which of `transports` is in use; moves on when a WebSocket fails to open. */
  #transport = 0;
  readonly #dying = new Set<Promise<void>>();
  #epoch = 0;
  readonly #reconnect: ReconnectSchedule;
  #connectTimer: unknown;
  readonly #heartbeat: Heartbeat;
  /** The hub's last `welcome`: who the client is and its connection's id. */
  #welcome: WelcomeFrame | undefined;
  #expiresAt: number | null | undefined;
  #closed: Promise<void> | undefined;
  #offOnline: (() => void) | undefined;

  constructor(o: ResolvedOptions, events: Emitter<RealtimeEvents>) {
    this.#o = o;
    this.#events = events;
    this.#tokens = new TokenManager(o);
    this.#reconnect = new ReconnectSchedule(o);
    this.#heartbeat = new Heartbeat(
      o.clock,
      o.heartbeatMs,
      () => this.#outbox.request({ type: "ping" }, "Ping"),
      () => this.#abandon("The hub did not answer a ping"),
    );
  }

  /**
   * Gives the link what travels over it, once, before it connects: they
   * are made with the link, so they come after it.
   */
  attach(outbox: LinkOutbox, subs: LinkSubscriptions): void {
    this.#outbox = outbox;
    this.#subs = subs;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get error(): RealtimeError | undefined {
    return this.#error;
  }

  get url(): string {
    return this.#reconnect.url.href;
  }

  get transport(): ClientTransport {
    return this.#o.transports[this.#transport];
  }

  get welcome(): WelcomeFrame | undefined {
    return this.#welcome;
  }

  get expiresAt(): number | null | undefined {
    return this.#expiresAt;
  }

  /** `RealtimeClient.connect`. */
  connect(): void {
    if (this.#state === "closed") throw this.closedError();
    if (this.#state !== "idle") return;
    if (typeof this.#o.WebSocket !== "function") {
      throw new TypeError("Cannot connect: this runtime has no global WebSocket");
    }
    this.#setState("connecting", {});
    this.#listenOnline();
    this.#connect();
  }

  /** Sends a frame on the current connection, if any. */
  send(text: string): void {
    this.#conn?.send(text);
  }

  /** `RealtimeClient.opened`. */
  opened(): Promise<void> {
    if (this.#state === "open") return Promise.resolve();
    if (this.#state === "closed") return Promise.reject(this.closedError());
    const { promise, resolve, reject } = deferred<void>();
    const off = this.#events.on("state", (state) => {
      if (state === "open") resolve();
      else if (state === "closed") reject(this.closedError());
      else return;
      off();
    });
    return promise;
  }

  /** What a request or subscribe on a closed client rejects with. */
  closedError(): RealtimeError {
    const error = this.#error;
    return error === undefined
      ? new RealtimeError("CLOSED", "The client is closed")
      : new RealtimeError("CLOSED", `The client stopped: ${error.message}`, {
        cause: error,
        closeCode: error.closeCode,
      });
  }

  /** Closes for good (idempotent); resolves once the sockets closed, or after a bound. */
  close(error?: RealtimeError): Promise<void> {
    if (this.#closed !== undefined) return this.#closed;
    this.#epoch++;
    this.#error = error;
    this.#reconnect.cancel();
    this.#clearConnectTimer();
    this.#heartbeat.stop();
    this.#offOnline?.();
    this.#offOnline = undefined;
    const conn = this.#conn;
    if (conn !== undefined) this.#release(conn);
    const closed = this.closedError();
    this.#outbox.close(closed);
    this.#subs.close(closed);
    this.#setState("closed", error === undefined ? {} : { error });
    this.#events.close();
    this.#closed = this.#waitForSockets();
    return this.#closed;
  }

  // Connecting.

  #connect(): void {
    const epoch = ++this.#epoch;
    this.#lastClose = undefined;
    this.#clearConnectTimer();
    this.#connectTimer = this.#o.clock.setTimer(() => {
      this.#connectTimer = undefined;
      if (this.#conn === undefined) this.#epoch++; // still waiting for getToken
      this.#abandon(`Connecting took longer than ${this.#o.connectTimeoutMs} ms`);
    }, this.#o.connectTimeoutMs);
    this.#tokens.forConnect().then(
      (token) => {
        if (epoch === this.#epoch && this.#state !== "closed") this.#open(token);
      },
      (error: RealtimeError) => {
        if (epoch !== this.#epoch || this.#state === "closed") return;
        // getToken could not answer now (a RealtimeError with retry): back off and ask again.
        if (error.retry) {
          this.#clearConnectTimer();
          this.#scheduleReconnect(undefined);
        } else void this.close(error);
      },
    );
  }

  #open(token: string): void {
    if (this.transport === "sse") return this.#openSse(token);
    let conn: Connection;
    try {
      conn = new Connection({
        url: this.#reconnect.url,
        token,
        tokenVia: this.#o.tokenVia,
        WebSocket: this.#o.WebSocket,
        clock: this.#o.clock,
        onFrame: (frame) => {
          if (this.#conn === conn) this.#frame(frame);
        },
        onClose: (info) => {
          if (this.#conn !== conn) return;
          this.#lastClose = info;
          // Lost before the welcome with no close frame: a WebSocket that never opened.
          if (info.code === 1006 && this.#state !== "open") this.#fallBack();
          this.#dropped(info.code, info.reason);
        },
      });
    } catch (error) {
      void this.close(error as RealtimeError);
      return;
    }
    this.#conn = conn;
  }

  /** A WebSocket did not open: the next attempt uses the next transport, if any. */
  #fallBack(): void {
    this.#transport = Math.min(this.#transport + 1, this.#o.transports.length - 1);
  }

  /** Loaded on first use, so a page that never falls back does not carry it. */
  #openSse(token: string): void {
    const epoch = this.#epoch;
    import("./_sse_connection.ts").then(({ SseConnection }) => {
      if (epoch !== this.#epoch || this.#state === "closed") return;
      const conn: SseConnection = new SseConnection({
        url: this.#o.sseUrl ?? this.#reconnect.url,
        token,
        credentials: this.#o.sseWithCredentials ? "include" : undefined,
        onFrame: (frame) => {
          if (this.#conn === conn) this.#frame(frame);
        },
        onClose: (info) => {
          if (this.#conn !== conn) return;
          this.#lastClose = info;
          this.#dropped(info.code, info.reason);
        },
      });
      this.#conn = conn;
    }, () => this.#dropped(1006, ""));
  }

  #frame(frame: ServerFrame): void {
    if (frame.type === "welcome") {
      if (this.#state !== "open") this.#welcomed(frame);
    } else if (frame.type === "token_expiring") void this.#refresh();
    else if (frame.type === "error") {
      if (this.#outbox.answer(frame)) return;
      this.#lastServerError = frame;
      // Authentication errors are always followed by close 4001, handled there.
      if (frame.code !== "AUTH_FAILED" && frame.code !== "TOKEN_EXPIRED") {
        this.#events.emit(
          "error",
          new RealtimeError(frame.code, frame.message, { retry: frame.retry }),
        );
      }
    } else this.#subs.frame(frame);
  }

  #welcomed(frame: WelcomeFrame): void {
    this.#clearConnectTimer();
    this.#reconnect.reset();
    this.#authRetried = false;
    this.#lastServerError = undefined;
    this.#welcome = frame;
    this.#expiresAt = frame.expiresAt;
    // Subscriptions first, then queued publishes, then listeners: a listener
    // that publishes on `open` goes after what already waited.
    this.#subs.open();
    this.#outbox.open();
    this.#heartbeat.start();
    this.#setState("open", {});
  }

  async #refresh(): Promise<void> {
    if (!this.#tokens.beginRefresh()) return;
    const conn = this.#conn;
    try {
      const token = await this.#tokens.fetch();
      if (this.#conn !== conn || this.#state !== "open") return;
      const ack = await this.#outbox.request({ type: "auth", token }, "Token refresh");
      if (this.#conn !== conn) return;
      const expiresAt = ack.type === "ack" && ack.expiresAt !== undefined
        ? ack.expiresAt
        : tokenExpiresAt(token) ?? null;
      this.#expiresAt = expiresAt;
      this.#tokens.endRefresh(token);
      this.#events.emit("refresh", { expiresAt });
    } catch (error) {
      const failure = error as RealtimeError;
      // getToken says no token will come (signed out): stop now, not at exp.
      if (this.#tokens.isFinal(failure)) {
        void this.close(failure);
      } else if (failure.code !== "DISCONNECTED" && failure.code !== "CLOSED") {
        this.#events.emit("error", failure);
      }
    } finally {
      this.#tokens.endRefresh(undefined);
    }
  }

  // Losing the connection.

  /** Gives up on the current socket (a client-side timeout) and reconnects. */
  #abandon(reason: string): void {
    const conn = this.#conn;
    if (this.#state !== "open") this.#fallBack();
    if (conn !== undefined) this.#release(conn);
    this.#dropped(1006, reason);
  }

  /** Stops listening to a connection and closes it, remembering it until closed. */
  #release(conn: Connection | SseConnection): void {
    conn.detach();
    this.#conn = undefined;
    if (conn.closeInfo !== undefined) return;
    const promise = conn.close(CloseCode.Normal).then(() => {});
    this.#dying.add(promise);
    void promise.then(() => this.#dying.delete(promise));
  }

  #dropped(code: number, reason: string): void {
    if (this.#conn !== undefined) {
      this.#conn.detach();
      this.#conn = undefined;
    }
    this.#clearConnectTimer();
    this.#heartbeat.stop();
    this.#outbox.lost(code);
    this.#subs.lost();
    if (this.#state === "closed") return;
    const detail = reason === "" ? `${code}` : `${code}: ${reason}`;
    const { action, errorCode } = closePolicy(code);
    if (action === "stop") {
      void this.close(
        new RealtimeError(
          errorCode ?? "CLOSED",
          code === CloseCode.Revoked
            ? `The hub revoked access (${detail})`
            : `The hub closed the connection (${detail})`,
          { closeCode: code },
        ),
      );
    } else if (action === "refresh") {
      const said = this.#lastServerError;
      this.#lastServerError = undefined;
      const [then, error] = authRefusal(
        code,
        reason,
        said,
        this.#o.getToken !== undefined,
        this.#authRetried,
      );
      if (then === "stop") {
        void this.close(error);
      } else if (then === "reconnect") {
        this.#scheduleReconnect(undefined, error);
      } else {
        this.#authRetried = true;
        this.#tokens.markStale();
        this.#scheduleReconnect(0, error);
      }
    } else {
      // The hub failed or went away: the next attempt goes to the next URL.
      this.#reconnect.moveOn();
      this.#scheduleReconnect(
        undefined,
        new RealtimeError(
          "DISCONNECTED",
          `The connection closed (${detail})`,
          { retry: true, closeCode: code },
        ),
      );
    }
  }

  /** Waits out the back-off (or `delay`) and connects again; `error` says why. */
  #scheduleReconnect(delay: number | undefined, error?: RealtimeError): void {
    const reconnect = this.#reconnect;
    if (reconnect.exhausted) {
      void this.close(
        new RealtimeError(
          "CLOSED",
          `Gave up after ${reconnect.attempt} failed reconnect attempts`,
          { retry: true },
        ),
      );
      return;
    }
    const { attempt, retryInMs } = reconnect.schedule(() => this.#connect(), delay);
    // Browsers see a hub's HTTP 401 as a plain network failure: after a few,
    // also try a fresh token.
    if (reconnect.attempt >= REFRESH_AFTER_FAILURES) this.#tokens.markStale();
    this.#setState(
      "reconnecting",
      error === undefined ? { retryInMs, attempt } : {
        retryInMs,
        attempt,
        error,
      },
    );
  }

  #listenOnline(): void {
    const target = globalThis as unknown as Partial<EventTarget>;
    if (
      typeof target.addEventListener !== "function" || typeof navigator === "undefined" ||
      !("onLine" in navigator)
    ) {
      return;
    }
    // Back online: skip the rest of the back-off.
    const online = () => {
      if (this.#state === "reconnecting" && this.#reconnect.pending) {
        this.#reconnect.cancel();
        this.#connect();
      }
    };
    target.addEventListener("online", online);
    this.#offOnline = () => target.removeEventListener!("online", online);
  }

  async #waitForSockets(): Promise<void> {
    if (this.#dying.size === 0) return;
    let timer: unknown;
    const bound = new Promise<void>((resolve) => {
      timer = this.#o.clock.setTimer(resolve, CLOSE_WAIT_MS);
    });
    await Promise.race([Promise.all([...this.#dying]), bound]);
    this.#o.clock.clearTimer(timer);
  }

  #setState(state: ConnectionState, change: Omit<StateChange, "previous" | "url">): void {
    const previous = this.#state;
    if (state === previous && state !== "reconnecting") return;
    this.#state = state;
    const close = this.#lastClose;
    this.#lastClose = undefined;
    this.#events.emit("state", state, {
      previous,
      url: this.url,
      ...change,
      ...(close !== undefined && state !== "open" ? { close } : {}),
    });
  }

  #clearConnectTimer(): void {
    if (this.#connectTimer !== undefined) {
      this.#o.clock.clearTimer(this.#connectTimer);
      this.#connectTimer = undefined;
    }
  }
}
