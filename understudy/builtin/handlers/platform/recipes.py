"""Recipes (experimental): shareable flow templates, exported from flows and activated into new
flows. `visibility` (a top-level member of `data`) widens who sees one."""

from understudy import jsonapi
from understudy.context import store
from understudy.errors import ApiError, Violation, forbidden, not_found
from understudy.responses import empty_response, json_response
from understudy.stores import clone

from . import access
from .flows import checked_graph, new_version
from .resources import FLOW, RECIPE

# Who may set each visibility, and in which scope: (scope, permission).
VISIBILITY_PERMISSIONS = {
    "workspace": ("workspaces", "workspaces.recipe.edit"),
    "contract": ("workspaces", "workspaces.recipe.edit"),
    "tenant": ("tenants", "tenant.recipe.edit_visibility_tenant"),
    "global": ("global", "global.recipe.edit_visibility_global"),
}


def visible_in(recipe: dict, workspace: dict) -> bool:
    contract = store().get("contracts", workspace["contract_id"])
    return {
        "workspace": recipe["workspace_id"] == workspace["id"],
        "contract": recipe["contract_id"] == workspace["contract_id"],
        "tenant": recipe["tenant_id"] == contract["tenant_id"],
        "global": True,
    }[recipe.get("visibility", "workspace")]


def visible_recipe(recipe_id: str) -> dict:
    recipe = store().get("recipes", recipe_id)
    if recipe is None:
        raise not_found("Recipe", recipe_id)
    if recipe.get("visibility") == "global" or (
            recipe.get("visibility") == "tenant" and recipe["tenant_id"] == access.me().get("tenant_id")):
        return recipe
    try:
        access.contract(recipe["contract_id"])
    except ApiError:
        raise not_found("Recipe", recipe_id)
    return recipe


def stamp(workspace_id: str) -> dict:
    workspace = store().get("workspaces", workspace_id)
    contract = store().get("contracts", workspace["contract_id"])
    return {"workspace_id": workspace_id, "contract_id": contract["id"], "tenant_id": contract["tenant_id"],
            "user_id": access.me()["id"], "visibility": "workspace"}


def workspace_of(body: dict) -> str:
    """The workspace a request names (`workspace`, else `dest_workspace`); each it names must be
    one the caller sees."""
    rels = body["data"].get("relationships") or {}
    named = [str(data["id"]) for data in ((rels.get(n) or {}).get("data") or {} for n in ("workspace", "dest_workspace"))
             if isinstance(data, dict) and data.get("id")]
    if not named:
        raise ApiError("validation", "A workspace is required",
                       [Violation("body", "/data/relationships/workspace", "is required")])
    for workspace_id in named:
        access.workspace(workspace_id)
    return named[0]


def checked_templates(body: dict) -> None:
    for template in ((body["data"].get("attributes") or {}).get("flow_templates") or []):
        checked_graph(template.get("graph") if isinstance(template, dict) else None)


async def create_recipe(body):
    workspace_id = workspace_of(body)
    access.workspace(workspace_id, "workspaces.recipe.edit")
    checked_templates(body)
    doc = jsonapi.create(RECIPE, body, stamp(workspace_id))
    return jsonapi.respond(RECIPE, doc, 201)


async def export_flow(flow_id, body):
    flow = access.flow(flow_id, "workspaces.flow.exportToRecipe")
    jsonapi.incoming(RECIPE, body, type_="flow-export-to-recipe-config")
    workspace_id = workspace_of(body) if (body["data"].get("relationships")) else flow["workspace_id"]
    access.workspace(workspace_id, "workspaces.recipe.edit")
    attrs = flow["attributes"]
    recipe = {"data": {"type": "recipe", "attributes": {
        "declarations": {"variables": [], "credentials": []},
        "info": {"title": attrs["name"], "description": attrs.get("description") or attrs["name"],
                 "short_description": attrs.get("description") or attrs["name"]},
        "flow_templates": [{"title": attrs["name"], "cron": attrs.get("cron"), "graph": attrs.get("graph")}]}}}
    return jsonapi.respond(RECIPE, jsonapi.create(RECIPE, recipe, stamp(workspace_id)), 201)


async def get_recipe(recipe_id):
    return jsonapi.respond(RECIPE, visible_recipe(recipe_id))


async def list_recipes(workspace_id, **params):
    workspace = access.workspace(workspace_id)
    docs = [r for r in store().all("recipes") if visible_in(r, workspace)]
    return json_response(jsonapi.collection(RECIPE, docs, params))


def editable(recipe_id: str) -> dict:
    recipe = visible_recipe(recipe_id)
    access.workspace(recipe["workspace_id"], "workspaces.recipe.edit")
    return recipe


async def update_recipe(recipe_id, body):
    recipe = editable(recipe_id)
    checked_templates(body)
    return jsonapi.respond(RECIPE, jsonapi.update(RECIPE, recipe, body))


async def set_visibility(recipe_id, body):
    recipe = visible_recipe(recipe_id)
    wanted = body["data"]["visibility"]
    scope, perm = VISIBILITY_PERMISSIONS[wanted]
    held = {"workspaces": lambda: access.workspace_permissions(access.workspace(recipe["workspace_id"])),
            "tenants": lambda: access.tenant_permissions(recipe["tenant_id"]),
            "global": lambda: access.tenant_permissions("") if access.me().get("service_account") else set()}[scope]()
    if perm not in held and not (scope == "tenants" and access.tenant_admin(recipe["tenant_id"])):
        raise forbidden(f"You need the {perm} permission to make a recipe {wanted}-visible")
    recipe = store().update("recipes", recipe_id, {"visibility": wanted})
    return jsonapi.respond(RECIPE, recipe)


async def activate(recipe_id, body):
    recipe = visible_recipe(recipe_id)
    jsonapi.incoming(RECIPE, body, type_="recipe-activation-config")
    workspace_id = workspace_of(body)
    access.workspace(workspace_id, "workspaces.flow.edit")
    chosen = body["data"]["attributes"].get("credentials") or {}
    for credential_id in chosen.values():
        access.credential(str(credential_id))
    flows = []
    for template in recipe["attributes"].get("flow_templates", []):
        graph = clone(template.get("graph") or {"nodes": [], "edges": []})
        for node in graph.get("nodes", []):
            if node.get("id") in chosen:
                node["credentials_id"] = chosen[node["id"]]
        flow = jsonapi.insert(FLOW, jsonapi.build(FLOW, {"data": {"type": "flow", "attributes": {
            "name": template.get("title", "Recipe flow"), "type": "ordinary", "graph": graph,
            "cron": template.get("cron")}}}, {"workspace_id": workspace_id, "user_id": access.me()["id"]}))
        flows.append(new_version(flow))
    return json_response({"data": {"relationships": {"flows": [
        {"data": {"type": "flow", "id": f["id"]}} for f in flows]}}}, 201)


async def delete_recipe(recipe_id):
    recipe = editable(recipe_id)
    if recipe.get("visibility", "workspace") != "workspace":
        raise forbidden(f"A recipe with {recipe['visibility']} visibility cannot be deleted")
    store().delete("recipes", recipe_id)
    return empty_response(204)
