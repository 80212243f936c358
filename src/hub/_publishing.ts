// Publishing into the engine: the hub's own `hub.publish` and the sessions'
// `context.publish`, each through the topic's signing rule, with the
// `events` observer told of each publication the engine took. Internal.
//
// Both are on the publish hot path: they allocate the publication and
// nothing per call beyond what they did inside `composeHub`.

import type { AclSignatureRequirement } from "../acl/signing.ts";
import type { Engine, EnginePublication, StreamPosition } from "../engine/engine.ts";
import type { Clock } from "./clock.ts";
import type { HubEventSink } from "./hub_events.ts";
import type { LogEntry } from "./log.ts";
import { PublishError } from "./publish_error.ts";
import type { PublishOptions } from "./publish_options.ts";
import { validateTopic } from "../topic/topic.ts";
import {
  createSignedPublish,
  type PublishAdmission,
  type SignedPublish,
} from "./_signed_publish.ts";

/** What publishing needs. */
export interface PublishingDeps {
  engine: Engine;
  /** Whether the hub created its engine (then its replay memory is the window). */
  ownsEngine: boolean;
  /** The `events` observer, when one is given. */
  events: HubEventSink | undefined;
  /** The clock `hub.publish` stamps with. */
  clock: Clock;
  /** The clock a frame's handling reads (`_frame_clock.ts`), which `context.publish` stamps with. */
  frameClock: Clock;
  /** The signing requirement of a topic under the rules in force now. */
  signingFor(topic: string): AclSignatureRequirement | undefined;
  log(entry: LogEntry): void;
}

/** The publishing part of one hub, created by {@linkcode createPublishing}. */
export interface Publishing {
  /** `hub.publish`. */
  publish(
    topic: string,
    payload: unknown,
    options?: PublishOptions,
  ): Promise<StreamPosition | undefined>;
  /** `context.publish`: a session's publication the ACL and the signing rule admitted. */
  publishFrom(
    topic: string,
    payload: unknown,
    from: string | null,
    jws?: string,
    idempotencyKey?: string,
  ): Promise<StreamPosition | undefined>;
  /** The topics' signing rule. */
  readonly signed: SignedPublish;
}

/** Creates the publishing part of one hub. */
export function createPublishing(deps: PublishingDeps): Publishing {
  const { engine, events, clock, frameClock } = deps;
  const claimOnce = engine.claimOnce;
  const signed = createSignedPublish({
    signingFor: deps.signingFor,
    log: deps.log,
    // A replay window shared by every hub of a networked engine.
    ...(claimOnce === undefined || deps.ownsEngine
      ? {}
      : { claimOnce: claimOnce.bind(engine), now: () => clock.now() }),
  });
  /** The sender the hub's own plain publications are ordered under. */
  const server = {};

  /** Tells the observer of a publication once the engine took it. */
  const published = (topic: string, from: string | null, data: string) =>
  (
    position: StreamPosition | undefined,
  ) => {
    events?.({
      type: "publication",
      at: clock.now(),
      topic,
      from,
      data,
      offset: position?.offset,
    });
    return position;
  };

  /**
   * Publishes through the engine and tells `events` of the publication,
   * unless its idempotency key was a repeat the engine did not publish.
   */
  const publishOnce = (
    topic: string,
    publication: EnginePublication,
    idempotencyKey: string | undefined,
  ): Promise<StreamPosition | undefined> => {
    if (idempotencyKey === undefined) {
      const sent = engine.publish(topic, publication);
      return events === undefined
        ? sent
        : sent.then(published(topic, publication.from, publication.data));
    }
    let repeat = false;
    const sent = engine.publish(topic, publication, {
      idempotencyKey,
      onRepeat: () => void (repeat = true),
    });
    return events === undefined
      ? sent
      : sent.then((position) =>
        repeat ? position : published(topic, publication.from, publication.data)(position)
      );
  };

  async function publish(
    topic: string,
    payload: unknown,
    publishOptions: PublishOptions = {},
  ): Promise<StreamPosition | undefined> {
    const problem = validateTopic(topic);
    if (problem !== undefined) throw new TypeError(problem);
    const { sign } = publishOptions;
    // A plain publication to a topic that requires no signature is not
    // awaited, so it reaches the engine in the same turn, as it always did.
    const pending = sign !== undefined
      ? signed.sign(topic, payload, sign)
      : signed.admit(server, topic, payload, undefined);
    const admission: PublishAdmission | undefined = pending === undefined
      ? undefined
      : await pending;
    if (admission !== undefined && !admission.ok) {
      throw new PublishError(admission.code, admission.message);
    }
    const data = JSON.stringify(admission === undefined ? payload : admission.payload) ?? "null";
    const from = publishOptions.from ?? null;
    const event = publishOptions.event;
    const jws = admission?.jws;
    const ts = clock.now();
    const publication = event === undefined
      ? (jws === undefined ? { data, from, ts } : { data, from, ts, extra: jws })
      : (jws === undefined ? { data, from, ts, event } : { data, from, ts, event, extra: jws });
    return await publishOnce(topic, publication, publishOptions.idempotencyKey);
  }

  return {
    publish,
    publishFrom(topic, payload, from, jws, idempotencyKey) {
      const data = JSON.stringify(payload) ?? "null";
      const publication = jws === undefined
        ? { data, from, ts: frameClock.now() }
        : { data, from, ts: frameClock.now(), extra: jws };
      return publishOnce(topic, publication, idempotencyKey);
    },
    signed,
  };
}
