// The scripts' variants for Redis that can fail over (Sentinel, Cluster, or a
// master with replicas to wait for). Redis replicates asynchronously, so a
// promoted replica can lack the last writes its master confirmed and
// published: offsets then go backwards and get reused for other
// publications. A client holding such an offset must never be told its
// recovery is complete. So each topic's metadata remembers the replication
// ID of the master that last wrote it (`r`); Redis gives a master a new one
// whenever it is promoted or restarted. A script run by another master
// gives the topic a new epoch (offsets continue, the stream stays: what
// survived is still history), so every older position recovers with
// `recovered: false`. A topic without metadata is left to the script itself,
// which creates it (or, for a publication its user's quota must pay for
// first, writes nothing and answers 0, passed on as it is); the master's ID
// is stamped on whatever metadata the script left. The variant also returns
// how many replicas were online, for the engine's WAIT.

import { type Script, type Scripts, sha1 } from "./_scripts.ts";

// Runs first: the master's replication ID and online replicas, and the
// function that gives the topic a new epoch when another master wrote it.
const TIMELINE = `
local info = redis.call('INFO', 'replication')
local timeline = string.match(info, 'master_replid:(%x+)') or ''
local online = 0
for _ in string.gmatch(info, 'state=online') do online = online + 1 end
local function followTimeline(meta, epoch)
  local m = redis.call('HMGET', meta, 'e', 'r')
  if not m[1] or m[2] == timeline then return end
  redis.call('HSET', meta, 'e', epoch, 'r', timeline)
end
`;

/** `source` (KEYS meta, stream; a new epoch in ARGV[epochArg]) checked against the timeline; replies with the online replica count appended. */
function followingTimeline(source: string, epochArg: number): string {
  return `${TIMELINE}followTimeline(KEYS[1], ARGV[${epochArg}])
local function run()
${source}
end
local reply = run()
if type(reply) ~= 'table' then return reply end
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'r', timeline) end
table.insert(reply, online)
return reply
`;
}

/** The publish and read scripts that follow the timeline. */
export interface TimelineScripts {
  readonly publish: Script;
  readonly read: Script;
}

export async function loadTimelineScripts(base: Scripts): Promise<TimelineScripts> {
  const variant = async (script: Script, epochArg: number): Promise<Script> => {
    const source = followingTimeline(script.source, epochArg);
    return { name: `${script.name}Timeline`, source, sha: await sha1(source) };
  };
  // PUBLISH's new epoch is ARGV[3], READ's ARGV[1] (see _scripts.ts).
  return { publish: await variant(base.publish, 3), read: await variant(base.read, 1) };
}
