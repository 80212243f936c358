/**
 * What the hub's own publications take: the options of `hub.publish` and
 * the input of `hub.broadcast`. Their own file, below `hub.ts`, so the
 * parts that publish and broadcast (`_publishing.ts`, `_operations.ts`)
 * need not import the hub.
 *
 * @module
 */

import type { PublicationSigner, PublicationSigningKey } from "../signing/sign.ts";

/** Options of {@linkcode Hub.publish}. */
export interface PublishOptions {
  /** Event name, for server-pushed events. */
  event?: string;
  /**
   * The sender's subject.
   *
   * @default {null}
   */
  from?: string | null;
  /**
   * Signs the publication with this key (a secret, a PEM or JWK private
   * key, or a signer from `createPublicationSigner`, which imports its key
   * once). The topic must require signed publications and accept the key:
   * the hub verifies it as it would a client's, so subscribers receive the
   * payload and the JWS and can verify it themselves. Without it, a topic
   * that requires signatures refuses the publication.
   *
   * @default {undefined}
   */
  sign?: PublicationSigningKey | PublicationSigner;
  /**
   * Makes the publication safe to retry: a key this publisher (`from`)
   * used on the topic within the engine's idempotency window is not
   * published again, and the first publication's position is returned.
   * 1 to 64 printable ASCII characters without space.
   *
   * @default {undefined}
   */
  idempotencyKey?: string;
}

/** What {@linkcode Hub.broadcast} sends, mirroring the admin route. */
export interface BroadcastInput {
  /** Event name. */
  event?: string;
  /** Publish on this topic (to its subscribers). */
  topic?: string;
  /** Any JSON value. */
  payload: unknown;
  /** Send directly to these users' connections (without `topic`: to them only). */
  users?: string[];
  /**
   * Sign the publication on `topic` with this key, as {@linkcode PublishOptions.sign}
   * does. Only with `topic`: direct sends to users are never signed.
   *
   * @default {undefined}
   */
  sign?: PublicationSigningKey | PublicationSigner;
  /**
   * Make the publication on `topic` safe to retry, as {@linkcode PublishOptions.idempotencyKey}
   * does (in the server's scope). Only with `topic` and without `users`: direct sends to users
   * are not remembered, so a retry would reach them twice.
   *
   * @default {undefined}
   */
  idempotencyKey?: string;
}
