import assert from "node:assert/strict";
import {
  DEFAULT_STOMP_DESTINATIONS,
  resolveStompDestination,
  resolveStompDestinationRule,
  topicDestination,
} from "../../src/protocol/stomp/destination.ts";

const SLASH = DEFAULT_STOMP_DESTINATIONS;
const DOT = resolveStompDestinationRule({ separator: "." });

Deno.test("resolveStompDestination maps each kind of destination by the rule", () => {
  const table: [string, typeof SLASH, unknown][] = [
    ["/topic/chat/lobby", SLASH, { kind: "topic", topic: "chat:lobby" }],
    ["/topic/chat.lobby", SLASH, { kind: "topic", topic: "chat.lobby" }],
    ["/topic/a.b/c", SLASH, { kind: "topic", topic: "a.b:c" }],
    ["/topic/chat/*", SLASH, { kind: "topic", topic: "chat:*" }],
    ["/topic/a/**", SLASH, { kind: "topic", topic: "a:**" }],
    ["/topic/chat.lobby", DOT, { kind: "topic", topic: "chat:lobby" }],
    ["/topic/chat.*", DOT, { kind: "topic", topic: "chat:*" }],
    ["/app/chat.echo", SLASH, { kind: "app", method: "chat.echo" }],
    ["/app/chat.echo", DOT, { kind: "app", method: "chat.echo" }],
    ["/user/queue/alerts", SLASH, { kind: "user", name: "alerts" }],
  ];
  for (const [destination, rule, expected] of table) {
    assert.deepEqual(resolveStompDestination(destination, rule), expected, destination);
  }
});

Deno.test("resolveStompDestination says why a destination names nothing", () => {
  const table: [string, typeof SLASH, RegExp][] = [
    ["/queue/a", SLASH, /Unknown destination '\/queue\/a'/],
    ["/topic/", SLASH, /Invalid pattern/],
    ["/topic/a//b", SLASH, /Invalid pattern/],
    ["/topic/chat/lobby", DOT, /Invalid pattern/],
    ["/topic/a b", SLASH, /Invalid pattern/],
    ["/app/", SLASH, /names no method/],
    ["/app/a b", SLASH, /names no method/],
    ["/user/queue/", SLASH, /names no queue/],
  ];
  for (const [destination, rule, message] of table) {
    const target = resolveStompDestination(destination, rule);
    assert.equal(target.kind, "invalid", destination);
    assert.match((target as { message: string }).message, message, destination);
  }
});

Deno.test("topicDestination is the inverse of the rule for topics it can name", () => {
  for (const rule of [SLASH, DOT]) {
    for (const topic of ["chat:lobby", "a:b:c", "x"]) {
      assert.deepEqual(resolveStompDestination(topicDestination(topic, rule), rule), {
        kind: "topic",
        topic,
      });
    }
  }
  assert.equal(topicDestination("a.b:c", SLASH), "/topic/a.b/c");
});

Deno.test("resolveStompDestinationRule refuses bad separators and prefixes", () => {
  assert.throws(() => resolveStompDestinationRule({ separator: ":" as "/" }), /separator/);
  assert.throws(() => resolveStompDestinationRule({ topicPrefix: "topic/" }), /start and end/);
  assert.throws(() => resolveStompDestinationRule({ appPrefix: "/app" }), /start and end/);
  assert.throws(() => resolveStompDestinationRule({ appPrefix: "/topic/" }), /two kinds|holds/);
  assert.throws(
    () => resolveStompDestinationRule({ topicPrefix: "/t/", appPrefix: "/t/app/" }),
    /one holds the other/,
  );
  assert.deepEqual(resolveStompDestinationRule(), { ...SLASH });
});
