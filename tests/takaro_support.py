"""What the Takaro tests share: where it is mounted, the demo domains and their people, and
helpers that call the in-process app as one of them."""

from __future__ import annotations

BASE = "/takaro"
A, B = "brave-otters-sing", "quiet-lamps-glow"
ADMIN = {"X-Takaro-Admin-Token": "xxx"}
# Demo sessions (fixtures/takaro/sessions.json), by person.
SESSIONS = {
    "root_a": "ory_st_DemoRootBraveOttersSing000000001",  # root of A
    "root_b": "ory_st_DemoRootQuietLampsGlow0000000001",  # root of B
    "alice": "ory_st_DemoAlice00000000000000000000001",  # Admin in A, Moderator in B
    "mo": "ory_st_DemoMo00000000000000000000000001",  # Moderator in A (READ_PLAYERS, READ_SETTINGS)
    "vic": "ory_st_DemoVic0000000000000000000000001",  # a dashboard user of A with no role
    "bob": "ory_st_DemoBob0000000000000000000000001",  # Admin in B
}
# Fixture ids used across tests (domain A unless named B).
PLAYER_ADA = "2c0a0f61-a4f6-4877-8ce5-53fe3ceb393d"
SERVER_7D2D = "1fea83ba-448e-4c6d-95f3-066e8757104a"
ROLE_MODERATOR = "77a325a4-4721-4aa0-9104-b2b81abfebe8"
MODULE_WELCOMER = "fdc47b92-27ea-40f1-bc79-5e67c8a3f102"


def bearer(person: str, domain: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {SESSIONS[person]}"}
    if domain:
        headers["X-Takaro-Domain"] = domain
    return headers


def call(client, method: str, path: str, person: str | None = "root_a", json=None, **headers):
    """One request to the Takaro mount, as a demo person (None: no credentials). Each call starts
    with no cookies, as a separate client would: a domain cookie set for one person must not ride
    along with the next person's call."""
    client.cookies.clear()
    sent = {**(bearer(person) if person else {}), **{k.replace("_", "-"): v for k, v in headers.items()}}
    return client.request(method, BASE + path, json=json, headers=sent)


def data(response):
    assert response.status_code == 200, response.text
    return response.json()["data"]


def error_code(response) -> str:
    return response.json()["meta"]["error"]["code"]


def detail_paths(response) -> set[str]:
    """Where each class-validator error of a ValidationError points, as dotted paths through its
    `children` (`filters.name`)."""
    def walk(details, prefix):
        for detail in details:
            path = prefix + [detail["property"]]
            if detail.get("children"):
                yield from walk(detail["children"], path)
            else:
                yield ".".join(path)
    return set(walk(response.json()["meta"]["error"]["details"], []))
