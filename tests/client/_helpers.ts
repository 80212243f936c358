// Helpers for client tests: wait on a client's events with a timeout, and a
// hub that can be stopped and started again on the same port.

import type { Hub } from "../../src/hub/hub.ts";
import { createHub } from "../../src/server/create_hub.ts";
import type { HubOptions } from "../../src/hub/options.ts";
import { serve, type Server, type Transport } from "../../src/server/serve.ts";
import { type MintClaims, type MintOptions, mintToken } from "../../src/auth/mint.ts";
import type { RealtimeClient, RealtimeEvents } from "../../src/client/mod.ts";
import { SECRET } from "../_support/hub.ts";

export const CHAT_ACL = { "chat:*": ["subscribe", "publish"] };

/** Resolves with the arguments of the next `event` for which `match` holds. */
export function next<K extends keyof RealtimeEvents>(
  rt: RealtimeClient,
  event: K,
  match: (...args: Parameters<RealtimeEvents[K]>) => boolean = () => true,
  timeoutMs = 5000,
): Promise<Parameters<RealtimeEvents[K]>> {
  const { promise, resolve, reject } = Promise.withResolvers<Parameters<RealtimeEvents[K]>>();
  const timer = setTimeout(
    () => reject(new Error(`Timed out after ${timeoutMs} ms waiting for '${event}'`)),
    timeoutMs,
  );
  const off = rt.on(
    event,
    ((...args: Parameters<RealtimeEvents[K]>) => {
      if (match(...args)) resolve(args);
    }) as RealtimeEvents[K],
  );
  return promise.finally(() => {
    clearTimeout(timer);
    off();
  });
}

/** Resolves with the messages once `count` arrived on `topic`. */
export function collect(
  rt: RealtimeClient,
  topic: string,
  count: number,
  timeoutMs = 5000,
): { ready: Promise<void>; messages: Promise<unknown[]>; stop: () => void } {
  const payloads: unknown[] = [];
  const { promise, resolve, reject } = Promise.withResolvers<unknown[]>();
  const timer = setTimeout(
    () => reject(new Error(`Timed out after ${timeoutMs} ms: got ${JSON.stringify(payloads)}`)),
    timeoutMs,
  );
  const unsubscribe = rt.subscribe(topic, (msg) => {
    payloads.push(msg.payload);
    if (payloads.length === count) resolve(payloads);
  });
  const messages = promise.finally(() => clearTimeout(timer));
  messages.catch(() => {}); // reported where awaited
  return {
    ready: unsubscribe.ready,
    messages,
    stop: () => {
      clearTimeout(timer);
      unsubscribe();
    },
  };
}

/** A hub on a fixed port that a test can stop (dropping clients) and start again. */
export interface RestartableHub extends AsyncDisposable {
  readonly url: string;
  readonly hub: Hub;
  token(claims: MintClaims, options?: MintOptions): Promise<string>;
  /** `graceful`: close the hub first (1001); otherwise drop the sockets (1006). */
  stop(options: { graceful: boolean }): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startRestartableHub(
  transport: Transport,
  options: Partial<HubOptions> = {},
): Promise<RestartableHub> {
  let hub: Hub | undefined;
  let server: Server | undefined;
  let port = 0;
  const start = async () => {
    hub = createHub({ auth: { secret: SECRET }, log: () => {}, ...options } as HubOptions);
    server = await serve(hub, { port, hostname: "127.0.0.1", transport });
    port = server.port;
  };
  const stop = async ({ graceful }: { graceful: boolean }) => {
    if (graceful) await hub?.close();
    await server?.close();
    if (!graceful) await hub?.close();
    hub = undefined;
    server = undefined;
  };
  await start();
  const close = () => stop({ graceful: true });
  return {
    get url() {
      return `ws://127.0.0.1:${port}/ws`;
    },
    get hub() {
      if (hub === undefined) throw new Error("The hub is stopped");
      return hub;
    },
    token: (claims, opts) => mintToken(claims, { secret: SECRET }, { ttl: "1h", ...opts }),
    stop,
    start,
    close,
    [Symbol.asyncDispose]: close,
  };
}
