// Starts a real hub on 127.0.0.1 with a chosen transport for tests.

import type { Hub } from "../../src/hub/hub.ts";
import { createHub } from "../../src/server/create_hub.ts";
import type { HubOptions } from "../../src/hub/options.ts";
import { serve, type Transport } from "../../src/server/serve.ts";
import { type MintClaims, type MintOptions, mintToken } from "../../src/auth/mint.ts";
import type { LogEntry } from "../../src/hub/log.ts";

export const SECRET = "test-secret-of-at-least-32-bytes-long!!";
export const TRANSPORTS: Transport[] = ["ws", "deno"];

export interface TestHub extends AsyncDisposable {
  hub: Hub;
  url: string;
  port: number;
  logs: LogEntry[];
  token(claims: MintClaims, options?: MintOptions): Promise<string>;
  close(): Promise<void>;
}

export async function startTestHub(
  transport: Transport,
  options: Partial<HubOptions> = {},
): Promise<TestHub> {
  const logs: LogEntry[] = [];
  const hub = createHub(
    { auth: { secret: SECRET }, log: (e) => logs.push(e), ...options } as HubOptions,
  );
  const server = await serve(hub, { port: 0, hostname: "127.0.0.1", transport });
  const close = async () => {
    await hub.close();
    await server.close();
  };
  return {
    hub,
    logs,
    port: server.port,
    url: `ws://127.0.0.1:${server.port}/ws`,
    token: (claims, opts) => mintToken(claims, { secret: SECRET }, { ttl: "1h", ...opts }),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Registers one Deno.test per transport. */
export function eachTransport(name: string, fn: (transport: Transport) => Promise<void>): void {
  for (const transport of TRANSPORTS) {
    Deno.test({ name: `${name} [${transport}]`, fn: () => fn(transport) });
  }
}
