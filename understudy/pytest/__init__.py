"""The pytest plugin (`pytest11` entry point `understudy`, loaded by pytest with no conftest):
the `understudy` fixture (a running server) and `understudy_session` (an isolated session per
test). `plugin.py` holds the options and fixtures, `server.py` starts the server in a process of
its own, `client.py` is what tests call (URLs, credentials, the journal, controls)."""

from .client import UnderstudyError, UnderstudyServer, UnderstudySession

__all__ = ["UnderstudyError", "UnderstudyServer", "UnderstudySession"]
