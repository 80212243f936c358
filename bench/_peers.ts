/**
 * The servers under comparison and how to start each one as its own
 * process, pinned to the server core.
 *
 * @module
 */

import { type Child, freePort, startProcess, waitForLine, waitForPort } from "./_proc.ts";

/** Which client protocol the load generator speaks to a peer. */
export type Protocol = "hub" | "hub-v1" | "stomp" | "sse" | "plain" | "sio" | "nats";

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
/** This checkout. */
const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/**
 * How the hub's own processes run: as `deno task start` runs the server
 * (its command in the checkout's `deno.json`: the environment variables it
 * sets and its `--v8-flags`, today a smaller young generation and two malloc
 * arenas), so the bench measures what an operator deploys, and a checkout
 * from before a change runs with its own settings. `BENCH_HUB_RUNTIME=plain`
 * runs them with Deno's defaults instead, to see what the settings are worth.
 */
interface Runtime {
  readonly flags: readonly string[];
  readonly env: Record<string, string>;
}
const PLAIN_RUNTIME: Runtime = { flags: [], env: {} };

/**
 * The runtime settings of the start task in `root`'s `deno.json`: the
 * `NAME=value` words before `deno` and the `--v8-flags=` argument.
 *
 * @param root A checkout of the repository.
 * @returns The settings; Deno's defaults when the task sets none.
 */
export function startTaskRuntime(root: string): Runtime {
  if (Deno.env.get("BENCH_HUB_RUNTIME") === "plain") return PLAIN_RUNTIME;
  let task: unknown;
  try {
    task = JSON.parse(Deno.readTextFileSync(`${root}/deno.json`)).tasks?.start;
  } catch {
    return PLAIN_RUNTIME;
  }
  const command = typeof task === "string"
    ? task
    : (task as { command?: unknown } | undefined)?.command;
  if (typeof command !== "string") return PLAIN_RUNTIME;
  const words = command.split(/\s+/).filter((w) => w !== "");
  const env: Record<string, string> = {};
  for (const word of words) {
    const assignment = /^([A-Z_][A-Z0-9_]*)=(\S*)$/.exec(word);
    if (assignment === null) break;
    env[assignment[1]] = assignment[2];
  }
  return { flags: words.filter((w) => w.startsWith("--v8-flags=")), env };
}

/**
 * A checkout of an earlier commit (`BENCH_BEFORE=/path/to/checkout`): its
 * hub runs as extra peers (`hub-deno-before`, `hub-ws-before`) from its own
 * `bench/servers/hub.ts`, with its own start task's runtime settings, so a
 * change is judged against what it replaces in one invocation, round by round.
 */
const BEFORE_ROOT = Deno.env.get("BENCH_BEFORE");

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
 * only); `stomp` by STOMP 1.2 clients (fan-out and fire and forget only);
 * `sse` by subscribers on Server-Sent Events streams (`GET /sse`) with a
 * protocol v1 WebSocket publisher (fan-out only).
 */
function hubVariant(variant: "history" | "v1" | "stomp" | "sse", base?: string): Peer {
  // A base checkout (BENCH_BASE_ROOT) is this tree's recent past: it runs
  // with the same runtime settings, so the two differ only in their code.
  const runtime = startTaskRuntime(ROOT);
  return {
    id: `hub-deno-${variant}${base === undefined ? "" : "-base"}`,
    label: variant === "history"
      ? "@realtime/hub, Deno adapter, history on every topic (100 publications, 5 min)"
      : variant === "stomp"
      ? `@realtime/hub, Deno adapter, STOMP 1.2 clients (docs/stomp.md), SEND with receipts (without in fire and forget)${
        base === undefined ? "" : `, from ${base}`
      }`
      : variant === "sse"
      ? "@realtime/hub, Deno adapter, subscribers on SSE streams (GET /sse, docs/protocol.md), publisher on protocol v1 over WebSocket"
      : `@realtime/hub, Deno adapter, clients offering only realtime.v1, publishes without ids${
        base === undefined ? "" : `, from ${base}`
      }`,
    protocol: variant === "history"
      ? "hub"
      : variant === "stomp"
      ? "stomp"
      : variant === "sse"
      ? "sse"
      : "hub-v1",
    scenarios: variant === "history" || variant === "sse"
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
            ...runtime.flags,
            "bench/servers/hub.ts",
            "deno",
            ...(variant === "history" ? ["history"] : []),
          ],
          { cwd: base ?? root, core, stderrFile: logFile, env: runtime.env },
        ),
        "/ws",
      ),
  };
}

function hubPeer(transport: "deno" | "ws", withConsole = false, before = false): Peer {
  const runtime = startTaskRuntime(before && BEFORE_ROOT !== undefined ? BEFORE_ROOT : ROOT);
  return {
    id: `hub-${transport}${withConsole ? "-console" : ""}${before ? "-before" : ""}`,
    label: `${before ? `BEFORE (${BEFORE_ROOT}): ` : ""}@realtime/hub, ${
      transport === "deno" ? "Deno.upgradeWebSocket" : "node:http WebSocket"
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
          [
            ...DENO_RUN,
            ...runtime.flags,
            "bench/servers/hub.ts",
            transport,
            ...(withConsole ? ["console"] : []),
          ],
          { cwd: before ? BEFORE_ROOT : root, core, stderrFile: logFile, env: runtime.env },
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
  scenarios: ["connect_rate", "cold_start", "memory"],
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
 * commit before a change), whose hub runs as `hub-deno-v1-base` and
 * `hub-deno-stomp-base` (with the same runtime settings) in the same
 * rounds as this one's, to judge a change on a busy machine.
 */
const BASE_ROOT = Deno.env.get("BENCH_BASE_ROOT");

/** Every peer, in table order. */
export const PEERS: readonly Peer[] = [
  bareDeno,
  bareDenoJwt,
  hubPeer("deno"),
  hubPeer("ws"),
  ...(BEFORE_ROOT === undefined ? [] : [hubPeer("deno", false, true), hubPeer("ws", false, true)]),
  hubPeer("ws", true),
  hubVariant("history"),
  hubVariant("v1"),
  hubVariant("stomp"),
  hubVariant("sse"),
  ...(BASE_ROOT === undefined ? [] : [hubVariant("v1", BASE_ROOT), hubVariant("stomp", BASE_ROOT)]),
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
