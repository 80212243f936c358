// The ~100-byte payload every scenario publishes: a sequence number, the
// send time (ms, high resolution, one clock for publisher and subscribers as
// both live in this process) and padding.
const PAD = "x".repeat(56);

/**
 * The payload as JSON text, built without `JSON.stringify` so that the
 * client's cost per message stays small next to the server's.
 * @returns {string} `{"seq":..,"t":..,"pad":".."}`
 */
export function payload(seq) {
  return `{"seq":${seq},"t":${performance.timeOrigin + performance.now()},"pad":"${PAD}"}`;
}

/** The same clock as `payload(...).t`. */
export function now() {
  return performance.timeOrigin + performance.now();
}

/**
 * Publishes `count` messages through `client` keeping at most `window`
 * unacknowledged; resolves when all are acked.
 */
export function publishWindowed(client, topic, count, window, seqBase = 0) {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let acked = 0;
    const pump = () => {
      while (sent < count && sent - acked < window) {
        client.publish(topic, payload(seqBase + sent++)).then(() => {
          if (++acked === count) resolve();
          else pump();
        }, reject);
      }
    };
    if (count === 0) resolve();
    else pump();
  });
}
