/**
 * {@linkcode RealtimeProvider}: one {@linkcode RealtimeClient} for a React tree.
 *
 * @module
 */

import {
  createElement,
  type ReactElement,
  type ReactNode,
  useEffect,
  useMemo,
  useRef,
  useState,
} from "react";
import { RealtimeClient } from "../client/client.ts";
import type { HubUrls, RealtimeClientOptions } from "../client/options.ts";
import { RealtimeContext, type RealtimeContextValue } from "./context.ts";

/** Props of {@linkcode RealtimeProvider}. */
export interface RealtimeProviderProps {
  /** The hub URL, or several hubs of one audience (the client fails over between them). */
  readonly url: HubUrls;
  /**
   * The token to connect with. A new value closes the client and connects
   * a new one with it.
   *
   * @default {undefined} the token of `useRealtime(token)`, or `getToken`
   */
  readonly token?: string;
  /**
   * Fetches a token (first, and whenever the hub says it expires). The
   * latest function given is called; giving a new one does not reconnect.
   *
   * @default {undefined}
   */
  readonly getToken?: () => Promise<string> | string;
  /**
   * Other client options. Read when a client is created (on mount, and when
   * `url` or the token change); later changes alone do not reconnect.
   *
   * @default {{}}
   */
  readonly options?: Omit<RealtimeClientOptions, "url" | "token" | "getToken">;
  /** The tree that uses the client. */
  readonly children?: ReactNode;
}

/**
 * Owns one {@linkcode RealtimeClient} for its tree and closes it on unmount.
 *
 * The client is created while rendering with `autoConnect: false`, which
 * opens no socket, starts no timer and adds no listener, and an effect
 * connects it: server rendering (`renderToString`) opens no socket, and the
 * browser connects after hydration. Subscriptions made by the hooks' effects
 * (which run before the provider's) are sent right after the connection
 * opens. Under StrictMode the effect runs, is cleaned up (closing the
 * client) and runs again: it then makes a new client and connects that one,
 * so no socket is leaked. Until a token is known there is no client and the
 * hooks report the state `"idle"`, as they do before the effect connects.
 *
 * A client is made once a token is known: the `token` prop, `getToken`, or
 * the token a descendant passes to `useRealtime(token)`.
 *
 * @param props The hub URL(s), the token or `getToken`, options, children.
 * @returns The provider element.
 *
 * @example Wrap an application
 * ```ts
 * import { RealtimeProvider } from "@realtime/hub/react";
 * import { createElement } from "react";
 * import { renderToString } from "react-dom/server";
 * import assert from "node:assert/strict";
 *
 * const html = renderToString(
 *   createElement(RealtimeProvider, { url: "ws://127.0.0.1:1/ws", token: "a.b.c" }, "hello"),
 * );
 * assert.equal(html, "hello"); // and no socket was opened
 * ```
 */
export function RealtimeProvider(props: RealtimeProviderProps): ReactElement {
  const [hookToken, setHookToken] = useState<string | undefined>(undefined);
  // Bumped when the effect replaces a client closed by a StrictMode cleanup.
  const [, setRemade] = useState(0);
  const token = props.token ?? hookToken;
  const hasGetToken = props.getToken !== undefined;
  const urlKey = JSON.stringify(
    (Array.isArray(props.url) ? props.url : [props.url]).map(String),
  );
  // The latest getToken and options, read when a client is created or a token fetched.
  const latest = useRef({ getToken: props.getToken, options: props.options });
  latest.current = { getToken: props.getToken, options: props.options };
  const key = token === undefined && !hasGetToken
    ? undefined
    : JSON.stringify([urlKey, token ?? null, hasGetToken]);
  const made = useRef<{ key: string; client: RealtimeClient } | undefined>(undefined);
  // Made while rendering: an idle client has no side effects, so one from a
  // render React throws away is simply collected.
  const create = (): RealtimeClient => {
    const url: string[] = JSON.parse(urlKey);
    return new RealtimeClient({
      ...latest.current.options,
      url: url.length === 1 ? url[0] : url,
      ...(token !== undefined ? { token } : {}),
      ...(hasGetToken ? { getToken: () => latest.current.getToken!() } : {}),
      autoConnect: false,
    });
  };
  if (key === undefined) made.current = undefined;
  else if (made.current?.key !== key) made.current = { key, client: create() };
  const client = made.current?.client ?? null;
  useEffect(() => {
    if (key === undefined) return;
    let entry = made.current;
    if (entry === undefined || entry.key !== key || entry.client.state === "closed") {
      entry = { key, client: create() };
      made.current = entry;
      setRemade((n) => n + 1);
    }
    const owned = entry.client;
    owned.connect();
    return () => void owned.close();
  }, [key]);
  const value = useMemo<RealtimeContextValue>(() => ({ client, setToken: setHookToken }), [
    client,
  ]);
  return createElement(RealtimeContext.Provider, { value }, props.children);
}
