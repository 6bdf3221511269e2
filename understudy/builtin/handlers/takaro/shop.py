"""The shop: categories (a tree), listings of game items for a price, and orders paid in the game
server's currency (PAID, then COMPLETED when claimed or CANCELED with a refund)."""

from __future__ import annotations

from understudy.context import store
from understudy.errors import ApiError

from .core import (Resource, bad_request, can, caller, done, emit, getter, mine, new_id, now, ok,
                   related_one, searcher)
from .gameservers import GAMESERVER
from .players import PLAYER
from .pogs import credit, wallet

# -- categories ---------------------------------------------------------------------------------------
def category_summary(category: dict) -> dict:
    return {k: category.get(k) for k in ("id", "name", "emoji", "parentId", "createdAt", "updatedAt")}


def listings_in(category: dict, game_server_id: str | None = None) -> list[dict]:
    return [entry for entry in LISTING.rows() if category["id"] in entry.get("categoryIds", [])
            and game_server_id in (None, entry["gameServerId"])]


def category_shape(category: dict) -> dict:
    children = mine("shopCategories", parentId=category["id"])
    return {**category, "children": [category_summary(c) for c in children],
            "listingCount": len(listings_in(category))}


CATEGORY = Resource("Shop category", "shopCategories", shape=category_shape,
                    extend={"parent": lambda c: related_one("shopCategories", c.get("parentId"))},
                    defaults={"parentId": None}, unique=(("name",),))


def check_parent(category_id: str | None, parent_id: str | None) -> None:
    """The parent exists, and is neither the category nor one of its descendants."""
    while parent_id is not None:
        if parent_id == category_id:
            raise bad_request("A category cannot be moved under itself or one of its children")
        parent_id = CATEGORY.find(parent_id).get("parentId")


async def list_categories(gameServerId: str | None = None):
    rows = sorted(CATEGORY.rows(), key=lambda c: c["name"])
    return ok([{**CATEGORY.render(c), "listingCount": len(listings_in(c, gameServerId))} for c in rows])


async def create_category(body: dict):
    check_parent(None, body.get("parentId"))
    return ok(CATEGORY.render(CATEGORY.create(body)))


async def update_category(id: str, body: dict):
    CATEGORY.find(id)
    if "parentId" in body:
        check_parent(id, body["parentId"])
    return ok(CATEGORY.render(CATEGORY.update(id, body)))


async def move_category(id: str, body: dict):
    CATEGORY.find(id)
    check_parent(id, body.get("parentId"))
    return ok(CATEGORY.render(CATEGORY.update(id, {"parentId": body.get("parentId")})))


async def delete_category(id: str):
    CATEGORY.delete(id)
    for child in mine("shopCategories", parentId=id):
        store().update("shopCategories", child["id"], {"parentId": None, "updatedAt": now()})
    for entry in mine("shopListings"):
        if id in entry.get("categoryIds", []):
            store().update("shopListings", entry["id"],
                           {"categoryIds": [c for c in entry["categoryIds"] if c != id]})
    return done()


async def bulk_assign(body: dict):
    listings = [LISTING.find(i) for i in body["listingIds"]]
    adding, removing = body.get("addCategoryIds", []), set(body.get("removeCategoryIds", []))
    for category_id in [*adding, *removing]:
        CATEGORY.find(category_id)
    for entry in listings:
        ids = [c for c in entry.get("categoryIds", []) if c not in removing]
        ids += [c for c in adding if c not in ids]
        store().update("shopListings", entry["id"], {"categoryIds": ids, "updatedAt": now()})
    return done()


# -- listings -------------------------------------------------------------------------------------------
def listing_shape(entry: dict) -> dict:
    items = [{"id": i["id"], "amount": i["amount"], "quality": i.get("quality"),
              "item": related_one("items", i["itemId"]), "createdAt": entry["createdAt"],
              "updatedAt": entry["updatedAt"]} for i in entry.get("items", [])]
    categories = [category_summary(c) for c in map(lambda i: store().get("shopCategories", i),
                                                   entry.get("categoryIds", [])) if c]
    return {**entry, "items": items, "categories": categories}


