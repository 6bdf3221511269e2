"""Shared names for the platform tests: the demo users and fixture ids they act on."""

from __future__ import annotations

from conftest import basic

BASE = "/platform/v2"
T1, T2 = "5b0d6d4b2c3f1a0011a0c001", "5b0d6d4b2c3f1a0011a0c002"
C1, C2 = "5b0d6d4b2c3f1a0011b0c001", "5b0d6d4b2c3f1a0011b0c002"
W1, W2, W3 = "5b0d6d4b2c3f1a0011c0c001", "5b0d6d4b2c3f1a0011c0c002", "5b0d6d4b2c3f1a0011c0c003"
USERS = {"alice": "59d22e7eeb865b0018adc248", "bob": "59d22e7eeb865b0018adc249", "carol": "59d22e7eeb865b0018adc24a",
         "dave": "59d22e7eeb865b0018adc24b", "frank": "59d22e7eeb865b0018adc24c", "svc": "59d22e7eeb865b0018adc24d"}
FLOW = "5b0d6d4b2c3f1a0013000002"  # inactive, in W1, alice's
ACTIVE_FLOW = "5b0d6d4b2c3f1a0013000001"  # active, in W1, with a draft
GLOBEX_FLOW = "5b0d6d4b2c3f1a001300000a"  # in W3 (the other contract)
TOPIC = "5b0d6d4b2c3f1a0017000001"
RECIPE = "5b0d6d4b2c3f1a0016000001"
PETSTORE = "5b0d6d4b2c3f1a0012000002"


def email(user: str) -> str:
    return f"{user}@{'globex' if user == 'dave' else 'acme'}.example"


def auth(user: str) -> dict[str, str]:
    return basic(email(user), f"{user}-api-key")


def doc(kind: str, attributes: dict | None = None, relationships: dict | None = None, **extra) -> dict:
    data = {"type": kind, **extra}
    if attributes is not None:
        data["attributes"] = attributes
    if relationships is not None:
        data["relationships"] = relationships
    return {"data": data}


def rel(kind: str, ident: str) -> dict:
    return {"data": {"type": kind, "id": ident}}


CODE_REVISION = "17fe90a939d9ba0a3823a1051863f6e41c0213fe"  # the code component's latest version (Acme's tenant)
CODE_COMMAND = f"acme-devs/code:execute@{CODE_REVISION}"
CRM_COMMAND = "globex-devs/crm:getLeads@81cdb3779d0de3ad8d37f87fb92beab1ba35dddc"  # Globex's own component


def debug_body(workspace_id: str, kind: str = "flow", run: str = "debug", command: str = CODE_COMMAND) -> dict:
    """A start-debug request as PR#492 draws it: one code step, a sample message, a workspace."""
    node = {"id": "step_1", "command": command, "fields": {}, "error": False}
    body = doc(kind, {"name": f"Debug {command}", "type": run,
                      "graph": {"nodes": [node], "edges": []}},
               {"workspace": rel("workspace", workspace_id)})
    body["data"]["meta"] = {"sampleData": {"body": {"name": "Rex"}, "passthrough": {}}}
    return body
