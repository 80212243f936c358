// realtime-cli's side of history, recovery and presence, against a scripted
// hub on 127.0.0.1 (the real hub does not speak these frames yet): `tail`
// resumes with since after a drop and says when it could not, `tail --since`,
// `history` and `presence` send the right requests and print the replies.

import assert from "node:assert/strict";
import { type Frame, type PeerConnection, scriptedPeer } from "../client/_scripted_peer.ts";
import { baseEnv, CliProcess, runCli } from "./_cli.ts";

const msg = (offset: number) => ({
  type: "message",
  topic: "chat:a",
  payload: offset,
  from: "bob",
  ts: 1,
  offset,
});

async function answerSubscribe(conn: PeerConnection, reply: Frame, ...after: Frame[]) {
  const request = await conn.nextOf("subscribe", 15_000);
  conn.send({ type: "ack", id: request.id, ...reply }, ...after);
  return request;
}

function env(url: string) {
  return baseEnv({ REALTIME_URL: url, REALTIME_TOKEN: "a.b.c" });
}

Deno.test("realtime-cli tail resumes with since after a drop, printing each offset once", async () => {
  await using peer = scriptedPeer();
  await using tail = new CliProcess(["tail", "chat:a", "--json", "--count", "5"], {
    env: env(peer.url),
  });
  const first = await peer.connection(1, 15_000);
  await answerSubscribe(first, { offset: 3, epoch: "e1" }, msg(4), msg(5));
  await tail.out(/"offset":5/);
  first.close(4008);
  const second = await peer.connection(2, 15_000);
  const again = await answerSubscribe(
    second,
    { offset: 7, epoch: "e1", recovered: true },
    msg(6),
    msg(5),
    msg(7),
    msg(8),
  );
  assert.deepEqual(again.since, { offset: 5, epoch: "e1" });
  const result = await tail.status();
  assert.equal(result.code, 0, result.stderr);
  const offsets = result.stdout.trim().split("\n").map((line) => JSON.parse(line).offset);
  assert.deepEqual(offsets, [4, 5, 6, 7, 8]);
  assert.match(result.stderr, /resumed 'chat:a': every missed message follows \(recovered: true\)/);
});

Deno.test("realtime-cli tail says on stderr when it could not recover", async () => {
  await using peer = scriptedPeer();
  await using tail = new CliProcess(["tail", "chat:a", "--json"], { env: env(peer.url) });
  const first = await peer.connection(1, 15_000);
  await answerSubscribe(first, { offset: 3, epoch: "e1" });
  await tail.err(/subscribed to chat:a/);
  first.close(4008);
  const second = await peer.connection(2, 15_000);
  await answerSubscribe(second, { offset: 50, epoch: "e2", recovered: false }, msg(51));
  await tail.err(
    /could not recover messages missed on 'chat:a' \(recovered: false\): the hub no longer holds them, or the token lacks 'history' on the topic; continuing after offset 50/,
  );
  await tail.out(/"offset":51/);
});

Deno.test("realtime-cli tail --since reads the epoch, then subscribes with since", async () => {
  await using peer = scriptedPeer();
  await using tail = new CliProcess(["tail", "chat:a", "--since", "2", "--json", "--count", "2"], {
    env: env(peer.url),
  });
  const conn = await peer.connection(1, 15_000);
  const position = await conn.nextOf("history", 15_000);
  assert.deepEqual(position, { type: "history", id: position.id, topic: "chat:a", limit: 0 });
  conn.send({
    type: "history",
    id: position.id,
    topic: "chat:a",
    offset: 4,
    epoch: "e7",
    publications: [],
  });
  const request = await answerSubscribe(
    conn,
    { offset: 4, epoch: "e7", recovered: true },
    msg(3),
    msg(4),
  );
  assert.deepEqual(request.since, { offset: 2, epoch: "e7" });
  const result = await tail.status();
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(result.stdout.trim().split("\n").map((l) => JSON.parse(l).offset), [3, 4]);

  const usage = await runCli(["tail", "chat:*", "--since", "1"], { env: env(peer.url) });
  assert.equal(usage.code, 1);
  assert.match(usage.stderr, /--since needs exactly one concrete topic/);
  const bad = await runCli(["tail", "chat:a", "--since", "x:1"], { env: env(peer.url) });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Expected OFFSET or OFFSET:EPOCH/);
});

Deno.test("realtime-cli history and presence print the hub's replies", async () => {
  await using peer = scriptedPeer();
  const history = runCli(["history", "chat:a", "--limit", "2", "--reverse", "--json"], {
    env: env(peer.url),
  });
  const conn = await peer.connection(1, 15_000);
  const request = await conn.nextOf("history", 15_000);
  assert.deepEqual(request, {
    type: "history",
    id: request.id,
    topic: "chat:a",
    limit: 2,
    reverse: true,
  });
  conn.send({
    type: "history",
    id: request.id,
    topic: "chat:a",
    offset: 9,
    epoch: "e1",
    publications: [
      { offset: 9, payload: "b", from: "bob", ts: 2 },
      { offset: 8, payload: "a", from: "eve", ts: 1 },
    ],
  });
  const printed = await history;
  assert.equal(printed.code, 0, printed.stderr);
  assert.deepEqual(printed.stdout.trim().split("\n").map((l) => JSON.parse(l).payload), ["b", "a"]);
  assert.match(printed.stderr, /'chat:a' is at offset 9 of epoch e1 \(tail --since 9:e1\)/);

  const presence = runCli(["presence", "room:1"], { env: env(peer.url) });
  const conn2 = await peer.connection(2, 15_000);
  const asked = await conn2.nextOf("presence", 15_000);
  conn2.send({
    type: "presence",
    id: asked.id,
    topic: "room:1",
    clients: [
      { user: "alice", connectionId: "c1", info: { name: "A" } },
      { user: "alice", connectionId: "c2" },
    ],
  });
  const members = await presence;
  assert.equal(members.code, 0, members.stderr);
  assert.equal(members.stdout, 'alice c1 {"name":"A"}\nalice c2\n');
  assert.match(members.stderr, /2 connections, 1 users on 'room:1'/);

  const stats = runCli(["presence", "room:1", "--stats"], { env: env(peer.url) });
  const conn3 = await peer.connection(3, 15_000);
  const statsAsked = await conn3.nextOf("presence_stats", 15_000);
  conn3.send({ type: "error", id: statsAsked.id, code: "FORBIDDEN", message: "no", retry: false });
  const denied = await stats;
  assert.equal(denied.code, 2);
  assert.match(denied.stderr, /Cannot read the presence of 'room:1': no \(FORBIDDEN\)/);
});
