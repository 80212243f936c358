// The ~100-byte payload every scenario publishes: a sequence number, the
// send time (integer microseconds of this process's monotonic clock, one
// clock for publisher and subscribers as both live in this process) and
// padding.
const PAD = "x".repeat(64);

/**
 * The payload as JSON text, built without `JSON.stringify` so that the
 * client's cost per message stays small next to the server's.
 * @returns {string} `{"seq":..,"t":..,"pad":".."}`
 */
export function payload(seq) {
  return `{"seq":${seq},"t":${nowUs()},"pad":"${PAD}"}`;
}

/**
 * The clock of `payload(...).t`: integer microseconds since this process
 * started (a small integer prints and parses faster than a fractional
 * epoch time).
 */
export function nowUs() {
  return Math.round(performance.now() * 1000);
}

/**
 * Publishes `count` messages through `client` keeping at most `window`
 * unacknowledged; resolves when all are acked. Acks arrive as callbacks,
 * not promises: one promise per message was a tenth of the client's CPU.
 */
export function publishWindowed(client, topic, count, window, seqBase = 0) {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let acked = 0;
    let failed = false;
    const onAck = (error) => {
      if (failed) return;
      if (error !== undefined) {
        failed = true;
        reject(error);
      } else if (++acked === count) resolve();
      else pump();
    };
    const pump = () => {
      while (sent < count && sent - acked < window) {
        client.publish(topic, payload(seqBase + sent++), onAck);
      }
    };
    if (count === 0) resolve();
    else pump();
  });
}
