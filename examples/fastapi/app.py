"""A FastAPI backend for @realtime/hub's HTTP proxies (docs/proxy.md).

It admits WebSocket connections by its own session cookie (no JWT for the
browser), stores and moderates chat publications, and answers RPC calls.
Every call from the hub carries `Authorization: Bearer <JWT>` signed with the
shared REALTIME_PROXY_SECRET (HS256, iss "realtime-hub", aud
"realtime-backend"); anything else is answered 401.

It also receives the hub's event webhooks (docs/webhooks.md) when
REALTIME_WEBHOOK_SECRET is set: it checks their signature and timestamp, and
records each event once, by its id, in a small SQLite file (WEBHOOK_DB,
default webhooks.db) so that a retry after a restart is still recognised.

Run:  REALTIME_PROXY_SECRET=... REALTIME_WEBHOOK_SECRET=... \
      /usr/bin/python3 -m uvicorn app:app --port 8001
"""

import base64
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import time
from typing import Any, Optional

import jwt
from fastapi import Cookie, FastAPI, Header, HTTPException, Request, Response

SECRET = os.environ["REALTIME_PROXY_SECRET"]
SESSION_COOKIE = "session"
# With SESSION_TTL_SECONDS set, a hub connection admitted by a session lasts
# that long unless the hub's refresh proxy extends it (while the user is
# still logged in); unset, it lasts as long as the socket.
SESSION_TTL_SECONDS = os.environ.get("SESSION_TTL_SECONDS")
BANNED = "darn"  # masked in messages
FORBIDDEN = "spam"  # refuses the message

app = FastAPI(title="realtime-hub backend example")

# In memory, as an example: a real app keeps these in its database.
sessions: dict[str, str] = {}  # session id -> user id
messages: list[dict[str, Any]] = []  # stored publications, in order
refreshes: list[str] = []  # connections the refresh proxy extended, in order


def verify_hub(authorization: Optional[str]) -> dict:
    """Checks the hub's JWT: HS256 only, our audience and issuer, not expired."""
    if authorization is None or not authorization.startswith("Bearer "):
        raise HTTPException(status_code=401, detail="missing hub token")
    try:
        return jwt.decode(
            authorization[len("Bearer "):],
            SECRET,
            algorithms=["HS256"],
            audience="realtime-backend",
            issuer="realtime-hub",
            options={"require": ["exp", "iat"]},
        )
    except jwt.PyJWTError as error:
        raise HTTPException(status_code=401, detail=f"bad hub token: {type(error).__name__}")


# --- the application's own login: a session cookie, nothing realtime about it ---


@app.post("/login")
async def login(request: Request, response: Response) -> dict:
    body = await request.json()
    user = body.get("user")
    if not isinstance(user, str) or not user or user == "anonymous":
        raise HTTPException(status_code=400, detail="user required")
    sid = secrets.token_urlsafe(24)
    sessions[sid] = user
    response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="lax")
    return {"user": user}


@app.post("/logout")
async def logout(session: Optional[str] = Cookie(default=None)) -> dict:
    sessions.pop(session or "", None)
    return {}


@app.get("/messages")
async def list_messages() -> dict:
    return {"messages": messages}


# --- the hub's proxy calls ---


@app.post("/realtime/connect")
async def connect(
    session: Optional[str] = Cookie(default=None),
    authorization: Optional[str] = Header(default=None),
) -> dict:
    verify_hub(authorization)
    user = sessions.get(session or "")
    if user is None:
        # No session of ours: no opinion, so the hub looks for a JWT (a
        # service with a token, the CLI); with none it closes with 4001.
        # A hard refusal would be {"error": {"code": "AUTH_FAILED", ...}}.
        return {}
    result = {
        "user": user,
        "claims": {"name": user.title()},
        "acl": {"chat:*": ["subscribe", "publish", "history", "presence"]},
        # Subscribed by the server, without an ACL grant: the user's own inbox.
        "subscriptions": [f"user:{user}"],
    }
    if SESSION_TTL_SECONDS is not None:
        result["expiresAt"] = int((time.time() + float(SESSION_TTL_SECONDS)) * 1000)
    return {"result": result}


@app.post("/realtime/refresh")
async def refresh(request: Request, authorization: Optional[str] = Header(default=None)) -> dict:
    """Extends a connection while its user is logged in; a logged-out user's connection ends."""
    verify_hub(authorization)
    call = await request.json()
    # By user, not by session id: the session id is the cookie's secret and
    # never goes into claims, which the client can read back (whoami).
    if call["user"] not in sessions.values():
        return {"error": {"code": "AUTH_FAILED", "message": "Logged out"}}
    refreshes.append(call["connection"]["id"])
    ttl = float(SESSION_TTL_SECONDS or 3600)
    return {"result": {"expiresAt": int((time.time() + ttl) * 1000)}}


@app.get("/refreshes")
async def list_refreshes() -> dict:
    return {"refreshes": refreshes}


