"""The figures: one measurement per server, scenario and round; one table per scenario with the
median of the rounds, the errors of all rounds, and the understudy/Prism ratio."""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import median

from .scenarios import Scenario
from .wrk import Result

PRISM_NOTE = ("Prism serves one spec per process, does not check credentials (only that the "
              "scheme's header is present) and keeps no state (a create is not stored; a read "
              "answers the spec's example).")

BUSY = 15  # % of one core used by other work above which the figures are flagged


@dataclass
class Measurement:
    scenario: str
    server: str  # "understudy", "understudy --workers 2", "Prism"
    is_prism: bool
    check: str  # what one request of the scenario got, before the load
    result: Result
    server_cpu: float  # % of one core over the measured run
    wrk_cpu: float
    other_cpu: float  # the rest of the machine: other work disturbs the figures
    notes: list[str] = field(default_factory=list)


@dataclass
class Summary:
    """A server's figures on one scenario over every round."""

    server: str
    is_prism: bool
    rps: float  # medians over the rounds...
    p50_us: float
    p99_us: float
    server_cpu: float
    wrk_cpu: float
    other_cpu: float
    non2xx: int  # ...and sums
    socket_errors: int
    no_id: int
    rps_each: list[float]  # every round's requests/s, in order
    notes: list[str]

    @property
    def errors(self) -> int:
        return self.non2xx + self.socket_errors


def summarise(measurements: list[Measurement]) -> list[Summary]:
    """One summary per server, in the order the servers first appear."""
    servers = dict.fromkeys(m.server for m in measurements)
    summaries = []
    for server in servers:
        rounds = [m for m in measurements if m.server == server]
        results = [m.result for m in rounds]
        summaries.append(Summary(
            server=server, is_prism=rounds[0].is_prism,
            rps=median(r.rps for r in results), p50_us=median(r.p50_us for r in results),
            p99_us=median(r.p99_us for r in results),
            server_cpu=median(m.server_cpu for m in rounds), wrk_cpu=median(m.wrk_cpu for m in rounds),
            other_cpu=median(m.other_cpu for m in rounds),
            non2xx=sum(r.non2xx for r in results), socket_errors=sum(r.socket_errors for r in results),
            no_id=sum(r.no_id for r in results), rps_each=[r.rps for r in results],
            notes=list(dict.fromkeys(note for m in rounds for note in m.notes)),
        ))
    return summaries


def ms(us: float) -> str:
    return f"{us / 1000:.1f} ms" if us < 100_000 else f"{us / 1000:.0f} ms"


def table(scenario: Scenario, measurements: list[Measurement], prism_label: str = "Prism") -> list[str]:
    summaries = summarise(measurements)
    lines = [f"{scenario.name}: {scenario.what}",
             f"  {'':<26}{'':>9}{'':>10}{'':>10}  {'errors':<17}{'CPU, % of one core':^21}",
             f"  {'server':<26}{'req/s':>9}{'p50':>10}{'p99':>10}  {'non-2xx, socket':<17}"
             f"{'server':>7}{'wrk':>7}{'other':>7}{'µs CPU/req':>12}  req/s per round"]
    for s in summaries:
        label = f"{prism_label} *" if s.is_prism else s.server
        rounds = ", ".join(f"{rps:.0f}" for rps in s.rps_each)
        lines.append(f"  {label:<26}{s.rps:>9.1f}{ms(s.p50_us):>10}{ms(s.p99_us):>10}  "
                     f"{f'{s.non2xx}, {s.socket_errors}':<17}"
                     f"{s.server_cpu:>7.0f}{s.wrk_cpu:>7.0f}{s.other_cpu:>7.0f}{cpu_us(s):>12.0f}  {rounds}")
    prism = next((s for s in summaries if s.is_prism), None)
    if prism is not None and prism.rps:
        for s in summaries:
            if not s.is_prism:
                lines.append(f"  {s.server} / Prism: {s.rps / prism.rps:.2f}x requests/s, "
                             f"p99 {ms(s.p99_us)} vs {ms(prism.p99_us)}")
    for s in summaries:
        lines += [f"  note ({s.server}): {note}" for note in s.notes]
        if s.no_id:
            lines.append(f"  note ({s.server}): {s.no_id} create replies had no id to read")
        if s.other_cpu > BUSY:
            lines.append(f"  note ({s.server}): other work used {s.other_cpu:.0f}% of a core during "
                         f"the runs: these figures are lower and noisier than on a quiet machine")
    if prism is not None:
        lines.append(f"  * {PRISM_NOTE}")
    return lines


def pinned_table(scenario: Scenario, measurements: list[Measurement], server_core: int, wrk_core: int) -> list[str]:
    """The per-core figure: one understudy worker and the bare Starlette route, each pinned to
    one core with wrk on the other, and their ratio."""
    summaries = summarise(measurements)
    lines = [f"per core: {scenario.what}; the server pinned to core {server_core}, wrk to core {wrk_core}",
             f"  {'server':<34}{'req/s':>9}{'p50':>10}{'p99':>10}  {'errors':<8}{'server CPU':>11}{'other':>7}"
             f"  req/s per round"]
    for s in summaries:
        rounds = ", ".join(f"{rps:.0f}" for rps in s.rps_each)
        lines.append(f"  {s.server:<34}{s.rps:>9.1f}{ms(s.p50_us):>10}{ms(s.p99_us):>10}  {s.errors:<8}"
                     f"{s.server_cpu:>10.0f}%{s.other_cpu:>6.0f}%  {rounds}")
    if len(summaries) == 2 and summaries[1].rps:
        ours, bare = summaries
        lines.append(f"  {ours.server} / {bare.server}: {100 * ours.rps / bare.rps:.0f} % of its requests/s "
                     f"({cpu_us(ours):.0f} µs vs {cpu_us(bare):.0f} µs of CPU a request)")
    for s in summaries:
        lines += [f"  note ({s.server}): {note}" for note in s.notes]
        if s.other_cpu > BUSY:
            lines.append(f"  note ({s.server}): other work used {s.other_cpu:.0f}% of a core during the runs")
    return lines


def cpu_us(s: Summary) -> float:
    """CPU time the server spent per request, in µs."""
    return s.server_cpu / 100 * 1e6 / s.rps if s.rps else 0.0
