"""What a `discriminator` beside `oneOf` / `anyOf` maps (OpenAPI's Discriminator Object): for each
branch, the values of the named property that name it.

A value names a branch through the `mapping` (a key whose target is that branch), through the
branch's component name (the implicit mapping: `Cat` for `#/components/schemas/Cat`, unless a
`mapping` key sends that value elsewhere), or by being a value the branch itself pins the property
to (`enum` / `const`, through `allOf` and refs).

`spec.dialects` judges a request body by the branch its value names, as servers that dispatch on
the discriminator do (Jackson, pydantic) and as Schemathesis reads it, though OpenAPI 3.0.4 /
3.1.1 say the discriminator "MUST NOT change the validation outcome": read to the letter, branches
that overlap (both allowing extra properties) would refuse every ordinary body. `generated.bodies`
writes a value that names the branch it built.

    found = tags(schema, document)      # None: no discriminator beside oneOf / anyOf
    found.prop, found.names[i]          # the property, the values that name branch i
    found.branch("Cat")                 # the index of the branch "Cat" names, or None
    found.complete                      # every branch has a name: a value that names none names no schema
    found.values                        # every value that names a schema, sorted (for messages)

The schema may come with its branches as refs (the document as written) or inlined (each ref
replaced by its target, as Connexion's operations hold it): an inlined branch is named by the
components whose inlining it is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .walk import escape, pointer_get, ref_pointer, resolve, unescape

SCHEMAS = "#/components/schemas/"
_CACHE: dict[tuple[int, int], tuple[Any, Any, Any]] = {}  # holds the schema and document: ids stay unique


@dataclass(frozen=True)
class Tags:
    prop: str
    names: tuple[tuple[str, ...], ...]  # per branch: its mapping keys, the values it pins, its component names
    others: frozenset[str]  # mapping keys whose target is no branch this schema lists

    def branch(self, value: Any) -> int | None:
        """The branch a value of the property names (the first, when several share it)."""
        return next((i for i, names in enumerate(self.names) if value in names), None)

    @property
    def complete(self) -> bool:
        """Every branch has a name: a value that names none names no schema."""
        return all(self.names)

    @property
    def values(self) -> list[str]:
        return sorted({v for names in self.names for v in names} | self.others)


def tags(schema: Any, document: Any) -> Tags | None:
    """The discriminator of a schema that has one beside `oneOf` / `anyOf`, resolved against the
    document (cached per schema object)."""
    if not isinstance(schema, dict) or not isinstance(schema.get("discriminator"), dict):
        return None
    key = (id(schema), id(document))
    held = _CACHE.get(key)
    if held is not None and held[0] is schema and held[1] is document:
        return held[2]
    if len(_CACHE) > 4096:
        _CACHE.clear()
    found = _tags(schema, document if isinstance(document, dict) else {})
    _CACHE[key] = (schema, document, found)
    return found


def _tags(schema: dict, document: dict) -> Tags | None:
    discriminator = schema["discriminator"]
    prop = discriminator.get("propertyName")
    branches = schema.get("oneOf") if isinstance(schema.get("oneOf"), list) else schema.get("anyOf")
    if not isinstance(prop, str) or not isinstance(branches, list) or not branches:
        return None
    mapping = discriminator.get("mapping") if isinstance(discriminator.get("mapping"), dict) else {}
    targets = {key: _target(value) for key, value in mapping.items() if isinstance(key, str)}
    refs = [_refs_of(branch, document) for branch in branches]
    names: list[tuple[str, ...]] = []
    for branch, own in zip(branches, refs):
        found = [key for key, target in targets.items() if target in own]  # explicit
        found += [v for v in _literals(branch, prop, document, 0) if v not in targets]  # the branch's own
        found += [_name(ref) for ref in own if _name(ref) not in targets]  # implicit, unless mapped elsewhere
        names.append(tuple(dict.fromkeys(v for v in found if v)))
    listed = {ref for own in refs for ref in own}
    others = frozenset(key for key, target in targets.items() if target not in listed)
    return Tags(prop, tuple(names), others)


def _target(value: Any) -> str | None:
    """The ref a mapping value names: a schema name, or a local URI reference."""
    if not isinstance(value, str):
        return None
    if value.startswith("#"):
        return value
    if "/" not in value and not value.startswith("."):
        return SCHEMAS + value
    return value  # a reference into another document: a key of its own, no branch here


def _name(ref: str) -> str:
    return unescape(ref_pointer(ref)[len(SCHEMAS) - 1:]) if ref.startswith(SCHEMAS) else ""


def _refs_of(branch: Any, document: dict) -> set[str]:
    """The component refs a branch is: its `$ref` (and what that ref names in turn), or, for an
    inlined branch, every component whose inlining it is."""
    if not isinstance(branch, dict):
        return set()
    found: set[str] = set()
    node, hops = branch, 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and hops < 32:
        found.add(node["$ref"])
        try:
            node = pointer_get(document, ref_pointer(node["$ref"]))
        except KeyError:
            break
        hops += 1
    if found:
        return found
    components = ((document.get("components") or {}).get("schemas") or {}) if isinstance(document, dict) else {}
    for name, raw in components.items() if isinstance(components, dict) else ():
        if _inlines(branch, raw, document, set()):
            found.add(SCHEMAS + escape(name))
    return found


def _inlines(inlined: Any, raw: Any, document: dict, seen: set) -> bool:
    """Whether `inlined` is `raw` with every local ref replaced by its target (what
    `apiapp.Dereferencer` makes of it)."""
    while isinstance(raw, dict) and isinstance(raw.get("$ref"), str) and raw["$ref"].startswith("#"):
        key = (id(inlined), raw["$ref"])
        if key in seen:  # a recursive schema met again: the same place, the same target
            return True
        seen.add(key)
        try:
            raw = pointer_get(document, ref_pointer(raw["$ref"]))
        except KeyError:
            return False
    if isinstance(raw, dict):
        return isinstance(inlined, dict) and inlined.keys() == raw.keys() \
            and all(_inlines(inlined[k], raw[k], document, seen) for k in raw)
    if isinstance(raw, list):
        return isinstance(inlined, list) and len(inlined) == len(raw) \
            and all(_inlines(a, b, document, seen) for a, b in zip(inlined, raw))
    return type(inlined) is type(raw) and inlined == raw


def _literals(schema: Any, prop: str, document: dict, depth: int) -> list[str]:
    """The string values a schema pins the property to (`enum` / `const`, through refs and
    `allOf`); [] when it does not pin it."""
    schema = resolve(document, schema)
    if not isinstance(schema, dict) or depth >= 16:
        return []
    found: list[str] = []
    prop_schema = resolve(document, schema["properties"].get(prop)) if isinstance(schema.get("properties"), dict) else None
    if isinstance(prop_schema, dict):
        if isinstance(prop_schema.get("const"), str):
            found.append(prop_schema["const"])
        elif isinstance(prop_schema.get("enum"), list):
            found += [v for v in prop_schema["enum"] if isinstance(v, str)]
    for part in schema["allOf"] if isinstance(schema.get("allOf"), list) else []:
        found += _literals(part, prop, document, depth + 1)
    return found
