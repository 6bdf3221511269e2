"""What a game knows about: its items and entities, synced from each game server (read-only)."""

from __future__ import annotations

from .core import Resource, getter, related_one, searcher

ITEM = Resource("Item", "items",
                extend={"gameserver": lambda i: related_one("gameservers", i["gameserverId"])})
ENTITY = Resource("Entity", "entities",
                  extend={"gameserver": lambda e: related_one("gameservers", e["gameserverId"])})

search_items = searcher(ITEM)
get_item = getter(ITEM)
search_entities = searcher(ENTITY)
get_entity = getter(ENTITY)
