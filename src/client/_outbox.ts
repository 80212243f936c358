// What the client sends: requests correlated by id with their timeouts, and
// publishes, which wait in a bounded queue while the link is not open and
// leave in order on the next `welcome`. A publish with an idempotency key that
// the connection lost before its `ack` is sent again; any other request sent
// on the lost connection fails with `DISCONNECTED`.

import type { AckFrame, ServerFrame } from "../protocol/frames.ts";
import { validateTopic } from "../topic/topic.ts";
import { RealtimeError } from "./errors.ts";
import { historyResult } from "./history.ts";
import { presenceMembers } from "./presence.ts";
import { PublishQueue } from "./_publish_queue.ts";
import type { QueryKit } from "./_queries.ts";
import { type OutgoingRequest, type Reply, Requests } from "./_requests.ts";
import type { ResolvedOptions } from "./_resolve_options.ts";
import type { Link } from "./_link.ts";

/** `PublishResult` of `RealtimeClient.publish`. */
export interface Published {
  readonly offset?: number;
  readonly epoch?: string;
}

export class Outbox {
  readonly #o: ResolvedOptions;
  readonly #link: Link;
  readonly #requests: Requests;
  readonly #queue: PublishQueue;

  constructor(o: ResolvedOptions, link: Link) {
    this.#o = o;
    this.#link = link;
    this.#requests = new Requests(o.clock);
    this.#queue = new PublishQueue(o.maxQueued);
  }

  /** Sends a request now (on the current connection, if any) and waits for its answer. */
  request(frame: OutgoingRequest, what: string, timeoutMs?: number): Promise<Reply> {
    return this.send(frame, what, timeoutMs).answered;
  }

