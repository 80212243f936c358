// What travels through Redis, as compact JSON. A publication is encoded once
// by the publisher; the Lua script wraps it with its offset and epoch without
// parsing it. Everything read back is checked before use: another writer on
// the same Redis must not be able to crash a hub.

import type { ControlCommand, EnginePublication, PresenceEntry } from "../engine.ts";
import { isControlType } from "../_validate.ts";

/** What {@linkcode parseJson} returns for text that is not JSON. */
const INVALID = Symbol("invalid JSON");

/** Parses untrusted text read from Redis; never throws. */
function parseJson(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return INVALID;
  }
}

/** What a topic channel carries. */
export type ChannelMessage =
  | { kind: "publication"; publication: EnginePublication; offset?: number; epoch?: string }
  | { kind: "join" | "leave"; entry: PresenceEntry };

export function encodePublication(p: EnginePublication): string {
  return JSON.stringify({ d: p.data, v: p.event, f: p.from, t: p.ts, x: p.extra });
}

export function decodePublication(json: string): EnginePublication | undefined {
  const raw = parseJson(json);
  if (raw === INVALID) return undefined;
  return toPublication(raw);
}

function toPublication(raw: unknown): EnginePublication | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const { d, v, f, t, x } = raw as Record<string, unknown>;
  if (typeof d !== "string" || typeof t !== "number") return undefined;
  if (f !== null && typeof f !== "string") return undefined;
  if (v !== undefined && typeof v !== "string") return undefined;
  if (x !== undefined && typeof x !== "string") return undefined;
  const publication: { -readonly [K in keyof EnginePublication]: EnginePublication[K] } = {
    data: d,
    from: f,
    ts: t,
  };
  if (v !== undefined) publication.event = v;
  if (x !== undefined) publication.extra = x;
  return publication;
}

/** The plain message of a topic that keeps no history. */
export function plainMessage(encodedPublication: string): string {
  return `{"p":${encodedPublication}}`;
}

export function encodeEntry(entry: PresenceEntry): string {
  return JSON.stringify({ c: entry.connection, u: entry.user, i: entry.info });
}

export function decodeEntry(json: string): PresenceEntry | undefined {
  const raw = parseJson(json);
  if (raw === INVALID) return undefined;
  return toEntry(raw);
}

function toEntry(raw: unknown): PresenceEntry | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const { c, u, i } = raw as Record<string, unknown>;
  if (typeof c !== "string" || typeof u !== "string") return undefined;
  return i === undefined ? { connection: c, user: u } : { connection: c, user: u, info: i };
}

export function decodeChannelMessage(json: string): ChannelMessage | undefined {
  const raw = parseJson(json);
  if (raw === INVALID) return undefined;
  if (typeof raw !== "object" || raw === null) return undefined;
  const { p, o, e, j, l } = raw as Record<string, unknown>;
  if (p !== undefined) {
    const publication = toPublication(p);
    if (publication === undefined) return undefined;
    if (o === undefined) return { kind: "publication", publication };
    if (!Number.isSafeInteger(o) || (o as number) < 1 || typeof e !== "string") return undefined;
    return { kind: "publication", publication, offset: o as number, epoch: e };
  }
  const entry = toEntry(j ?? l);
  if (entry === undefined) return undefined;
  return { kind: j !== undefined ? "join" : "leave", entry };
}

export function encodeControl(sender: string, command: ControlCommand): string {
  return JSON.stringify({ s: sender, c: command });
}

export function decodeControl(
  json: string,
): { sender: string; command: ControlCommand } | undefined {
  const raw = parseJson(json);
  if (raw === INVALID) return undefined;
  if (typeof raw !== "object" || raw === null) return undefined;
  const { s, c } = raw as Record<string, unknown>;
  if (typeof s !== "string" || typeof c !== "object" || c === null) return undefined;
  if (!isControlType((c as { type?: unknown }).type)) return undefined;
  return { sender: s, command: c as ControlCommand };
}
