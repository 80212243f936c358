"""A @realtime/hub client in idiomatic asyncio: connect with a token,
subscribe, publish (signed with PyJWT or plain), verify what arrives, and
call the application's RPC methods.

Run `python3 peer.py --help`. Every event is printed as one JSON line, so a
script (or a test) can drive it; the token and keys are never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import sys
from pathlib import Path
from typing import Any, AsyncIterator

import websockets

from realtime_signing import (
    InvalidPublication,
    algorithms_for,
    load_key,
    sign_publication,
    verify_publication,
)


class HubError(Exception):
    """An `error` frame in reply to a request."""

    def __init__(self, frame: dict[str, Any]):
        super().__init__(f"{frame.get('code')}: {frame.get('message')}")
        self.code = frame.get("code")
        self.retry = frame.get("retry")


class RealtimeConnection:
    """One authenticated connection: requests get their reply, messages go to a queue."""

    def __init__(self, ws: Any):
        self._ws = ws
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.welcome: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for data in self._ws:
                # With the realtime.v1.batch subprotocol, one message may hold several frames.
                for line in data.split("\n"):
                    if line:
                        self._dispatch(json.loads(line))
        finally:
            closed = ConnectionError("The connection closed")
            for future in [self.welcome, *self._pending.values()]:
                if not future.done():
                    future.set_exception(closed)

    def _dispatch(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "welcome" and not self.welcome.done():
            self.welcome.set_result(frame)
        elif kind == "message":
            self.messages.put_nowait(frame)
        elif frame.get("id") in self._pending:
            self._pending.pop(frame["id"]).set_result(frame)

    async def request(self, frame: dict[str, Any]) -> dict[str, Any]:
        """Sends a frame with a fresh id; returns the `ack` or raises HubError."""
        request_id = next(self._ids)
        reply = asyncio.get_running_loop().create_future()
        self._pending[request_id] = reply
        await self._ws.send(json.dumps({**frame, "id": request_id}))
        answer = await reply
        if answer.get("type") == "error":
            raise HubError(answer)
        return answer

    async def subscribe(self, topic: str) -> None:
        await self.request({"type": "subscribe", "topic": topic})

    async def publish(self, topic: str, payload: Any) -> None:
        await self.request({"type": "publish", "topic": topic, "payload": payload})

    async def publish_signed(self, topic: str, jws: str) -> None:
        await self.request({"type": "publish", "topic": topic, "jws": jws})

    async def rpc(self, method: str, data: Any = None) -> Any:
        """Calls a method the application registered (hub.rpc, or an RPC proxy); returns its
        result, or raises HubError with the code (BAD_REQUEST for an unknown method)."""
        reply = await self.request({"type": "rpc", "method": method, "data": data})
        return reply.get("data")

    async def close(self) -> None:
        await self._ws.close()
        await asyncio.gather(self._reader, return_exceptions=True)


async def connect(url: str, token: str, timeout: float = 10) -> RealtimeConnection:
    """Connects with the token in the subprotocol list and waits for `welcome`."""
    ws = await websockets.connect(
        url,
        subprotocols=["realtime.v1.batch", "realtime.v1", "auth", token],
        open_timeout=timeout,
    )
    connection = RealtimeConnection(ws)
    await asyncio.wait_for(asyncio.shield(connection.welcome), timeout)
    return connection


def emit(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def checked_message(frame: dict[str, Any], verify_key: Any) -> dict[str, Any]:
    """What to print for a received message, verified when a key is given."""
    line = {"topic": frame.get("topic"), "payload": frame.get("payload"), "from": frame.get("from")}
    jws = frame.get("jws")
    if verify_key is None:
        return {**line, "signed": jws is not None, "verified": None}
    if jws is None:
        return {**line, "signed": False, "verified": False, "error": "The message is not signed"}
    try:
        claims = verify_publication(frame["topic"], jws, verify_key)
    except InvalidPublication as error:
        return {**line, "signed": True, "verified": False, "error": str(error)}
    # Act on the signed data, not on the hub's copy of it.
    return {**line, "payload": claims.get("data"), "signed": True, "verified": True}


async def receive(connection: RealtimeConnection, count: int, timeout: float, verify_key: Any):
    for _ in range(count):
        frame = await asyncio.wait_for(connection.messages.get(), timeout)
        emit("message", **checked_message(frame, verify_key))


async def run_client(args: argparse.Namespace) -> int:
    token = read_token(args)
    connection = await connect(args.url, token, args.timeout)
    emit("welcome", user=(await connection.welcome).get("user"))
    try:
        await connection.subscribe(args.topic)
        emit("subscribed", topic=args.topic)
        receiving = asyncio.create_task(
            receive(connection, args.expect, args.timeout, args.verify_key and load_key(args.verify_key))
        )
        for data in args.publish:
            payload = json.loads(data)
            if args.sign_key:
                jws = sign_publication(args.topic, payload, load_key(args.sign_key), args.alg.upper())
                await connection.publish_signed(args.topic, jws)
                emit("published", topic=args.topic, signed=True, jws=jws)
            else:
                await connection.publish(args.topic, payload)
                emit("published", topic=args.topic, signed=False)
        await receiving
    except HubError as error:
        emit("error", code=error.code, message=str(error))
        return 1
    except asyncio.TimeoutError:
        emit("error", code="TIMEOUT", message=f"Nothing arrived within {args.timeout} s")
        return 1
    finally:
        await connection.close()
    return 0


async def run_rpc(args: argparse.Namespace) -> int:
    connection = await connect(args.url, read_token(args), args.timeout)
    try:
        data = json.loads(args.data) if args.data is not None else None
        result = await asyncio.wait_for(connection.rpc(args.method, data), args.timeout)
        emit("rpc", method=args.method, data=result)
    except HubError as error:
        emit("error", code=error.code, retry=error.retry, message=str(error))
        return 1
    except asyncio.TimeoutError:
        emit("error", code="TIMEOUT", message=f"No answer within {args.timeout} s")
        return 1
    finally:
        await connection.close()
    return 0


def read_token(args: argparse.Namespace) -> str:
    if args.token_file:
        return Path(args.token_file).read_text().strip()
    token = os.environ.get("REALTIME_TOKEN")
    if not token:
        raise SystemExit("Give a token with --token-file or the REALTIME_TOKEN environment variable")
    return token


def run_offline(args: argparse.Namespace) -> int:
    """`sign` and `verify` need no hub: handy for checking keys against another implementation."""
    if args.command == "sign":
        key = load_key(args.key)
        alg = args.alg.upper() if args.alg else algorithms_for(key)[0]
        jws = sign_publication(args.topic, json.loads(args.data), key, alg, expires_in=args.expires_in)
        emit("signed", topic=args.topic, jws=jws)
        return 0
    try:
        claims = verify_publication(args.topic, args.jws, load_key(args.key))
    except InvalidPublication as error:
        emit("verified", topic=args.topic, verified=False, error=str(error))
        return 2
    emit("verified", topic=args.topic, verified=True, payload=claims.get("data"), claims=claims)
    return 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    client = sub.add_parser("client", help="connect, subscribe, publish and receive")
    client.add_argument("--url", required=True, help="ws://host:port/ws")
    client.add_argument("--token-file", help="file holding the JWT (default: $REALTIME_TOKEN)")
    client.add_argument("--topic", required=True, help="topic to subscribe and publish to")
    client.add_argument("--publish", action="append", default=[], metavar="JSON", help="publish this payload (repeatable)")
    client.add_argument("--sign-key", help="sign publications with this secret or PEM private key file")
    client.add_argument("--alg", default="HS256", help="signing algorithm: HS256, ES256, ... (default HS256)")
    client.add_argument("--verify-key", help="verify received messages with this secret or PEM public key file")
    client.add_argument("--expect", type=int, default=0, help="wait for this many messages, then exit")
    client.add_argument("--timeout", type=float, default=10, help="seconds to wait for each step")

    rpc = sub.add_parser("rpc", help="call an RPC method and print its result")
    rpc.add_argument("--url", required=True, help="ws://host:port/ws")
    rpc.add_argument("--token-file", help="file holding the JWT (default: $REALTIME_TOKEN)")
    rpc.add_argument("--timeout", type=float, default=10, help="seconds to wait for each step")
    rpc.add_argument("method", help="the method's name, such as chat.count")
    rpc.add_argument("data", nargs="?", metavar="JSON", help="the data sent with it (default: null)")

    sign = sub.add_parser("sign", help="print a signed publication")
    sign.add_argument("--topic", required=True)
    sign.add_argument("--key", required=True, help="secret or PEM private key file")
    sign.add_argument("--alg", help="default: the key's first algorithm")
    sign.add_argument("--data", required=True, metavar="JSON")
    sign.add_argument("--expires-in", type=int, metavar="SECONDS")

    verify = sub.add_parser("verify", help="verify a signed publication")
    verify.add_argument("--topic", required=True)
    verify.add_argument("--key", required=True, help="secret or PEM public key file")
    verify.add_argument("--jws", required=True)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.command == "client":
        return asyncio.run(run_client(args))
    if args.command == "rpc":
        return asyncio.run(run_rpc(args))
    return run_offline(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
