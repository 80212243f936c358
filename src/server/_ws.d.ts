// The slice of npm `ws` this project uses. Declared here because `@types/ws`
// pulls `@types/node` into the whole program, whose `CryptoKey` conflicts
// with the Web Crypto one that jose and the rest of the code use.

import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

export type RawData = Uint8Array | ArrayBuffer | Uint8Array[];

export declare class WebSocket {
  static readonly OPEN: number;
  constructor(
    address: string,
    protocols?: string | string[],
    options?: { headers?: Record<string, string> },
  );
  readonly bufferedAmount: number;
  readonly protocol: string;
  readonly readyState: number;
  send(data: string | Uint8Array, options?: { binary?: boolean }): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  ping(): void;
  emit(event: string | symbol, ...args: unknown[]): boolean;
  on(event: "pong", listener: () => void): this;
  on(event: "message", listener: (data: RawData, isBinary: boolean) => void): this;
  on(event: "close", listener: (code: number, reason: Uint8Array) => void): this;
  on(event: "error", listener: (error: Error) => void): this;
  on(event: "open", listener: () => void): this;
  on(
    event: "unexpected-response",
    listener: (req: unknown, res: { statusCode?: number }) => void,
  ): this;
}

export interface ServerOptions {
  noServer?: boolean;
  maxPayload?: number;
  maxFragments?: number;
  perMessageDeflate?: boolean;
  clientTracking?: boolean;
  handleProtocols?: (protocols: Set<string>, request: IncomingMessage) => string | false;
  /** The class of the server's sockets: `WebSocket` or a subclass. */
  WebSocket?: typeof WebSocket;
}

export declare class WebSocketServer {
  constructor(options: ServerOptions);
  readonly clients: Set<WebSocket>;
  handleUpgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Uint8Array,
    callback: (client: WebSocket, request: IncomingMessage) => void,
  ): void;
  close(callback?: (error?: Error) => void): void;
  on(event: "connection", listener: (client: WebSocket, request: IncomingMessage) => void): this;
  emit(event: "connection", client: WebSocket, request: IncomingMessage): boolean;
}

export default WebSocket;
