"""Bundling: a spec split over several files (relative `$ref`s such as `components.yaml#/Pet`)
becomes one document with local refs only. A referenced schema, parameter, response... is copied
once into the document's own section for its kind (`components/schemas/Pet`, or `definitions` in
Swagger 2.0) and every ref to it points there; a path item is copied in place. Remote refs
(http/https) are followed only when allowed; otherwise one line names the reference."""

from __future__ import annotations

import copy
import os
import re
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

from .errors import SpecError
from .source import is_url, load_document, locate
from .walk import SECTIONS_V2, SECTIONS_V3, V2, V3, escape, pointer_get, walk

# A `$ref` whose value does not start with `#`, anywhere in the text: without one, there is
# nothing to bundle and the (possibly large) document is not walked.
_EXTERNAL = re.compile(r"""\$ref["']?\s*:\s*["']?(?!#)[^\s"',}]""")


def has_external_refs(text: str) -> bool:
    return _EXTERNAL.search(text) is not None


def absolute(base: str, ref_file: str) -> str:
    """The file or URL a ref's file part names, relative to the document it is in."""
    if is_url(base) or is_url(ref_file):
        return urljoin(base, ref_file)
    if ref_file.startswith("file://"):
        ref_file = urlsplit(ref_file).path
    return os.path.normpath(os.path.join(os.path.dirname(base), ref_file))


class Bundler:
    def __init__(self, document: dict, source: str, *, swagger2: bool, allow_remote_refs: bool, text: str = ""):
        self.document = document
        self.root = source if is_url(source) else os.path.abspath(source)
        self.shown = source
        self.text = text
        self.table = V2 if swagger2 else V3
        self.sections = SECTIONS_V2 if swagger2 else SECTIONS_V3
        self.allow_remote_refs = allow_remote_refs
        self.files: dict[str, Any] = {self.root: document}
        self.placed: dict[tuple[str, str, str], str] = {}  # (file, pointer, kind) -> local ref
        self.origins: dict[str, tuple[str, str]] = {}  # local pointer -> (file, pointer) it came from
        self.work: list[tuple[dict, str, str, str]] = []  # (object, kind, file, local pointer)

    def bundle(self) -> tuple[dict, dict[str, tuple[str, str]]]:
        self.work.append((self.document, "root", self.root, ""))
        while self.work:
            node, kind, file, at = self.work.pop()
            walk(node, kind, lambda obj, k, p, f=file: self._visit(obj, k, p, f), self.table, at)
        return self.document, self.origins

    def _visit(self, obj: dict, kind: str, at: str, file: str) -> bool:
        ref = obj.get("$ref")
        if not isinstance(ref, str):
            return True
        file_part, _, fragment = ref.partition("#")
        fragment = unquote(fragment)
        target = absolute(file, file_part) if file_part else file
        if target == self.root:
            if file_part or file != self.root:
                obj["$ref"] = "#" + _quote_pointer(fragment)
            return kind == "schema"  # 3.1 schemas may have siblings beside $ref
        self._check_remote(ref, target, at)
        local = self._place(target, fragment, kind, ref, at, obj)
        if local is None:  # copied in place: walked later as part of the file it came from
            return False
        obj["$ref"] = local
        return kind == "schema"

    def _check_remote(self, ref: str, target: str, at: str) -> None:
        if not is_url(target) or self.allow_remote_refs:
            return
        if is_url(self.root) and urlsplit(target)[:2] == urlsplit(self.root)[:2]:
            return  # beside a spec that was itself fetched from there
        line, column = locate(self.text, "$ref") if self.text else (1, 1)
        raise SpecError(self.shown, f"remote $ref {ref!r} at {at or '/'} is not followed "
                        "(allow remote refs to follow it)", line, column)

    def _load(self, target: str, ref: str, at: str) -> Any:
        if target not in self.files:
            try:
                self.files[target], _ = load_document(target)
            except SpecError as error:
                raise SpecError(error.source, f"{error.message} (the $ref {ref!r} at {at or '/'} of "
                                f"{self.shown} names it)", error.line, error.column) from None
        return self.files[target]

    def _place(self, target: str, fragment: str, kind: str, ref: str, at: str, obj: dict) -> str | None:
        key = (target, fragment, kind)
        if key in self.placed:
            return self.placed[key]
        data = self._load(target, ref, at)
        try:
            value = pointer_get(data, fragment)
        except KeyError:
            raise SpecError(self.shown, f"$ref {ref!r} at {at or '/'}: {target} has nothing at "
                            f"#{fragment}") from None
        section = self.sections.get(kind)
        value = copy.deepcopy(value)
        if section is None or not isinstance(value, dict):
            # A path item (or anything without a section): copied in place of the ref.
            obj.pop("$ref", None)
            if isinstance(value, dict):
                obj.update({k: v for k, v in value.items() if k not in obj})
            self.work.append((obj, kind, target, at))
            self.origins[at] = (target, fragment)
            return None
        holder = self.document
        for part in section:
            holder = holder.setdefault(part, {})
        name = self._name(holder, target, fragment)
        holder[name] = value
        local = "/" + "/".join(escape(p) for p in (*section, name))
        self.placed[key] = "#" + local
        self.origins[local] = (target, fragment)
        self.work.append((value, kind, target, local))
        return "#" + local

    @staticmethod
    def _name(holder: dict, target: str, fragment: str) -> str:
        last = fragment.rstrip("/").rsplit("/", 1)[-1] if fragment.strip("/") else ""
        stem = os.path.splitext(os.path.basename(urlsplit(target).path))[0]
        base = re.sub(r"[^A-Za-z0-9._-]", "_", last or stem) or "ref"
        name, n = base, 1
        while name in holder:
            n += 1
            name = f"{base}_{n}"
        return name


def _quote_pointer(pointer: str) -> str:
    return quote(pointer, safe="/~:@!$&'()*+,;=-._")


def bundle(document: dict, source: str, text: str, *, swagger2: bool,
           allow_remote_refs: bool) -> tuple[dict, dict[str, tuple[str, str]]]:
    """(document with local refs only, {local pointer: (file, pointer) it was copied from})."""
    if not has_external_refs(text):
        return document, {}
    return Bundler(document, source, swagger2=swagger2, allow_remote_refs=allow_remote_refs,
                   text=text).bundle()
