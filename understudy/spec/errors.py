"""What goes wrong with a spec: `SpecError`, one line naming the file, line and column."""

from __future__ import annotations


class SpecError(Exception):
    """A spec that cannot be served: not YAML/JSON, not OpenAPI, a reference that cannot be
    followed, a bound exceeded. `str()` is one line: `file:line:column: message`."""

    def __init__(self, source: str, message: str, line: int = 1, column: int = 1):
        self.source, self.message, self.line, self.column = source, message, line, column
        super().__init__(f"{source}:{line}:{column}: {message}")
