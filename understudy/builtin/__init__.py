"""The APIs that ship with understudy: `openapi/<api>.yaml` (the contract), `handlers/<api>/` (what
is particular to the API: its `ApiDefinition` and handlers) and `fixtures/<api>/` (the starting
state). The engine mounts them the way it mounts a user's spec with `--handlers` and
`--fixtures`."""
