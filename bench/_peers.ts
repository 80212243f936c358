/**
 * The servers under comparison and how to start each one as its own
 * process, pinned to the server core.
 *
 * @module
 */

import { type Child, freePort, startProcess, waitForLine, waitForPort } from "./_proc.ts";

/** Which client protocol the load generator speaks to a peer. */
export type Protocol = "hub" | "hub-v1" | "stomp" | "plain" | "sio" | "nats";

/** A started server. */
export interface RunningServer {
  /** The pid whose /proc is sampled. */
  readonly pid: number;
  /** The WebSocket URL the load generator connects to. */
  readonly url: string;
  /** Stops the server. */
  stop(): Promise<void>;
}

/** Where and how to start a server. */
export interface StartContext {
  /** Repository root. */
  readonly root: string;
  /** Core to pin to, or `undefined` without `taskset`. */
  readonly core: number | undefined;
  /** File that receives the server's stderr. */
  readonly logFile: string;
}

/** One server under comparison. */
export interface Peer {
  /** Short id, used in tables and `--peers`. */
  readonly id: string;
  /** What it is. */
  readonly label: string;
  /** The load generator's client protocol. */
  readonly protocol: Protocol;
  /** Whether it is the hub itself (targets are reported for these). */
  readonly hub?: boolean;
  /** The scenarios it takes part in, when not all of them. */
  readonly scenarios?: readonly string[];
  /** Why it cannot run here, or `undefined` when it can. */
  unavailable(): Promise<string | undefined>;
  /** Starts a fresh server. */
  start(context: StartContext): Promise<RunningServer>;
}

/** The id of the bare baseline every ratio is taken against. */
export const BASELINE = "bare-deno";

const DENO_RUN = [
  "run",
  "--allow-net",
  "--allow-env",
  "--allow-read",
  // Extra flags for profiling the Deno servers, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  ...(Deno.env.get("BENCH_SERVER_DENO_FLAGS") ?? "").split(" ").filter((f) => f !== ""),
];
const READY_TIMEOUT_MS = 20_000;

async function readyOnStdout(
  child: Child,
  path: string,
): Promise<RunningServer> {
  const port = await waitForLine(child, "READY ", READY_TIMEOUT_MS);
  if (port === undefined) {
    await child.stop();
    throw new Error("Server did not print READY in time");
  }
  return { pid: child.pid, url: `ws://127.0.0.1:${port}${path}`, stop: () => child.stop() };
}

/**
 * The hub on the Deno adapter in a variant: `history` keeps every topic's
 * last 100 publications (fan-out only, to compare with history off in the
 * same run); `v1` is driven by clients offering only `realtime.v1` (no
 * batching) and publishing without ids (many topics and fire and forget
 * only); `stomp` by STOMP 1.2 clients (fan-out and fire and forget only).
 */
function hubVariant(variant: "history" | "v1" | "stomp", base?: string): Peer {
  return {
    id: `hub-deno-${variant}${base === undefined ? "" : "-base"}`,
    label: variant === "history"
      ? "@realtime/hub, Deno adapter, history on every topic (100 publications, 5 min)"
      : variant === "stomp"
      ? "@realtime/hub, Deno adapter, STOMP 1.2 clients (docs/stomp.md), SEND with receipts (without in fire and forget)"
      : `@realtime/hub, Deno adapter, clients offering only realtime.v1, publishes without ids${
        base === undefined ? "" : `, from ${base}`
      }`,
    protocol: variant === "history" ? "hub" : variant === "stomp" ? "stomp" : "hub-v1",
    scenarios: variant === "history"
      ? ["fanout"]
      : variant === "stomp"
      ? ["fanout", "fire_and_forget"]
      : ["many_topics", "fire_and_forget"],
    unavailable: () => Promise.resolve(undefined),
    start: async ({ root, core, logFile }) =>
      await readyOnStdout(
        await startProcess(
          Deno.execPath(),
          [
            ...DENO_RUN,
            "bench/servers/hub.ts",
            "deno",
            ...(variant === "history" ? ["history"] : []),
          ],
          { cwd: base ?? root, core, stderrFile: logFile },
        ),
        "/ws",
      ),
  };
}

function hubPeer(transport: "deno" | "ws", withConsole = false): Peer {
  return {
    id: `hub-${transport}${withConsole ? "-console" : ""}`,
    label: `@realtime/hub, ${
      transport === "deno" ? "Deno.upgradeWebSocket" : "npm ws"
    } adapter, HS256 + 10 ACL rules + capabilities${
      withConsole ? ", one operator console viewer open" : ""
    }`,
    protocol: "hub",
    hub: !withConsole,
    ...(withConsole ? { scenarios: ["fanout"] } : {}),
    unavailable: () => Promise.resolve(undefined),
    start: async ({ root, core, logFile }) =>
      await readyOnStdout(
        await startProcess(
          Deno.execPath(),
          [...DENO_RUN, "bench/servers/hub.ts", transport, ...(withConsole ? ["console"] : [])],
          { cwd: root, core, stderrFile: logFile },
        ),
        "/ws",
      ),
  };
}

