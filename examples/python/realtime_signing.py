"""Sign and verify @realtime/hub signed publications with PyJWT.

A signed publication is a compact JWS whose payload is a JWT claims set:

    {"topic": "prices:eur", "data": <the message>, "jti": "<unique id>", "iat": <epoch s>}

plus an optional "exp". The hub verifies it before fan-out and forwards the
exact JWS, so a subscriber can verify it again without trusting the hub.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any, Union

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import (
    load_pem_private_key,
    load_pem_public_key,
)

Key = Union[str, bytes]
"""A shared secret (bytes) or PEM text (a private key to sign, a public key or certificate to verify)."""

HMAC_ALGORITHMS = ["HS256", "HS384", "HS512"]


class InvalidPublication(Exception):
    """A signed publication that does not verify; the message never contains the JWS or the key."""


def load_key(path: Union[str, Path]) -> Key:
    """Reads a key file: PEM text, or else a shared secret (one trailing newline is dropped)."""
    raw = Path(path).read_bytes()
    if raw.lstrip().startswith(b"-----BEGIN "):
        return raw.decode("ascii")
    secret = raw[:-1] if raw.endswith(b"\n") else raw
    if len(secret) < 32:
        raise ValueError(f"The secret in {path} has {len(secret)} bytes: at least 32 are needed")
    return secret


def _public_key(pem: str):
    data = pem.encode("ascii")
    if "-----BEGIN CERTIFICATE-----" in pem:
        return x509.load_pem_x509_certificate(data).public_key()
    if "PRIVATE KEY-----" in pem:
        return load_pem_private_key(data, password=None).public_key()
    return load_pem_public_key(data)


def algorithms_for(key: Key) -> list[str]:
    """The algorithms a key can serve, decided by its type and never by a JWS header.

    A secret allows only HS*, a public key never HS*: so an HS256 JWS "signed"
    with the public key as the secret is refused, and "alg": "none" always is.
    """
    if isinstance(key, bytes):
        return list(HMAC_ALGORITHMS)
    public = _public_key(key)
    if isinstance(public, ec.EllipticCurvePublicKey):
        return {"secp256r1": ["ES256"], "secp384r1": ["ES384"]}.get(public.curve.name, [])
    if isinstance(public, ed25519.Ed25519PublicKey):
        return ["EdDSA"]
    if isinstance(public, rsa.RSAPublicKey):
        return ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]
    return []


def sign_publication(
    topic: str,
    data: Any,
    key: Key,
    algorithm: str,
    *,
    kid: str | None = None,
    expires_in: int | None = None,
) -> str:
    """Signs `data` for `topic`; send the result as {"type": "publish", "topic": topic, "jws": ...}."""
    if algorithm not in algorithms_for(key):
        raise ValueError(f"Cannot sign with {algorithm} and this key: it allows {algorithms_for(key)}")
    now = int(time.time())
    claims = {"topic": topic, "data": data, "jti": str(uuid.uuid4()), "iat": now}
    if expires_in is not None:
        claims["exp"] = now + expires_in
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid} if kid else None)


def verify_publication(topic: str, compact_jws: str, key: Key) -> dict[str, Any]:
    """Verifies a signed publication received on `topic` and returns its claims.

    Use the returned claims' "data", not the frame's "payload": then nothing
    the hub did can change what you act on. `exp` is not checked here: it
    bounds when the hub accepts a publication, and a message read back from
    history may be older than that.
    """
    algorithms = algorithms_for(key)
    if not algorithms:
        raise InvalidPublication("The verification key is of an unsupported type")
    try:
        claims = jwt.decode(
            compact_jws,
            key,
            algorithms=algorithms,
            options={
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "require": ["topic"],
            },
        )
    except jwt.InvalidAlgorithmError as error:
        raise InvalidPublication("The publication's algorithm is not allowed for this key") from error
    except jwt.InvalidSignatureError as error:
        raise InvalidPublication("The publication's signature does not verify") from error
    except jwt.PyJWTError as error:
        raise InvalidPublication(f"The publication is invalid: {type(error).__name__}") from error
    if claims.get("topic") != topic:
        raise InvalidPublication(f"The publication was signed for another topic than {topic!r}")
    return claims
