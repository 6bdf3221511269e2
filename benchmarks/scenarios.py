"""The scenarios: what the load generator sends. One row per scenario; add a row to add one.

Paths are full paths on a single-API server (`understudy serve --api <api>`: the API's real base
path + the operation's path), which is also what the Prism document serves (run.py folds the base
path into its paths). A scenario is either one fixed request, repeated, or a create followed by a
read of what was created (`create` + `read`, whose path holds `{id}`: the first `"<id_field>":`
value of the create's reply).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    status: int = 200  # what a correct server answers


@dataclass(frozen=True)
class Scenario:
    name: str
    api: str  # the understudy API (handlers/<api>/) this scenario needs, or the name of `spec`
    what: str  # one line for the report
    request: Request | None = None  # a fixed scenario: this request, over and over
    create: Request | None = None  # a create-then-read scenario: this request...
    read: Request | None = None  # ...then this one, with {id} taken from the create's reply
    id_field: str = "id"
    # A user's own spec (`understudy serve SPEC`), relative to benchmarks/, in place of a built-in
    # API, and the `understudy serve` arguments it needs (files relative to benchmarks/ too).
    spec: str | None = None
    serve: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.request is None) == (self.create is None or self.read is None):
            raise ValueError(f"scenario {self.name}: give either request, or create and read")

    @property
    def first(self) -> Request:
        return self.request or self.create


def id_pattern(field_name: str) -> str:
    """The first `"<field>": value` of a reply, as wrk.lua reads it (quoted or not)."""
    return '"' + re.escape(field_name) + r'"\s*:\s*"?([^",}\s]+)'


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def get(path: str, headers: dict[str, str], status: int = 200) -> Request:
    return Request("GET", path, headers, None, status)


def post(path: str, body: Any, headers: dict[str, str], status: int = 200) -> Request:
    return Request("POST", path, {"Content-Type": "application/json", **headers},
                   json.dumps(body, separators=(",", ":")), status)


TIIKR_OWNER = basic("owner", "owner-password")
# The admin's demo key (`understudy credentials --api timbr`) and a concept of fixtures/timbr/.
TIMBR_KEY = {"x-api-key": "tk_ab3f0c7e41d24a9b8c1e5d2f6a7b6af3"}
TIMBR_ONTOLOGY = "timbr_supply_chain"
TIMEKIT_APP = basic("", "live_api_key_7nzvc7wsBQQISLeFSVhROys9V1bUJ1z7")
# Doc Brown, a resource of fixtures/timekit/. Double bookings are allowed so that every create of
# the same slot succeeds.
TIMEKIT_BOOKING = {
    "resource_id": "d187d6e0-d6cb-409a-ae60-45a8fd0ec879",
    "graph": "instant",
    "start": "2030-01-07T10:00:00+00:00",
    "end": "2030-01-07T11:00:00+00:00",
    "what": "Benchmark booking",
    "where": "Room 1",
    "customer": {"name": "Bench Mark", "email": "bench@example.com", "timezone": "Europe/London"},
    "settings": {"allow_double_bookings": True},
}

# Your own API: benchmarks/specs/pets.yaml served with generated behaviour, its credential fixed by
# a credentials file.
PETS = "specs/pets.yaml"
PETS_SERVE = ("--credentials", "specs/pets-credentials.yaml")
PETS_KEY = {"X-Api-Key": "bench-key"}

SCENARIOS: list[Scenario] = [
    Scenario("tiikr-get", "tiikr", "Tiikr GET /api/v1/test, Basic owner:owner-password",
             request=get("/api/v1/test", TIIKR_OWNER)),
    Scenario("timbr-query", "timbr", "Timbr POST /timbr/api/query/ (SELECT), x-api-key",
             request=post("/timbr/api/query/", {"ontology_name": TIMBR_ONTOLOGY,
                                                "query": "SELECT * FROM dtimbr.customer LIMIT 10"},
                          TIMBR_KEY)),
    Scenario("timekit-create-read", "timekit",
             "Timekit POST /v2/bookings then GET /v2/bookings/{id} of the booking created, Basic app key",
             create=post("/v2/bookings", TIMEKIT_BOOKING, TIMEKIT_APP, status=201),
             read=get("/v2/bookings/{id}", TIMEKIT_APP)),
    Scenario("spec-example", "pets", "Your own spec: GET /v1/pets/featured answered from its example, X-Api-Key",
             request=get("/v1/pets/featured", PETS_KEY), spec=PETS, serve=PETS_SERVE),
    Scenario("spec-create-read", "pets",
             "Your own spec: POST /v1/pets then GET /v1/pets/{id} of the pet created (an inferred resource)",
             create=post("/v1/pets", {"name": "Bench", "tag": "cat"}, PETS_KEY, status=201),
             read=get("/v1/pets/{id}", PETS_KEY), spec=PETS, serve=PETS_SERVE),
]

BY_NAME = {s.name: s for s in SCENARIOS}
