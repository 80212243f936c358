// The Lua scripts. Each runs atomically on the shard that owns the topic and
// touches only that topic's keys (one hash tag, so one Cluster slot). Script
// errors do not roll back earlier writes, so every write that can fail comes
// before the offset is taken or cannot fail by construction (an epoch is
// created only together with deleting the old stream, so XADD's id `<offset>-0`
// is always above the stream's last id).

/** One Lua script and its SHA-1, for EVALSHA. */
export interface Script {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

// KEYS: meta, stream, idempotency positions, idempotency expiry. ARGV:
// channel, encoded publication, new epoch, size, ttl ms, most bytes kept, may
// create ('1' or '0'), idempotency key ('' for none), idempotency window ms,
// most idempotency keys.
// Returns {offset, epoch}. A key the publisher used on this topic within the
// window returns {offset, epoch, 'r'} with the position it was published at
// and writes nothing else: the repeat is neither stored nor published. A publisher's keys are dropped
// when they lapse (Redis clock) and, past the most kept, oldest first. When the topic has no stream yet (or its metadata
// is gone, so its stream starts over) and ARGV[7] is '0', returns 0 and
// writes nothing: creating a stream is charged to the publisher's quota
// first (NEW_STREAM), then this runs again with '1'.
// The stream keeps at most `size` entries and, beyond its newest entry, at
// most ARGV[6] bytes of encoded publications: meta field `b` holds the bytes
// of the entries kept, and the oldest entries go first. Nothing after the
// offset is taken can fail: the payload of a trimmed entry is measured only
// when it is a string.
const PUBLISH = `
local idem, now = ARGV[8], 0
if idem ~= '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local lapsed = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now)
  for _, k in ipairs(lapsed) do redis.call('HDEL', KEYS[3], k) end
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
  local held = redis.call('HGET', KEYS[3], idem)
  -- A key held with no position was published while the topic kept no
  -- history (its rules changed since): there is no position to answer with.
  local o, e = string.match(held or '', '^(%d+):(.*)$')
  if o then return {tonumber(o), e, 'r'} end
end
local epoch = redis.call('HGET', KEYS[1], 'e')
local exists = redis.call('EXISTS', KEYS[2]) == 1
if (not epoch or not exists) and ARGV[7] ~= '1' then return 0 end
if not epoch then
  epoch = ARGV[3]
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'e', epoch, 'o', 0, 'b', 0)
elseif not exists then
  redis.call('HSET', KEYS[1], 'b', 0)
end
local offset = redis.call('HINCRBY', KEYS[1], 'o', 1)
redis.call('XADD', KEYS[2], offset .. '-0', 'p', ARGV[2])
local bytes = redis.call('HINCRBY', KEYS[1], 'b', string.len(ARGV[2]))
local size, most = tonumber(ARGV[4]), tonumber(ARGV[6])
local n = redis.call('XLEN', KEYS[2])
if n > size or bytes > most then
  while n > 1 and (n > size or bytes > most) do
    local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)[1]
    redis.call('XDEL', KEYS[2], first[1])
    local p = first[2][2]
    if type(p) == 'string' then bytes = bytes - string.len(p) end
    n = n - 1
  end
  -- Entries written before bytes were counted make the sum too low, never negative.
  if bytes < 0 then bytes = 0 end
  redis.call('HSET', KEYS[1], 'b', bytes)
end
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PUBLISH', ARGV[1], '{"o":' .. offset .. ',"e":"' .. epoch .. '","p":' .. ARGV[2] .. '}')
if idem ~= '' then
  local window = tonumber(ARGV[9])
  redis.call('HSET', KEYS[3], idem, offset .. ':' .. epoch)
  redis.call('ZADD', KEYS[4], now + window, idem)
  local over = redis.call('ZCARD', KEYS[4]) - tonumber(ARGV[10])
  if over > 0 then
    local oldest = redis.call('ZPOPMIN', KEYS[4], over)
    for i = 1, #oldest, 2 do redis.call('HDEL', KEYS[3], oldest[i]) end
  end
  redis.call('PEXPIRE', KEYS[3], window)
  redis.call('PEXPIRE', KEYS[4], window)
end
return {offset, epoch}
`;

// A topic without history, a publication with an idempotency key. KEYS:
// idempotency positions, idempotency expiry. ARGV: channel, message, key,
// window ms, most keys. Publishes and remembers the key (with no position),
// or, for a key the publisher used on this topic within the window, does
// nothing. Returns 1 when it published, 0 for a repeat.
const PUBLISH_ONCE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, k in ipairs(lapsed) do redis.call('HDEL', KEYS[1], k) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('HEXISTS', KEYS[1], ARGV[3]) == 1 then return 0 end
redis.call('PUBLISH', ARGV[1], ARGV[2])
local window = tonumber(ARGV[4])
redis.call('HSET', KEYS[1], ARGV[3], '')
redis.call('ZADD', KEYS[2], now + window, ARGV[3])
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[5])
if over > 0 then
  local oldest = redis.call('ZPOPMIN', KEYS[2], over)
  for i = 1, #oldest, 2 do redis.call('HDEL', KEYS[1], oldest[i]) end
