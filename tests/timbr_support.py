"""What the Timbr tests share: where the API is mounted, the fixture users, and requests."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

BASE = "/timbr/timbr"
API = BASE + "/api"
ADMIN = {"username": "admin", "password": "admin-password", "email": "admin@timbr-sample.company.com",
         "token": "tk_ab3f0c7e41d24a9b8c1e5d2f6a7b6af3"}
ANALYST = {"username": "analyst", "password": "analyst-password", "email": "analyst@timbr-sample.company.com",
           "token": "tk_5c2e9a1b7d3f4e6a8b0c2d4e6f8a1b3c"}
MARKETER = {"username": "marketer", "password": "marketer-password", "token": "tk_9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"}
SUPPLY = "timbr_supply_chain"
SEGMENTS = "timbr_user_segmentation"


def key(user: dict = ADMIN) -> dict[str, str]:
    return {"x-api-key": user["token"]}


def rsa_pair() -> tuple[str, str]:
    """(private PEM, public PEM) of a fresh 2048-bit RSA key."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()).decode()
    public_pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private_pem, public_pem


def query(client, sql: str, ontology: str = SUPPLY, user: dict = ADMIN, **headers: str):
    """POST /api/query/ with the documented body; extra headers by keyword (underscores -> dashes)."""
    extra = {name.replace("_", "-"): value for name, value in headers.items()}
    return client.post(f"{API}/query/", json={"ontology_name": ontology, "query": sql},
                       headers={**key(user), **extra})


PRIVATE_KEY, PUBLIC_KEY = rsa_pair()  # the server's RS256 key pair in tests
