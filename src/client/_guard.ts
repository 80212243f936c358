// Running user callbacks (handlers, listeners) so that one that throws is
// reported, not thrown into the client's own bookkeeping.

/** Runs a user callback; its exception is reported, not thrown into the client. */
export function guard(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    const report = (globalThis as { reportError?: (error: unknown) => void }).reportError;
    if (typeof report === "function") report(error);
    else {
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}