const bareDeno: Peer = {
  id: BASELINE,
  label: "bare Deno.upgradeWebSocket pub/sub (same JSON frames, no auth, no ACL)",
  protocol: "plain",
  unavailable: () => Promise.resolve(undefined),
  start: async ({ root, core, logFile }) =>
    await readyOnStdout(
      await startProcess(Deno.execPath(), [...DENO_RUN, "bench/servers/bare_deno.ts"], {
        cwd: root,
        core,
        stderrFile: logFile,
      }),
      "/",
    ),
};

/** The id of the bare loop that also verifies a JWT per connection. */
export const BASELINE_JWT = "bare-deno-jwt";

const bareDenoJwt: Peer = {
  id: BASELINE_JWT,
  label:
    "the bare loop plus what any authenticated server does: jose HS256 check of the subprotocol token, a welcome frame",
  protocol: "hub",
  // Authentication happens once per connection: the per-message scenarios would repeat bare-deno.
  scenarios: ["connect_rate", "memory"],
  unavailable: () => Promise.resolve(undefined),
  start: async ({ root, core, logFile }) =>
    await readyOnStdout(
      await startProcess(
        Deno.execPath(),
        [...DENO_RUN, "bench/servers/bare_deno.ts", "--jwt"],
        { cwd: root, core, stderrFile: logFile },
      ),
      "/",
    ),
};

function nodePeer(id: string, label: string, protocol: Protocol, script: string, path: string) {
  return {
    id,
    label,
    protocol,
    unavailable: () => Promise.resolve(undefined),
    start: async ({ root, core, logFile }: StartContext) =>
      await readyOnStdout(
        await startProcess("node", [script], {
          cwd: `${root}/bench/node`,
          core,
          stderrFile: logFile,
        }),
        path,
      ),
  } satisfies Peer;
}

const nats: Peer = {
  id: "nats",
  label: "NATS server (Debian package) WebSocket listener: the high-water mark",
  protocol: "nats",
  async unavailable() {
    try {
      await new Deno.Command("nats-server", { args: ["--version"], stdout: "null" }).output();
      return undefined;
    } catch {
      return "nats-server is not installed (apt-get install nats-server)";
    }
  },
  async start({ core, logFile }) {
    const port = freePort();
    const wsPort = freePort();
    const config = await Deno.makeTempFile({ prefix: "bench-nats-", suffix: ".conf" });
    await Deno.writeTextFile(
      config,
      `listen: "127.0.0.1:${port}"\nwebsocket {\n  listen: "127.0.0.1:${wsPort}"\n  no_tls: true\n}\n`,
    );
    const child = await startProcess("nats-server", ["-c", config], {
      core,
      stderrFile: logFile,
    });
    if (!await waitForPort(wsPort, READY_TIMEOUT_MS)) {
      await child.stop();
      throw new Error("nats-server did not listen in time");
    }
    return {
      pid: child.pid,
      url: `ws://127.0.0.1:${wsPort}`,
      stop: async () => {
        await child.stop();
        await Deno.remove(config).catch(() => {});
      },
    };
  },
};

/**
 * `BENCH_BASE_ROOT`: another checkout of the repository (a worktree at the
 * commit before a change), whose hub runs as `hub-deno-v1-base` in the same
 * rounds as this one's, to judge a change on a busy machine.
 */
const BASE_ROOT = Deno.env.get("BENCH_BASE_ROOT");

/** Every peer, in table order. */
export const PEERS: readonly Peer[] = [
  bareDeno,
  bareDenoJwt,
  hubPeer("deno"),
  hubPeer("ws"),
  hubPeer("ws", true),
  hubVariant("history"),
  hubVariant("v1"),
  hubVariant("stomp"),
  ...(BASE_ROOT === undefined ? [] : [hubVariant("v1", BASE_ROOT)]),
  nodePeer(
    "node-ws",
    "Node + npm ws (same JSON frames, no auth, no ACL)",
    "plain",
    "ws_server.mjs",
    "/",
  ),
  nodePeer(
    "socket.io",
    "Socket.IO on Node (websocket transport only, rooms as topics, ack callbacks)",
    "sio",
    "socketio_server.mjs",
    "/socket.io/?EIO=4&transport=websocket",
  ),
  nats,
];
