// The client's signers for `publish(..., { sign })`: one per key and
// algorithm, so a key is checked and imported once, not on every publish.
// Object keys (CryptoKey, JWK) are held weakly; string and byte keys in a
// small map, oldest forgotten first. The client imports this module
// dynamically (through `_signing.ts`, with the signing core and jose, most
// of the client's weight) on its first signed publish or verified
// subscription, so a client that does neither never downloads it.

import type { JwsAlgorithm } from "../auth/algorithms.ts";
import {
  createPublicationSigner,
  type PublicationSigner,
  type PublicationSigningKey,
} from "../signing/sign.ts";

/** Most string keys remembered; an application signs with a handful at most. */
const MAX_STRING_KEYS = 8;

function isSigner(value: unknown): value is PublicationSigner {
  return typeof value === "object" && value !== null &&
    typeof (value as Partial<PublicationSigner>).sign === "function" &&
    typeof (value as Partial<PublicationSigner>).alg === "string";
}

function kidOf(key: PublicationSigningKey): string | undefined {
  if (typeof key !== "object" || key === null || key instanceof Uint8Array) return undefined;
  if (typeof CryptoKey !== "undefined" && key instanceof CryptoKey) return undefined;
  const kid = (key as { kid?: unknown }).kid;
  return typeof kid === "string" && kid.length > 0 ? kid : undefined;
}

async function createSigner(
  key: PublicationSigningKey,
  alg: JwsAlgorithm | undefined,
): Promise<PublicationSigner> {
  return await createPublicationSigner(key, { alg, kid: kidOf(key) });
}

export class Signers {
  readonly #objects = new WeakMap<object, Map<string, Promise<PublicationSigner>>>();
  readonly #strings = new Map<string, Promise<PublicationSigner>>();

  /**
   * The signer for a key (a JWK's `kid` goes in the header), or the signer
   * given; rejects with the signing core's TypeError or RangeError for an
   * unusable key.
   */
  get(
    key: PublicationSigningKey | PublicationSigner,
    alg?: JwsAlgorithm,
  ): Promise<PublicationSigner> {
    if (isSigner(key)) return Promise.resolve(key);
    const make = () => {
      const signer = createSigner(key, alg);
      signer.catch(() => {}); // reported by the publish that asked
      return signer;
    };
    const variant = alg ?? "";
    if (typeof key === "string") {
      const name = `${variant}\n${key}`;
      let signer = this.#strings.get(name);
      if (signer === undefined) {
        signer = make();
        if (this.#strings.size >= MAX_STRING_KEYS) {
          this.#strings.delete(this.#strings.keys().next().value!);
        }
        this.#strings.set(name, signer);
      }
      return signer;
    }
    if (typeof key !== "object" || key === null) return make(); // rejects with the signer's TypeError
    let byAlg = this.#objects.get(key);
    if (byAlg === undefined) this.#objects.set(key, byAlg = new Map());
    let signer = byAlg.get(variant);
    if (signer === undefined) byAlg.set(variant, signer = make());
    return signer;
  }
}
