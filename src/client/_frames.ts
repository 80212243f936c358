// Reading server frames: one WebSocket message may carry several
// newline-delimited JSON frames (opt-in batching), so split before parsing.
// Anything that is not a well-formed frame is dropped: the server is trusted
// to speak the protocol, and unknown frame types are skipped for forward
// compatibility.

import type { ServerFrame } from "../protocol/frames.ts";
import { splitBatch } from "../protocol/subprotocols.ts";

// Field name -> accepted kinds (`typeof`, or "null").
const REQUIRED: Record<ServerFrame["type"], Record<string, readonly string[]>> = {
  welcome: { connectionId: ["string"], user: ["string"] },
  ack: {},
  pong: {},
  // A message sent directly to the user has topic null.
  message: { topic: ["string", "null"], ts: ["number"] },
  error: { code: ["string"], message: ["string"] },
  unsubscribed: { topic: ["string"], code: ["string"] },
  token_expiring: { expiresAt: ["number"] },
  history: { topic: ["string"], publications: ["object"], offset: ["number"], epoch: ["string"] },
  presence: { topic: ["string"], clients: ["object"] },
  presence_stats: { topic: ["string"], connections: ["number"], users: ["number"] },
  join: { topic: ["string"], user: ["string"], connectionId: ["string"] },
  leave: { topic: ["string"], user: ["string"], connectionId: ["string"] },
  insufficient_state: { topic: ["string"] },
  rpc: {},
};

export function readFrames(data: unknown): ServerFrame[] {
  if (typeof data !== "string") return [];
  const frames: ServerFrame[] = [];
  for (const line of splitBatch(data)) {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (isFrame(value)) frames.push(value);
  }
  return frames;
}

function isFrame(value: unknown): value is ServerFrame {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const frame = value as Record<string, unknown>;
  if (typeof frame.type !== "string" || !Object.hasOwn(REQUIRED, frame.type)) return false;
  const id = frame.id;
  if (id !== undefined && typeof id !== "string" && typeof id !== "number") return false;
  const fields = REQUIRED[frame.type as ServerFrame["type"]];
  for (const name in fields) {
    const actual: string = frame[name] === null ? "null" : typeof frame[name];
    if (!fields[name].includes(actual)) return false;
  }
  return true;
}
