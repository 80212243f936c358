// `RealtimeClient.publish`: checking the call, giving an acknowledged
// publish its idempotency key, and signing. Publishes leave in call order,
// signed or not: a publish that waits for its signature holds back those
// called after it. The signing code is loaded by the first signed publish.

import { validateTopic } from "../topic/topic.ts";
import { IDEMPOTENCY_KEY_RE } from "../protocol/idempotency_key.ts";
import type { JwsAlgorithm } from "../auth/algorithms.ts";
import type { PublicationSigner, PublicationSigningKey } from "../signing/sign.ts";
import { deferred } from "./_deferred.ts";
import { newIdempotencyKey } from "./_idempotency_key.ts";
import type { Signers } from "./_signers.ts";
import type { Link } from "./_link.ts";
import type { Outbox, Published } from "./_outbox.ts";

/** `PublishOptions` of `RealtimeClient.publish`. */
export interface PublishCall {
  timeoutMs?: number;
  ack?: boolean;
  sign?: PublicationSigningKey | PublicationSigner;
  idempotencyKey?: string;
  signAlg?: JwsAlgorithm;
}

export class Publisher {
  readonly #link: Link;
  readonly #outbox: Outbox;
  readonly #timeoutMs: number;
  /** Loaded with the signing core by the first signed publish. */
  #signers: Promise<Signers> | undefined;
  /** The last publish waiting for its signature (or behind one), so publishes keep call order. */
  #sendTail: Promise<unknown> = Promise.resolve();
  #sequenced = 0;

  constructor(link: Link, outbox: Outbox, timeoutMs: number) {
    this.#link = link;
    this.#outbox = outbox;
    this.#timeoutMs = timeoutMs;
  }

  /** `RealtimeClient.publish`. */
  publish(topic: string, payload: unknown, options: PublishCall): Promise<Published> {
    const problem = validateTopic(topic);
    if (problem !== undefined) return Promise.reject(new TypeError(`Cannot publish: ${problem}`));
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    if (!(timeoutMs > 0)) {
      return Promise.reject(
        new RangeError(`Cannot publish with timeoutMs ${timeoutMs}: a positive number is required`),
      );
    }
    const given = options.idempotencyKey;
    if (given !== undefined && !(typeof given === "string" && IDEMPOTENCY_KEY_RE.test(given))) {
      return Promise.reject(
        new TypeError(
          "Cannot publish: 'idempotencyKey' must be 1 to 64 printable ASCII characters",
        ),
      );
    }
    if (this.#link.state === "closed") return Promise.reject(this.#link.closedError());
    const ack = options.ack !== false;
    const key = options.idempotencyKey ?? (ack ? newIdempotencyKey() : undefined);
    if (options.sign === undefined && this.#sequenced === 0) {
      return this.#outbox.publish(topic, { payload: payload ?? null }, ack, timeoutMs, key);
    }
    return this.#inTurn(topic, payload ?? null, options, timeoutMs, key);
  }

  /**
   * A publish that waits for its signature, or behind one: it is sent once
   * every publish called before it was, so publishes keep call order.
   */
  #inTurn(
    topic: string,
    payload: unknown,
    options: PublishCall,
    timeoutMs: number,
    key: string | undefined,
  ): Promise<Published> {
    let fields: Promise<{ payload: unknown } | { jws: string }>;
    if (options.sign === undefined) {
      fields = Promise.resolve({ payload });
    } else {
      try {
        JSON.stringify(payload);
      } catch (error) {
        return Promise.reject(
          new TypeError(`Cannot publish to '${topic}': the payload is not JSON-serializable`, {
            cause: error,
          }),
        );
      }
      const { sign, signAlg } = options;
      this.#signers ??= import("./_signing.ts").then((m) => new m.Signers());
      fields = this.#signers.then((signers) => signers.get(sign, signAlg))
        .then((signer) => signer.sign(topic, payload))
        .then((jws) => ({ jws }));
    }
    const previous = this.#sendTail;
    const turn = deferred<void>();
    this.#sendTail = turn.promise;
    this.#sequenced++;
    return (async () => {
      try {
        let ready: { payload: unknown } | { jws: string };
        try {
          ready = await fields;
        } finally {
          await previous;
        }
        if (this.#link.state === "closed") throw this.#link.closedError();
        // Not awaited here: the turn passes once the frame is sent, not acknowledged.
        return this.#outbox.publish(topic, ready, options.ack !== false, timeoutMs, key);
      } finally {
        // Also after a signature failed: the publishes behind it go on.
        turn.resolve();
        this.#sequenced--;
      }
    })();
  }
}
