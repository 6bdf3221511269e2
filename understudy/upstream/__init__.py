"""In front of the real API: `serve --upstream [API=]URL` forwards an API's requests to the real
service and checks every exchange against the spec (drift), `--record FILE.har` keeps them,
`--replay FILE.har` answers recorded requests from the recording, and `understudy drift FILE.har`
checks a recording offline.

| module | holds |
|---|---|
| `options.py` | `--upstream [API=]URL`, checked at start (`UpstreamError`: one line) |
| `forward.py` | forwarding with httpx: the target URL, end-to-end headers, 502 / 504 |
| `exchange.py` | one request and its answer; content decoding; masking with the journal's rule |
| `drift.py` | the mock's validators on real traffic (`Checks`), drift summed per operation (`DriftLog`) |
| `har.py` | HAR 1.2: reading any, recording ours as it goes |
| `locate.py` | which API and path a recorded request was for |
| `replay.py` | the matching rule and the recorded answers |
| `front.py` | the step in front of one API's mock, and the journal's fields |
| `offline.py` | `understudy drift FILE.har` |
"""

from __future__ import annotations

from typing import Any

from .drift import DriftLog
from .forward import Upstream
from .front import JOURNAL, VERBATIM, Front
from .har import HarError, Recorder
from .locate import Locator
from .options import UpstreamError, upstream_urls
from .replay import Replay

__all__ = ["JOURNAL", "VERBATIM", "Fronts", "UpstreamError", "fronts"]


class Fronts(dict):
    """API name -> its Front (only the APIs something stands in front of), and the drift log."""

    def __init__(self, drift: DriftLog):
        super().__init__()
        self.drift = drift
        self.upstreams: list[Upstream] = []
        self.recorder: Recorder | None = None
        self.lines: list[str] = []  # what the banner says about them

    async def aclose(self) -> None:
        """The server is stopping: close the clients of this event loop (and the recording)."""
        for upstream in self.upstreams:
            await upstream.aclose()
        if self.recorder is not None:
            self.recorder.close()


def fronts(mounts: dict[str, Any], config: Any, engine_view: Any) -> Fronts:
    """The fronts the configuration asks for (UpstreamError for a mistake in it)."""
    found = Fronts(DriftLog(engine_view))
    urls = upstream_urls(config.get("upstreams") or (), list(mounts))
    files = list(config.get("replay") or ())
    if config.get("upstream_fallback") and not urls:
        raise UpstreamError("--upstream-fallback answers from the mock when the upstream is down: "
                            "give the upstream with --upstream URL")
    if config.get("record") and not urls:
        raise UpstreamError(f"--record {config['record']} records what --upstream forwards: "
                            f"give the real API with --upstream URL")
    if not urls and not files:
        return found
    try:
        replay = Replay(files, Locator(mounts.values())) if files else None
        found.recorder = Recorder(config["record"]) if config.get("record") else None
    except HarError as error:
        raise UpstreamError(str(error) if str(error).startswith("--") else f"--replay {error}")
    if replay is not None and not len(replay):
        raise UpstreamError(f"--replay {', '.join(files)}: no recorded exchange is a request to "
                            f"{', '.join(mounts)} (with an answer)")
    for name, mount in mounts.items():
        upstream = Upstream(urls[name], float(config["upstream_timeout"])) if name in urls else None
        if upstream is None and (replay is None or not replay.holds(name)):
            continue
        if upstream is not None:
            found.upstreams.append(upstream)
            found.lines.append(f"{name}: forwarded to {upstream.url}"
                               + (" (the mock answers when it is down)" if config.get("upstream_fallback") else ""))
        found[name] = Front(mount, upstream=upstream, fallback=bool(config.get("upstream_fallback")),
                            replay=replay, recorder=found.recorder, drift=found.drift,
                            max_depth=int(config["max_json_depth"]))
    if found.recorder is not None:
        found.lines.append(f"recording each forwarded exchange to {config['record']}")
    if replay is not None:
        found.lines.append(f"replaying {len(replay)} recorded exchange(s) from {', '.join(files)}")
    return found
