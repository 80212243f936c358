// The console's calls to the admin API: the credential lives in this
// closure (memory only) and goes in the Authorization header, never in a URL.

/** An admin API answer. */
export type ApiResult =
  | { ok: true; status: number; body: unknown }
  | { ok: false; status: number; code: string; message: string };

/** Calls the admin API with the signed-in credential. */
export interface Api {
  call(method: string, path: string, body?: unknown): Promise<ApiResult>;
  /** Opens the live stream; the caller reads and cancels it. */
  stream(signal: AbortSignal): Promise<Response>;
}

/** Creates the API client over a prefix and the in-memory credential. */
export function createApi(prefix: string, credential: string): Api {
  const headers = (json: boolean): Record<string, string> => ({
    authorization: `Bearer ${credential}`,
    ...(json ? { "content-type": "application/json" } : {}),
  });
  return {
    async call(method, path, body) {
      let res: Response;
      try {
        res = await fetch(prefix + path, {
          method,
          headers: headers(body !== undefined),
          body: body === undefined ? undefined : JSON.stringify(body),
          credentials: "omit",
          cache: "no-store",
        });
      } catch {
        return { ok: false, status: 0, code: "NETWORK", message: "The hub did not answer" };
      }
      let parsed: unknown = null;
      try {
        parsed = await res.json();
      } catch {
        // Not JSON: reported below by status.
      }
      if (res.ok) return { ok: true, status: res.status, body: parsed };
      const error = (parsed ?? {}) as { code?: unknown; message?: unknown };
      return {
        ok: false,
        status: res.status,
        code: typeof error.code === "string" ? error.code : "HTTP_" + res.status,
        message: typeof error.message === "string" ? error.message : `HTTP ${res.status}`,
      };
    },
    stream(signal) {
      return fetch(prefix + "/stream", {
        headers: { ...headers(false), accept: "text/event-stream" },
        credentials: "omit",
        cache: "no-store",
        signal,
      });
    },
  };
}

/** Parses a JSON text field, naming the field in the error. */
export function parseJson(text: string, what: string): { ok: true; value: unknown } | {
  ok: false;
  message: string;
} {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return {
      ok: false,
      message: `${what} is not valid JSON: ${
        error instanceof Error ? error.message : "parse error"
      }`,
    };
  }
}