@app.post("/realtime/subscribe")
async def subscribe(request: Request, authorization: Optional[str] = Header(default=None)) -> dict:
    verify_hub(authorization)
    call = await request.json()
    topic = call["topic"]
    if topic.startswith("chat:staff") and call["user"] != "admin":
        return {"error": {"code": "FORBIDDEN", "message": "Staff only"}}
    # Initial data in the subscribe's ack: how many messages we stored there.
    return {"result": {"data": {"stored": sum(1 for m in messages if m["topic"] == topic)}}}


@app.post("/realtime/publish")
async def publish(request: Request, authorization: Optional[str] = Header(default=None)) -> dict:
    verify_hub(authorization)
    call = await request.json()
    payload = call["payload"]
    text = payload.get("text", "") if isinstance(payload, dict) else ""
    if FORBIDDEN in text.lower():
        return {"error": {"code": "FORBIDDEN", "message": "Spam is not allowed"}}
    if call.get("signed"):
        return {}  # a signed publication can be refused, never altered
    stored = {
        "id": len(messages) + 1,
        "user": call["user"],
        "topic": call["topic"],
        "text": text.replace(BANNED, "*" * len(BANNED)),
        "at": int(time.time() * 1000),
    }
    messages.append(stored)
    return {"result": {"payload": stored}}


@app.post("/realtime/rpc")
async def rpc(request: Request, authorization: Optional[str] = Header(default=None)) -> dict:
    verify_hub(authorization)
    call = await request.json()
    method, data = call["method"], call.get("data")
    if method == "chat.count":
        topic = data.get("topic") if isinstance(data, dict) else None
        return {"result": {"data": {"count": sum(1 for m in messages if m["topic"] == topic)}}}
    if method == "whoami":
        return {"result": {"data": {"user": call["user"], "claims": call.get("claims", {})}}}
    return {"error": {"code": "BAD_REQUEST", "message": f"Unknown method '{method[:64]}'"}}


# --- for the fault tests: a backend that misbehaves on purpose ---


@app.post("/faulty/{how}")
async def faulty(how: str, authorization: Optional[str] = Header(default=None)):
    verify_hub(authorization)
    if how == "slow":
        import asyncio

        await asyncio.sleep(5)
        return {}
    if how == "garbage":
        return Response("<html>not json</html>", media_type="text/html")
    return Response('{"detail": "boom"}', status_code=500, media_type="application/json")


# --- the hub's event webhooks (docs/webhooks.md) ---

WEBHOOK_SECRET = os.environ.get("REALTIME_WEBHOOK_SECRET")
WEBHOOK_TOLERANCE_SECONDS = 300  # a request signed longer ago (or ahead) is a replay


def open_webhook_db() -> sqlite3.Connection:
    db = sqlite3.connect(os.environ.get("WEBHOOK_DB", "webhooks.db"), check_same_thread=False)
    db.execute(
        "CREATE TABLE IF NOT EXISTS webhook_events ("
        " seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,"
        " type TEXT NOT NULL, event TEXT NOT NULL, received_at REAL NOT NULL)"
    )
    db.commit()
    return db


# Only with webhooks configured: the proxies alone write no file.
webhook_db = open_webhook_db() if WEBHOOK_SECRET is not None else None


def verify_webhook(headers: Any, body: bytes) -> None:
    """The hub's signature over `<webhook-id>.<webhook-timestamp>.<body>`, and a fresh timestamp."""
    if WEBHOOK_SECRET is None:
        raise HTTPException(status_code=404, detail="webhooks are not configured")
    msg_id = headers.get("webhook-id")
    stamp = headers.get("webhook-timestamp")
    signature = headers.get("webhook-signature")
    if not msg_id or not stamp or not signature or not stamp.isdigit():
        raise HTTPException(status_code=401, detail="unsigned webhook")
    if abs(time.time() - int(stamp)) > WEBHOOK_TOLERANCE_SECONDS:
        raise HTTPException(status_code=401, detail="stale webhook timestamp")
    signed = f"{msg_id}.{stamp}.".encode() + body
    mac = hmac.new(WEBHOOK_SECRET.encode(), signed, hashlib.sha256).digest()
    expected = "v1," + base64.b64encode(mac).decode()
    if not any(hmac.compare_digest(expected, given) for given in signature.split(" ")):
        raise HTTPException(status_code=401, detail="bad webhook signature")


@app.post("/realtime/webhook", status_code=204)
async def webhook(request: Request) -> Response:
    body = await request.body()  # the exact bytes: the signature is over them
    verify_webhook(request.headers, body)
    events = json.loads(body)["events"]
    # At least once: a retry repeats events we may already have. The id is
    # the key; the same transaction records the new ones, so an answer lost
    # after the commit only brings back ids we skip.
    with webhook_db:
        for event in events:
            webhook_db.execute(
                "INSERT OR IGNORE INTO webhook_events (id, type, event, received_at)"
                " VALUES (?, ?, ?, ?)",
                (event["id"], event["type"], json.dumps(event), time.time()),
            )
    return Response(status_code=204)


@app.get("/webhook/events")
async def webhook_events() -> dict:
    """What was recorded, once per event id, in the order it arrived."""
    if webhook_db is None:
        raise HTTPException(status_code=404, detail="webhooks are not configured")
    rows = webhook_db.execute("SELECT event FROM webhook_events ORDER BY seq").fetchall()
    return {"events": [json.loads(row[0]) for row in rows]}