  /**
   * Sends a request now (on the current connection, if any) under a fresh
   * id; `onSettle` runs once it settles, however it settles.
   *
   * @returns The id and the answer.
   */
  send(
    frame: OutgoingRequest,
    what: string,
    timeoutMs: number = this.#o.requestTimeoutMs,
    onSettle?: () => void,
  ): { id: number; answered: Promise<Reply> } {
    const id = this.#requests.nextId();
    const topic = frame.topic;
    const answered = this.#requests.add(id, {
      timeoutMs,
      what: topic === undefined ? what : requestOn(what, topic),
      topic,
      onSettle,
    });
    answered.catch(() => {});
    this.#send(id, JSON.stringify({ ...frame, id }));
    return { id, answered };
  }

  /** Settles the request a frame answers; returns whether one was waiting. */
  answer(frame: ServerFrame): boolean {
    return this.#requests.answer(frame);
  }

  /**
   * What the lazily loaded one-off requests (`_queries.ts`) use of the
   * client; their timeouts count from now, the call.
   */
  kit(): QueryKit {
    const started = this.#o.clock.now();
    return {
      ask: (frame, what, timeoutMs) => this.#ask(frame, what, timeoutMs, started),
      RealtimeError,
      historyResult,
      presenceMembers,
      validateTopic,
    };
  }

  /** Sends (or queues) one publish frame with a payload or a JWS. */
  publish(
    topic: string,
    fields: { payload: unknown } | { jws: string },
    ack: boolean,
    timeoutMs: number,
    key: string | undefined,
  ): Promise<Published> {
    const id = this.#requests.nextId();
    const keyed = key === undefined ? fields : { ...fields, idempotencyKey: key };
    let text: string;
    try {
      text = JSON.stringify(
        ack ? { type: "publish", id, topic, ...keyed } : { type: "publish", topic, ...keyed },
      );
    } catch (error) {
      return Promise.reject(
        new TypeError(`Cannot publish to '${topic}': the payload is not JSON-serializable`, {
          cause: error,
        }),
      );
    }
    const state = this.#link.state;
    const open = state === "open";
    if (!open && this.#queue.full) {
      return Promise.reject(
        new RealtimeError(
          "QUEUE_FULL",
          `Cannot publish to '${topic}' while ${state}: ${this.#o.maxQueued} publishes already wait`,
          { retry: true, topic },
        ),
      );
    }
    if (!ack) {
      // Queued under an id that no request holds: sent as it is on connect.
      if (open) this.#link.send(text);
      else this.#queue.add(id, text);
      return Promise.resolve({});
    }
    const answered = this.#requests.add(id, {
      timeoutMs,
      what: `Publish to '${topic}'`,
      topic,
      onSettle: () => this.#queue.delete(id),
      // With a key, a publish the connection lost before its ack is sent again;
      // not a signed one: the hub would refuse its JWS as a replay.
      resend: key === undefined || "jws" in fields ? undefined : text,
    });
    if (open) this.#send(id, text);
    else this.#queue.add(id, text);
    return answered.then(publishResult);
  }

  /** The link opened: what waited in the queue leaves, in order. */
  open(): void {
    for (const [id, text] of this.#queue.take()) {
      // A request settled while queued left the queue, so an id without a
      // request is a fire-and-forget publish.
      if (this.#requests.has(id)) this.#send(id, text);
      else this.#link.send(text);
    }
  }

  /** The connection closed with `code`: requests sent on it fail, keyed publishes wait again. */
  lost(code: number): void {
    const lost = new RealtimeError(
      "DISCONNECTED",
      `The connection closed (${code}) before the hub answered`,
      { retry: true, closeCode: code },
    );
    // A publish with an idempotency key waits to be sent again (the hub
    // publishes it once); any other request sent on the lost socket fails.
    this.#requests.rejectWhere((sent, o) => sent && o.resend === undefined ? lost : undefined);
    this.#queue.requeue(this.#requests.takeResends());
  }

  /** The client closed: every request rejects with `closed`, the queue empties. */
  close(closed: RealtimeError): void {
    this.#requests.rejectWhere(() => closed);
    this.#queue.take();
  }

  /** A request sent once open (waiting for the connection within the timeout). */
  async #ask(
    frame: OutgoingRequest,
    what: string,
    timeoutMs: number | undefined,
    started: number,
  ): Promise<Reply> {
    const timeout = timeoutMs ?? this.#o.requestTimeoutMs;
    if (!(timeout > 0)) {
      throw new RangeError(`Cannot send with timeoutMs ${timeout}: a positive number is required`);
    }
    const clock = this.#o.clock;
    if (this.#link.state !== "open") {
      const late = () =>
        new RealtimeError(
          "TIMEOUT",
          `${requestOn(what, frame.topic)} was not answered within ${timeout} ms (not connected)`,
          { retry: true, topic: frame.topic },
        );
      // Counted from the call: the request's code may have loaded since.
      const wait = timeout - (clock.now() - started);
      if (wait <= 0) throw late();
      let timer: unknown;
      const timedOut = new Promise<never>((_, reject) => {
        timer = clock.setTimer(() => reject(late()), wait);
      });
      try {
        await Promise.race([this.#link.opened(), timedOut]);
      } finally {
        clock.clearTimer(timer);
      }
    }
    const left = Math.max(1, timeout - (clock.now() - started));
    return await this.request(frame, what, left);
  }

  /** Sends a request's frame, unless the request already settled. */
  #send(id: number, text: string): void {
    if (!this.#requests.has(id)) return;
    this.#requests.markSent(id);
    this.#link.send(text);
  }
}

/** The position an `ack` of a publish carries, when it carries one. */
function publishResult(reply: Reply): Published {
  // A publish is answered by an `ack` (or an error, which rejected it).
  const { offset, epoch } = reply as AckFrame;
  return offset === undefined ? {} : { offset, epoch };
}

/**
 * Names a request on a topic for messages: "Subscribe to 'a'", "Unsubscribe
 * from 'a'", "History request for 'a'".
 */
function requestOn(what: string, topic: string | undefined): string {
  const preposition = what === "Unsubscribe"
    ? "from"
    : what === "Subscribe" || what === "Publish"
    ? "to"
    : "for";
  return `${what} ${preposition} '${topic}'`;
}