LISTING = Resource(
    "Shop listing", "shopListings", shape=listing_shape,
    extend={"gameServer": lambda e: related_one("gameservers", e["gameServerId"])},
    visible=lambda e: e.get("deletedAt") is None,
    defaults={"draft": False, "categoryIds": [], "deletedAt": None},
    events={"create": "shop-listing-created", "update": "shop-listing-updated"},
)


def listing_fields(body: dict, game_server_id: str) -> dict:
    GAMESERVER.find(game_server_id)
    fields = dict(body)
    if "items" in body:
        fields["items"] = []
        for wanted in body["items"]:
            item = next((i for i in mine("items", gameserverId=game_server_id)
                         if i["id"] == wanted.get("itemId") or i["code"] == wanted.get("code")), None)
            if item is None:
                raise bad_request("Item not found on this game server")
            fields["items"].append({"id": new_id(), "itemId": item["id"],
                                    "amount": wanted["amount"], "quality": wanted.get("quality")})
    for category_id in body.get("categoryIds", []):
        CATEGORY.find(category_id)
    return fields


async def create_listing(body: dict):
    return ok(LISTING.render(LISTING.create(listing_fields(body, body["gameServerId"]))))


async def update_listing(id: str, body: dict):
    entry = LISTING.find(id)
    fields = listing_fields(body, body.get("gameServerId", entry["gameServerId"]))
    return ok(LISTING.render(LISTING.update(id, fields)))


async def delete_listing(id: str):
    entry = LISTING.find(id)
    store().update("shopListings", id, {"deletedAt": now()})
    emit("shop-listing-deleted", entry, {"listing": {"id": id, "name": entry["name"]}})
    return done()


async def import_listings():
    return done()


# -- orders -------------------------------------------------------------------------------------------
def order_listing(order: dict) -> dict | None:
    entry = store().get("shopListings", order["listingId"])
    return None if entry is None else LISTING.render(entry)


ORDER = Resource("Shop order", "shopOrders",
                 extend={"listing": order_listing, "listing.items": order_listing,
                         "listing.items.item": order_listing},
                 defaults={"userId": None})


def my_player_id() -> str | None:
    return caller().get("playerId")


def visible_order(order: dict) -> bool:
    return can("MANAGE_SHOP_ORDERS") or order["playerId"] == my_player_id()


def find_order(id: str) -> dict:
    order = ORDER.find(id)
    if not visible_order(order):
        raise ApiError("not_found", f"Shop order with id {id} not found")
    return order


async def create_order(body: dict):
    entry = LISTING.find(body["listingId"])
    if entry.get("draft"):
        raise bad_request("Cannot order a draft listing")
    player_id = body.get("playerId") if can("MANAGE_SHOP_ORDERS") else None
    player_id = player_id or my_player_id()
    if player_id is None:
        raise bad_request("You need to link your player profile to be able to buy items")
    PLAYER.find(player_id)
    pog = wallet(entry["gameServerId"], player_id)
    credit(pog, -entry["price"] * body["amount"])
    order = ORDER.create({"listingId": entry["id"], "playerId": player_id, "amount": body["amount"],
                          "gameServerId": entry["gameServerId"], "status": "PAID",
                          "userId": caller()["id"]})
    emit("shop-order-created", order, {"order": {"id": order["id"]}})
    return ok(ORDER.render(order))


def advance(id: str, new_status: str, refund: bool):
    order = find_order(id)
    if order["status"] != "PAID":
        raise bad_request(f"Can only {'cancel' if refund else 'claim'} paid orders, "
                          f"this order is {order['status']}")
    if refund:
        entry = store().get("shopListings", order["listingId"])
        credit(wallet(order["gameServerId"], order["playerId"]), entry["price"] * order["amount"])
    order = ORDER.update(id, {"status": new_status})
    emit("shop-order-status-changed", order, {"order": {"id": id}, "status": new_status})
    return ok(ORDER.render(order))


async def claim_order(id: str):
    return advance(id, "COMPLETED", refund=False)


async def cancel_order(id: str):
    return advance(id, "CANCELED", refund=True)


async def search_orders(body=None):
    rows, meta = ORDER.query(body, visible_order)
    return ok(rows, meta)


async def get_order(id: str):
    return ok(ORDER.render(find_order(id)))


search_categories = searcher(CATEGORY)
get_category = getter(CATEGORY)
search_listings = searcher(LISTING)
get_listing = getter(LISTING)
