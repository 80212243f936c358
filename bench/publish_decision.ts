// deno-lint-ignore-file no-console
/**
 * The publish frame's admission, in process: `parseClientFrame` (with its
 * topic check) then a cached `permissions.check`, on 1,000 freshly parsed
 * frames to as many topics in turn (the `fire_and_forget` scenario's
 * publisher). Each kind of round also runs with a plain `Map` lookup by the
 * topic in place of the check, and with the parse alone: the first lookup
 * of a freshly parsed topic hashes it, which the engine's own lookup would
 * pay if nothing came before it, so "check - Map" is the decision's own cost
 * and "Map - parse" that hashing.
 *
 * Given a second checkout's root, both run in this process, round by round
 * in turn, and the report pairs them.
 *
 * Run: `deno run --allow-env --allow-read bench/publish_decision.ts [--base /path/to/other/checkout]`.
 *
 * @module
 */

const TOPICS = 1000;
const PER_ROUND = 50;

type Admit = (frame: string, then: "check" | "map" | "none") => boolean;

/** The admission of one checkout: its parser and its permissions, one publisher. */
async function admission(root: string): Promise<Admit> {
  const { createPermissions } = await import(
    `${root}/src/hub/permissions.ts`
  ) as typeof import("../src/hub/permissions.ts");
  const { createHubMetrics } = await import(
    `${root}/src/hub/metrics.ts`
  ) as typeof import("../src/hub/metrics.ts");
  const { parseClientFrame, DEFAULT_FRAME_LIMITS } = await import(
    `${root}/src/protocol/parse.ts`
  ) as typeof import("../src/protocol/parse.ts");
  // A frame's handling holds one clock reading (`_frame_clock.ts`): a constant here.
  const at = Date.now();
  const permissions = createPermissions<{ id: string; isOpen: boolean }>({
    acl: { rules: [{ effect: "allow", actions: ["subscribe", "publish"], topics: ["bench:*"] }] },
    authorize: undefined,
    cache: { max: 1024, ttlMs: 60_000 },
    clock: { now: () => at, setTimer: () => 0, clearTimer: () => {} },
    metrics: createHubMetrics(),
    log: () => {},
    audit: () => {},
  });
  const connection = { id: "publisher", isOpen: true };
  const principal = { sub: "u1", roles: [], claims: { sub: "u1" }, expiresAt: null };
  const topics = new Map(Array.from({ length: TOPICS }, (_, i) => [`bench:t${i}`, true]));
  return (frame, then) => {
    const parsed = parseClientFrame(frame, DEFAULT_FRAME_LIMITS);
    if (!parsed.ok || parsed.frame.type !== "publish") throw new Error("Not a publish frame");
    const topic = parsed.frame.topic;
    if (then === "none") return true;
    if (then === "map") return topics.get(topic) === true;
    const verdict = permissions.check(connection, principal, "publish", topic);
    return !(verdict instanceof Promise) && verdict.allowed;
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

if (import.meta.main) {
  const at = Deno.args.indexOf("--base");
  const roots = [new URL("..", import.meta.url).pathname.replace(/\/$/, "")];
  if (at >= 0) roots.push(Deno.args[at + 1]);
  const admits = await Promise.all(roots.map(admission));
  const pad = "x".repeat(64);
  const frames = Array.from(
    { length: TOPICS },
    (_, i) => `{"type":"publish","topic":"bench:t${i}","payload":{"seq":1,"t":7,"pad":"${pad}"}}`,
  );
  const kinds = ["check", "map", "none"] as const;
  const round = (admit: Admit, then: typeof kinds[number]): number => {
    const started = performance.now();
    for (let k = 0; k < PER_ROUND; k++) {
      for (const frame of frames) if (!admit(frame, then)) throw new Error("Refused");
    }
    return (performance.now() - started) * 1000 / (PER_ROUND * TOPICS);
  };
  const rounds = Number(Deno.env.get("ROUNDS") ?? 60);
  const us = roots.map(() => kinds.map(() => [] as number[]));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < kinds.length; k++) {
      for (let s = 0; s < roots.length; s++) us[s][k].push(round(admits[s], kinds[k]));
    }
  }
  for (let s = 0; s < roots.length; s++) {
    const [check, map, none] = us[s].map(median);
    console.log(
      `${s === 0 ? "this checkout" : roots[s]}: parse + check ${check.toFixed(3)} us/frame ` +
        `(parse ${none.toFixed(3)}, topic hashing ${(map - none).toFixed(3)}, ` +
        `decision's own ${(check - map).toFixed(3)}; medians of ${rounds} rounds)`,
    );
  }
  if (roots.length === 2) {
    const paired = us[0][0].map((v, r) => v - us[1][0][r]);
    console.log(
      `this checkout - ${roots[1]}, parse + check, round by round: median ${
        median(paired).toFixed(3)
      } us/frame`,
    );
  }
}