end
redis.call('PEXPIRE', KEYS[1], window)
redis.call('PEXPIRE', KEYS[2], window)
return 1
`;

// KEYS: a user's new-stream counter. ARGV: most streams per window, window ms.
// A fixed window: the first creation starts it. Returns the count including
// this creation when granted; when the user has used the window up, the
// negative number of ms until it ends (a refusal is not counted).
const NEW_STREAM = `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then
  local pt = redis.call('PTTL', KEYS[1])
  if pt > 0 then return -pt end
  -- A counter without a lifetime would refuse forever: start a new window.
  redis.call('DEL', KEYS[1])
end
n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n
`;

// KEYS: meta, stream. ARGV: new epoch, ttl ms, mode, ...
// mode 'pos': returns {epoch, offset}.
// mode 'hist' ARGV[4..7]: since offset ('' for none), since epoch, limit, reverse ('1'/'0').
// mode 'rec' ARGV[4..6]: since offset, since epoch, max recover.
// 'hist' and 'rec' return {epoch, offset, oldest, entries}; `oldest` is offset + 1
// when the stream is missing (its history was lost while the metadata lived).
const READ = `
local m = redis.call('HMGET', KEYS[1], 'e', 'o')
local epoch, offset = m[1], tonumber(m[2])
if not epoch then
  epoch = ARGV[1]
  offset = 0
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'e', epoch, 'o', 0)
end
local pt = redis.call('PTTL', KEYS[1])
if pt < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if ARGV[3] == 'pos' then return {epoch, offset} end
local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
local oldest = offset + 1
if first[1] then oldest = tonumber(string.match(first[1][1], '^(%d+)')) end
local entries = {}
local since = tonumber(ARGV[4])
local sameEpoch = ARGV[5] == epoch
if ARGV[3] == 'rec' then
  local missed = offset - since
  if sameEpoch and missed > 0 and missed <= tonumber(ARGV[6]) then
    entries = redis.call('XRANGE', KEYS[2], since + 1, '+', 'COUNT', missed)
  end
else
  local limit = tonumber(ARGV[6])
  if limit > 0 and (since == nil or sameEpoch) then
    if ARGV[7] == '1' then
      if since == nil then
        entries = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', limit)
      elseif since > 1 then
        entries = redis.call('XREVRANGE', KEYS[2], since - 1, '-', 'COUNT', limit)
      end
    else
      local from = '-'
      if since ~= nil then from = since + 1 end
      entries = redis.call('XRANGE', KEYS[2], from, '+', 'COUNT', limit)
    end
  end
end
return {epoch, offset, oldest, entries}
`;

// Drops expired presence entries, publishing a leave for each.
const PURGE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, c in ipairs(expired) do
  local e = redis.call('HGET', KEYS[1], c)
  redis.call('HDEL', KEYS[1], c)
  redis.call('ZREM', KEYS[2], c)
  if e then redis.call('PUBLISH', ARGV[1], '{"l":' .. e .. '}') end
end
`;

// KEYS: presence, presence expiry. ARGV: channel, ttl ms, then pairs of
// connection and entry JSON. Adds or refreshes; a changed entry is a leave and
// a join, an unchanged one is only a refresh.
const PRESENCE_ADD = PURGE + `
local ttl = tonumber(ARGV[2])
for i = 3, #ARGV, 2 do
  local c, e = ARGV[i], ARGV[i + 1]
  local prev = redis.call('HGET', KEYS[1], c)
  if prev ~= e then
    redis.call('HSET', KEYS[1], c, e)
    if prev then redis.call('PUBLISH', ARGV[1], '{"l":' .. prev .. '}') end
    redis.call('PUBLISH', ARGV[1], '{"j":' .. e .. '}')
  end
  redis.call('ZADD', KEYS[2], now + ttl, c)
end
for _, k in ipairs(KEYS) do
  if redis.call('PTTL', k) < ttl then redis.call('PEXPIRE', k, ttl) end
end
return 1
`;

