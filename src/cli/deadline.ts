/**
 * Waiting with a deadline that fails with exit code 4.
 *
 * @module
 */

import { CliError, ExitCode } from "./errors.ts";
import { formatDuration } from "./format.ts";

/**
 * Runs `task` with a deadline, failing with a timeout {@linkcode CliError}.
 *
 * @param task Receives a signal that fires at the deadline.
 * @param timeoutMs The deadline.
 * @param what What is awaited, for the message.
 * @returns What `task` returned.
 */
export async function withDeadline<T>(
  task: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(
        new CliError(
          ExitCode.Timeout,
          `Timed out after ${formatDuration(timeoutMs)} waiting for ${what}`,
        ),
      );
    }, timeoutMs);
  });
  try {
    return await Promise.race([task(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}
