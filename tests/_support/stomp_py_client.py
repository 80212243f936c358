"""Python's stomp.py (Debian's python3-stomp, unmodified) against the hub's
STOMP door. stomp.py 8.0 speaks STOMP over TCP only, so this gives its
protocol class a WebSocket transport (python3-websocket), the way stomp.py
8.1's own WSStompConnection does: frames, headers, escaping, receipts and
listeners are stomp.py's. Prints one JSON line per event; driven by lines on
stdin. Usage: stomp_py_client.py <ws-url> <jwt>
"""

import json
import queue
import sys

import stomp
import stomp.connect
import stomp.protocol
import stomp.transport
import websocket


class WSTransport(stomp.transport.Transport):
    def __init__(self, url):
        stomp.transport.Transport.__init__(self, [("127.0.0.1", 0)], reconnect_attempts_max=1)
        self.url = url
        self.ws = None

    def attempt_connection(self):
        self.ws = websocket.create_connection(self.url, subprotocols=["v12.stomp"], timeout=30)
        self.socket = self.ws
        self.current_host_and_port = ("127.0.0.1", 0)

    def is_connected(self):
        return self.ws is not None and self.ws.connected and self.connected

    def send(self, encoded_frame):
        self.ws.send(encoded_frame.decode("utf-8"))

    def receive(self):
        try:
            data = self.ws.recv()
        except (websocket.WebSocketConnectionClosedException, OSError):
            return b""
        return data.encode("utf-8") if isinstance(data, str) else data

    def disconnect_socket(self):
        self.running = False
        if self.ws is not None:
            try:
                self.ws.close()
            except Exception:
                pass
        self.ws = None
        self.socket = None
        if not self.notified_on_disconnect:
            self.notify("disconnected")

    def cleanup(self):
        self.ws = None
        self.socket = None


class WSStompConnection(stomp.connect.BaseConnection, stomp.protocol.Protocol12):
    def __init__(self, url):
        transport = WSTransport(url)
        stomp.connect.BaseConnection.__init__(self, transport)
        stomp.protocol.Protocol12.__init__(self, transport, (0, 0), True)

    def connect(self, *args, **kwargs):
        self.transport.start()
        stomp.protocol.Protocol12.connect(self, *args, **kwargs)


events = queue.Queue()


def say(kind, **fields):
    print(json.dumps({"event": kind, **fields}), flush=True)


class Listener(stomp.ConnectionListener):
    def on_message(self, frame):
        events.put(("message", frame))

    def on_receipt(self, frame):
        events.put(("receipt", frame))

    def on_error(self, frame):
        events.put(("error", frame))

    def on_disconnected(self):
        events.put(("disconnected", None))


def wait(kind):
    while True:
        got, frame = events.get(timeout=20)
        if got == kind:
            return frame
        say("unexpected", kind=got, headers=dict(frame.headers) if frame else None)


def main():
    url, token = sys.argv[1], sys.argv[2]
    conn = WSStompConnection(url)
    conn.set_listener("", Listener())
    conn.connect(login="python", passcode=token, wait=True, headers={"host": "hub"})
    say("connected")
    conn.subscribe("/topic/chat/py", id="py-1", ack="auto", headers={"receipt": "sub-1"})
    wait("receipt")
    say("subscribed")
    for _ in range(2):
        frame = wait("message")
        say("message", headers=dict(frame.headers), body=frame.body)
    sys.stdin.readline()
    conn.send("/topic/chat/py-out", json.dumps({"from": "python", "n": 7}),
              content_type="application/json", headers={"receipt": "send-1"})
    receipt = wait("receipt")
    say("sent", receipt=receipt.headers.get("receipt-id"))
    conn.subscribe("/topic/secret/plans", id="py-2", headers={"receipt": "sub-2"})
    error = wait("error")
    say("error", headers=dict(error.headers))
    wait("disconnected")
    say("closed")


if __name__ == "__main__":
    main()
