"""What the Timekit tests share: the demo credentials, fixture ids and small request helpers."""

from __future__ import annotations

from conftest import basic

BASE = "/timekit/v2"
LIVE_KEY = "live_api_key_7nzvc7wsBQQISLeFSVhROys9V1bUJ1z7"
TEST_KEY = "test_api_key_nvHfRSlhvsnlg4rS7Wt28Ty47qdgegwSu3YK7hPW"
APP_SLUG = "back-to-the-future"
APP = basic("", LIVE_KEY)

# resources
DOC = "d187d6e0-d6cb-409a-ae60-45a8fd0ec879"
MARTY = "78a4d873-2a68-41c6-bdd4-c0ca5b35efd3"
LORRAINE = "b801fc85-b133-58fa-8834-a34295c5970d"
BIFF = "68be50ee-3936-5e77-9a19-6d22d7c7c80e"
DOC_TOKEN = "XT1JO879JF1qUXXzmETD5ucgxaDwsFsd"
MARTY_TOKEN = "nvHfRSlhvsnlg4rS7Wt28Ty47qdgegwSu3"
DOC_CALENDAR = "22f86f0c-ee80-470c-95e8-dadd9d05edd2"
DOC_LAB_CALENDAR = "ea298618-8b22-5db7-ad50-eea94d773319"
PROJECT_FLUX = "a8d5fd7b-9354-577f-96ca-35ba2bc5eeed"

# bookings
INSTANT_CONFIRMED = "f4a5bd27-ae50-5f29-8b49-e33ec6745fae"  # Doc, 2026-12-14 10:00-11:00 -08:00
INSTANT_CANCELLED = "8c991170-cdb7-5f35-a16d-45f02b86ed17"
TENTATIVE = "f3ba0eb9-22a5-5e6b-8bc5-d0ba2501dac0"  # confirm_decline, Doc, 2026-12-17 10:00
MARTY_TENTATIVE = "9d6c7299-05b7-5f59-8ad0-ad828b3dfc4d"  # Marty, 2026-12-14 15:00-16:00 -08:00
DECLINED = "67a044c7-dc83-521c-bc03-bf105cc2a679"
COMPLETED = "b4640271-c29d-5a4e-904b-cea907fd1408"
GROUP_OPEN = "c33d52ae-68c3-5350-8460-4d9d48e5c226"  # Lorraine, 3 seats, 2 taken
GROUP_FULL = "da313e8a-a56d-58d2-ac6f-1798271b952f"  # Lorraine, 3 seats, 3 taken
GROUP_CANCELLED = "11c7dc15-8906-5d45-a2b9-2d403e50d280"

CUSTOMER = {"name": "Marty McFly", "email": "marty.mcfly@timekit.io", "phone": "(916) 555-4385",
            "voip": "McFly", "timezone": "America/Los_Angeles"}


def resource_auth(email: str = "doc.brown@timekit.io", token: str = DOC_TOKEN, app: str = APP_SLUG) -> dict:
    return {**basic(email, token), "Timekit-App": app}


def booking_body(graph: str = "confirm_decline", start: str = "2026-12-14T15:00:00-08:00",
                 end: str = "2026-12-14T16:00:00-08:00", resource: str = DOC, **extra) -> dict:
    """A create body for a free slot of Doc Brown (or the group owner's slot for group graphs)."""
    body = {"resource_id": resource, "graph": graph, "start": start, "end": end, "what": "Catch the lightning",
            "where": "Courthouse, Hill Valley", "description": "10:04 PM exactly", "customer": CUSTOMER}
    if graph in ("group_customer", "group_customer_payment"):
        body = {"graph": graph, "related": {"owner_booking_id": GROUP_OPEN}, "customer": CUSTOMER}
    if graph == "group_owner":
        body = {**body, "resource_id": LORRAINE, "start": "2027-01-05T10:00:00-05:00",
                "end": "2027-01-05T12:00:00-05:00", "settings": {"max_seats": 4}}
        del body["customer"]
    return {**body, **extra}


def create(client, body: dict) -> dict:
    response = client.post(f"{BASE}/bookings", json=body, headers=APP)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def act(client, booking_id: str, action: str, body: dict | None = None):
    return client.put(f"{BASE}/bookings/{booking_id}/{action}", json=body or {}, headers=APP)


def get_booking(client, booking_id: str, include: str = "") -> dict:
    response = client.get(f"{BASE}/bookings/{booking_id}", params={"include": include} if include else {},
                          headers=APP)
    assert response.status_code == 200, response.text
    return response.json()["data"]
