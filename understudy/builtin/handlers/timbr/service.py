"""The timbr-api service itself: whitelisted configuration, and its per-ontology cache."""

import os

from understudy.context import settings
from understudy.errors import forbidden, not_found

from . import sqlengine
from .common import ok, ontology


async def get_config(config_name: str):
    config = settings()
    allowed = [n.strip() for n in str(config["ALLOWED_CONFIG_ENVS_IN_API"]).split(",") if n.strip()]
    if config_name not in allowed:
        raise forbidden(f"Config {config_name} is not allowed in the API: "
                        f"ALLOWED_CONFIG_ENVS_IN_API lists {', '.join(allowed) or 'nothing'}")
    value = config.get(config_name, os.environ.get(config_name))
    if value is None:
        raise not_found(f"Config {config_name}")
    return ok(str(value).lower() if isinstance(value, bool) else str(value))  # as the environment spells it


async def clear_cache(ontology_name: str):
    ontology(ontology_name)
    sqlengine.forget(ontology_name)
    return ok(f"Cache cleared for ontology {ontology_name}")
