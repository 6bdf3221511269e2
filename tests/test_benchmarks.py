"""The benchmark harness's pure parts: reading wrk's result, writing its script, the Prism
document, the scenario table and the report. No network, no wrk, no timing."""

from __future__ import annotations

import re
import sys

import pytest

from conftest import ROOT

sys.path.append(str(ROOT))  # benchmarks/ is a folder of the checkout, not an installed package

from benchmarks import report, servers, wrk  # noqa: E402
from benchmarks.scenarios import SCENARIOS, Request, Scenario, id_pattern  # noqa: E402

pytestmark = pytest.mark.once

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:41234
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    11.02ms    2.10ms  31.15ms   80.00%
    Req/Sec     2.83k   150.00     3.00k    70.00%
  28200 requests in 10.00s, 9.33MB read
  Non-2xx or 3xx responses: 12
Requests/sec:   2820.00
Transfer/sec:      0.93MB
WRK_JSON {"requests": 28200, "duration_us": 10000000, "bytes": 9783000, "non2xx": 12, "no_id": 0, \
"connect": 1, "read": 2, "write": 3, "timeout": 4, "p50_us": 11020, "p99_us": 31150, \
"mean_us": 11500.5, "max_us": 40000}
"""

GET = Request("GET", "/api/v1/test", {"Authorization": "Basic b3duZXI6cA=="})
CREATE = Request("POST", "/v2/bookings", {"Content-Type": "application/json"}, '{"what":"x"}', 201)
READ = Request("GET", "/v2/bookings/{id}", {})


def result(rps: int, p99_us: int = 30_000, non2xx: int = 0) -> wrk.Result:
    return wrk.Result(requests=rps * 10, duration_us=10_000_000, bytes=0, non2xx=non2xx, no_id=0,
                      connect=0, read=0, write=0, timeout=0, p50_us=10_000, p99_us=p99_us,
                      mean_us=11_000.0, max_us=50_000)


def measurement(server: str, rps: int, p99_us: int = 30_000, non2xx: int = 0,
                other_cpu: float = 0) -> report.Measurement:
    return report.Measurement("tiikr-get", server, server == "Prism", "GET 200",
                              result(rps, p99_us, non2xx), 95.0, 8.0, other_cpu)


# -- wrk's result -------------------------------------------------------------------------------

def test_parse_reads_the_result_line():
    parsed = wrk.parse(WRK_OUTPUT)
    assert (parsed.requests, parsed.p50_us, parsed.p99_us, parsed.non2xx) == (28200, 11020, 31150, 12)


@pytest.mark.parametrize("attribute, value", [
    ("rps", 2820.0),
    ("socket_errors", 1 + 2 + 3 + 4),
    ("errors", 12 + 10),
])
def test_parse_derives(attribute, value):
    assert getattr(wrk.parse(WRK_OUTPUT), attribute) == value


def test_parse_without_result_line_says_so():
    with pytest.raises(ValueError, match="no result line"):
        wrk.parse("unable to connect to 127.0.0.1:1 Connection refused\n")


# -- the wrk script --------------------------------------------------------------------------------

@pytest.mark.parametrize("value, text", [
    (None, "nil"),
    (True, "true"),
    (201, "201"),
    ("/api/v1/test", '"/api/v1/test"'),
    # quotes, backslashes, control and non-ASCII characters: three-digit decimal byte escapes
    ('{"a":"b\\c"}', '"{\\034a\\034:\\034b\\092c\\034}"'),
    ("a\n1", '"a\\0101"'),
    ("é", '"\\195\\169"'),
    (["GET", 1], '{"GET", 1}'),
    ({"x-api-key": "tk_1"}, '{["x-api-key"] = "tk_1"}'),
])
def test_lua_literal(value, text):
    assert wrk.lua(value) == text


def test_lua_refuses_what_it_cannot_write():
    with pytest.raises(TypeError):
        wrk.lua(object())


@pytest.mark.parametrize("scenario, present, absent", [
    (Scenario("fixed", "tiikr", "", request=GET), '["request"] = {["method"] = "GET"',
     '["create"] = {'),
    (Scenario("create-read", "timekit", "", create=CREATE, read=READ),
     '["create"] = {["method"] = "POST"', '["request"] = {'),
])
def test_script_starts_with_the_scenario_config(scenario, present, absent):
    config, _, rest = wrk.script(scenario).partition("\n")
    assert config.startswith("config = {") and present in config and absent not in config
    assert rest.strip().startswith("-- wrk script of benchmarks/run.py")


def test_command_drives_one_url_with_the_script(tmp_path):
    cmd = wrk.command("wrk", tmp_path / "s.lua", "http://127.0.0.1:9", "10s", 32, 1, "2s")
    assert cmd == ["wrk", "-t", "1", "-c", "32", "-d", "10s", "--timeout", "2s",
                   "-s", str(tmp_path / "s.lua"), "http://127.0.0.1:9"]


# -- create-then-read: the id of what was created ------------------------------------------------

@pytest.mark.parametrize("body, found", [
    ('{"data":{"id":"3f2a-11","graph":"instant"}}', "3f2a-11"),
    ('{"id": 42, "x": 1}', "42"),
    ('{"data": {"id" : "a"}, "resource": {"id": "b"}}', "a"),  # the first one
    ('{"ids": [1]}', None),
])
def test_id_pattern(body, found):
    match = re.search(id_pattern("id"), body)
    assert (match.group(1) if match else None) == found


# -- the scenario table ----------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [{}, {"request": GET, "create": CREATE, "read": READ},
                                    {"create": CREATE}])
def test_scenario_is_fixed_or_create_then_read(kwargs):
    with pytest.raises(ValueError):
        Scenario("broken", "tiikr", "", **kwargs)


def test_scenarios_have_unique_names():
    assert len({s.name for s in SCENARIOS}) == len(SCENARIOS)


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s.read], ids=lambda s: s.name)
def test_reads_take_the_created_id(scenario):
    assert "{id}" in scenario.read.path


# -- the Prism document ---------------------------------------------------------------------------

@pytest.mark.parametrize("servers_, paths", [
    ([{"url": "/api/v1"}], ["/api/v1/test", "/api/v1/workflows/{workflow_id}"]),
    ([{"url": "https://manage.tiikr.com/api/v1/"}], ["/api/v1/test", "/api/v1/workflows/{workflow_id}"]),
    ([{"url": "/"}], ["/test", "/workflows/{workflow_id}"]),
    (None, ["/test", "/workflows/{workflow_id}"]),
])
def test_prism_document_serves_understudy_paths(servers_, paths):
    spec = {"openapi": "3.0.3", "paths": {"/test": {"get": {}}, "/workflows/{workflow_id}": {"get": {}}}}
    if servers_ is not None:
        spec["servers"] = servers_
    document = servers.prism_document(spec)
    assert (list(document["paths"]), document["servers"]) == (paths, [{"url": "/"}])


def test_prism_document_drops_path_and_operation_servers():
    spec = {"servers": [{"url": "/v2"}], "paths": {"/bookings": {
        "servers": [{"url": "/elsewhere"}], "post": {"servers": [{"url": "/x"}], "responses": {}}}}}
    item = servers.prism_document(spec)["paths"]["/v2/bookings"]
    assert "servers" not in item and "servers" not in item["post"]


# -- the report ------------------------------------------------------------------------------------

def test_summary_takes_medians_and_sums_errors():
    rounds = [measurement("understudy", rps, p99, non2xx) for rps, p99, non2xx in
              [(2000, 40_000, 1), (3000, 20_000, 0), (2500, 30_000, 2)]]
    (summary,) = report.summarise(rounds)
    assert (summary.rps, summary.p99_us, summary.errors, summary.rps_each) == (
        2500, 30_000, 3, [2000, 3000, 2500])


@pytest.mark.parametrize("rows, line", [
    # the ratio, per understudy configuration
    ([measurement("understudy", 3000, 20_000), measurement("Prism", 1500, 200_000)],
     "understudy / Prism: 2.00x requests/s, p99 20.0 ms vs 200 ms"),
    ([measurement("understudy --workers 2", 4500), measurement("Prism", 1500)],
     "understudy --workers 2 / Prism: 3.00x requests/s"),
    # Prism's caveat next to its figures
    ([measurement("understudy", 3000), measurement("Prism", 1500)], "* " + report.PRISM_NOTE),
    ([measurement("understudy", 3000), measurement("Prism", 1500)], "  Prism 5 *"),
    # figures measured while other work ran are flagged
    ([measurement("understudy", 3000, other_cpu=80)], "note (understudy): other work used 80%"),
])
def test_table_shows(rows, line):
    scenario = Scenario("tiikr-get", "tiikr", "Tiikr GET", request=GET)
    assert any(line in text for text in report.table(scenario, rows, "Prism 5"))


def test_table_without_prism_has_no_ratio_nor_caveat():
    scenario = Scenario("tiikr-get", "tiikr", "Tiikr GET", request=GET)
    text = "\n".join(report.table(scenario, [measurement("understudy", 3000)]))
    assert "/ Prism" not in text and report.PRISM_NOTE not in text


# -- a user's spec, and start-up time ---------------------------------------------------------------

@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s.spec], ids=lambda s: s.name)
def test_spec_scenarios_serve_their_own_spec(scenario):
    from benchmarks.run import spec_arguments

    from pathlib import Path

    arguments = spec_arguments(scenario)
    assert arguments[0].endswith(scenario.spec)
    assert all(Path(a).is_absolute() and Path(a).is_file() or a.startswith("--") for a in arguments)


def test_startup_table_shows_medians_and_the_ratio():
    from benchmarks.startup import Start, table

    starts = [Start("understudy", 3.0, 2.5), Start("Prism", 6.0, 5.0), Start("understudy", 5.0, 2.7),
              Start("Prism", 8.0, 6.0)]
    text = "\n".join(table(starts, "Prism 5"))
    assert "understudy                      4.0      2.6" in text and "Prism 5                         7.0" in text
    assert "understudy / Prism: 0.57x the start-up time" in text