// KEYS: presence, presence expiry. ARGV: channel, connection.
const PRESENCE_REMOVE = `
local e = redis.call('HGET', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[2])
if e then
  redis.call('HDEL', KEYS[1], ARGV[2])
  redis.call('PUBLISH', ARGV[1], '{"l":' .. e .. '}')
end
return 1
`;

// KEYS: presence, presence expiry. ARGV: channel. Returns the live entries.
const PRESENCE_READ = PURGE + `
return redis.call('HVALS', KEYS[1])
`;

// Drops the revocation cut-offs whose keep time passed. KEYS: cut-offs,
// expiry. ARGV[1]: now (ms).
const REVOCATIONS_PURGE = `
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[1])
for _, m in ipairs(gone) do redis.call('HDEL', KEYS[1], m) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[1])
`;

// Stores a revocation cut-off and sends the command in one step, so no hub
// can see the command without the cut-off being stored, or the reverse.
// KEYS: cut-offs, expiry. ARGV: now, channel, message, member, cut-off (ms),
// keep until (ms). A cut-off or keep time never moves backward.
const REVOKE = REVOCATIONS_PURGE + `
local held = tonumber(redis.call('HGET', KEYS[1], ARGV[4]))
if not held or held < tonumber(ARGV[5]) then redis.call('HSET', KEYS[1], ARGV[4], ARGV[5]) end
local keep = tonumber(redis.call('ZSCORE', KEYS[2], ARGV[4]))
if not keep or keep < tonumber(ARGV[6]) then redis.call('ZADD', KEYS[2], ARGV[6], ARGV[4]) end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`;

// KEYS: cut-offs, expiry. ARGV: now. Returns the live cut-offs as a flat
// member, cut-off list.
const REVOCATIONS_READ = REVOCATIONS_PURGE + `
return redis.call('HGETALL', KEYS[1])
`;

// Drops the node announcements that lapsed, by the Redis clock. KEYS: info,
// expiry. Sets `now` (ms).
const NODES_PURGE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. now)
for _, m in ipairs(gone) do redis.call('HDEL', KEYS[1], m) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. now)
`;

// KEYS: info, expiry. ARGV: node id, announcement, ttl ms.
const NODE_ANNOUNCE = NODES_PURGE + `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
return 1
`;

// KEYS: info, expiry. Returns the live announcements.
const NODES_READ = NODES_PURGE + `
return redis.call('HVALS', KEYS[1])
`;

// Keeps the latest rules and sends them in one step, so a hub cut off now
// reads them when it is back. KEYS: rules. ARGV: channel, message, version.
// An older version (a race between two hubs) is sent but not kept.
const RULES_SET = `
local held = redis.call('HGET', KEYS[1], 'v')
if not held or held < ARGV[3] then redis.call('HSET', KEYS[1], 'v', ARGV[3], 'c', ARGV[2]) end
redis.call('PUBLISH', ARGV[1], ARGV[2])
return 1
`;

export async function sha1(source: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(source));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The engine's scripts with their SHA-1 digests. */
export interface Scripts {
  readonly publish: Script;
  readonly publishOnce: Script;
  readonly newStream: Script;
  readonly read: Script;
  readonly presenceAdd: Script;
  readonly presenceRemove: Script;
  readonly presenceRead: Script;
  readonly revoke: Script;
  readonly revocationsRead: Script;
  readonly nodeAnnounce: Script;
  readonly nodesRead: Script;
  readonly rulesSet: Script;
}

export async function loadScripts(): Promise<Scripts> {
  const entries = Object.entries({
    publish: PUBLISH,
    publishOnce: PUBLISH_ONCE,
    newStream: NEW_STREAM,
    read: READ,
    presenceAdd: PRESENCE_ADD,
    presenceRemove: PRESENCE_REMOVE,
    presenceRead: PRESENCE_READ,
    revoke: REVOKE,
    revocationsRead: REVOCATIONS_READ,
    nodeAnnounce: NODE_ANNOUNCE,
    nodesRead: NODES_READ,
    rulesSet: RULES_SET,
  });
  const scripts = await Promise.all(
    entries.map(async ([name, source]) => ({ name, source, sha: await sha1(source) })),
  );
  return Object.fromEntries(scripts.map((s) => [s.name, s])) as unknown as Scripts;
}
