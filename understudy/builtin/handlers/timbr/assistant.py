"""The calls Timbr's langchain client makes (not in the API reference): knowledge-base search,
conversation history and LLM prompt templates."""

import re
import time

from understudy.context import principal, store
from understudy.errors import ApiError, Violation, forbidden, not_found
from understudy.responses import json_response

from .common import may_use, ok

WORDS = re.compile(r"\w+")


def similarity(a: str, b: str) -> float:
    """Word overlap (Jaccard) of two questions, in [0, 1]."""
    left, right = set(WORDS.findall(a.lower())), set(WORDS.findall(b.lower()))
    return round(len(left & right) / len(left | right), 4) if left | right else 0.0


def knowledge_bases(names: list[str]) -> list[dict]:
    found = {name: store().get("knowledge_bases", name) for name in dict.fromkeys(names)}
    missing = [name for name, kb in found.items() if kb is None]
    if missing:
        raise not_found(f"Knowledge base {', '.join(missing)}")
    user = principal()
    denied = [name for name, kb in found.items() if not any(may_use(user, o) for o in kb["ontologies"])]
    if denied:
        raise forbidden(f"User {user['username']} has no access to knowledge base {', '.join(denied)}")
    return list(found.values())


async def kb_search(body: dict):
    started = time.perf_counter()
    high, medium = body.get("high_threshold", 0.8), body.get("medium_threshold", 0.5)
    if medium > high:
        raise ApiError("validation", "Request is not valid", [
            Violation("body", "/medium_threshold", "must not be greater than high_threshold")])
    kbs = knowledge_bases(body["knowledge_bases"])
    scored = sorted(
        ({"knowledge_base": kb["id"], **example, "confidence": similarity(body["question"], example["question"])}
         for kb in kbs for example in kb["examples"]),
        key=lambda m: -m["confidence"])
    matches = [m for m in scored if m["confidence"] >= medium][:body.get("top_k", 5)]
    level = "none" if not matches else "high" if matches[0]["confidence"] >= high else "medium"
    return json_response({
        "matches": matches,
        "match_level": level,
        "per_kb_max_changed_on": {kb["id"]: max(e["changed_on"] for e in kb["examples"])
                                  for kb in kbs if kb["examples"]},
        "latency_ms": round((time.perf_counter() - started) * 1000, 3),
    })


async def fetch_conversation_history(conversation_id: str, top: int | None = None):
    conversation = store().get("conversations", conversation_id)
    if conversation is None or conversation["username"] != principal()["username"]:
        raise not_found(f"Conversation {conversation_id}")
    messages = conversation["messages"]
    shown = messages[-top:] if top else messages
    return json_response({"data": shown, "status": "success", "truncated": len(shown) < len(messages)})


async def llm_prompt(template_name: str):
    prompt = store().get("llm_prompts", template_name)
    if prompt is None:
        raise not_found(f"Prompt template {template_name}")
    return ok(prompt["templates"])


fetch_conversation_history_no_slash = fetch_conversation_history  # both forms are in use
