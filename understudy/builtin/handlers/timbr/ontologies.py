"""Ontologies: list, describe, create (admin only)."""

from understudy.context import principal, store
from understudy.errors import conflict

from .common import database, may_use, ok, require_admin


async def list_ontologies():
    user = principal()
    return ok([o["id"] for o in store().all("ontologies") if may_use(user, o["id"])])


async def get_ontology(ontology_name: str):
    db = database(ontology_name)
    doc = store().get("ontologies", ontology_name)
    concepts = [{
        "concept": c["name"],
        "description": c.get("description", ""),
        "properties": c["properties"],
        "relationships": [{"relationship": r.name, "target_concept": r.target,
                           "property": r.property, "target_property": r.target_property}
                          for r in db.model.relationships.get(c["name"].lower(), {}).values()],
    } for c in doc.get("concepts", [])]
    views = [{"view": v["name"], "description": v.get("description", ""),
              "columns": db.view_columns[v["name"].lower()]} for v in doc.get("views", [])]
    return ok({"ontology_name": doc["id"], "description": doc.get("description", ""),
               "datasources": doc.get("datasources", []), "concepts": concepts, "views": views})


async def create_ontology(body: dict):
    require_admin("create ontologies")
    name = body["ontology_name"]
    with store().atomic():  # one ontology per name, on every worker and host
        if store().get("ontologies", name) is not None:
            raise conflict(f"Ontology {name} already exists")
        store().insert("ontologies", {"id": name, "description": body.get("description", ""),
                                      "datasources": [], "concepts": [], "views": []})
    return ok(f"Ontology {name} created")


# The documented paths end in "/"; the same calls without it.
list_ontologies_no_slash = list_ontologies
create_ontology_no_slash = create_ontology
