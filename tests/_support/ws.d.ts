// The slice of npm `ws` the tests use as a client (Node's own WebSocket
// client, which browsers' differ from). Declared here because `@types/ws`
// pulls `@types/node` into the whole program, whose `CryptoKey` conflicts
// with the Web Crypto one that jose and the rest of the code use.

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

export default WebSocket;
