"""The Markdown table of a results dict, as `bench/results.md` and the README show it."""

from __future__ import annotations

from typing import Any

NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def _ordered(backends: dict[str, Any]) -> list[tuple[str, Any]]:
    """SQLite first, as run (results.json sorts its keys)."""
    return sorted(backends.items(), key=lambda item: list(NAMES).index(item[0]))


def _n(value: float) -> str:
    return f"{value:,.0f}"


def _cpu(f: dict[str, Any]) -> str:
    return f"{f['ours_cpu_us_per_event']:,.0f} / {f['baseline_cpu_us_per_event']:,.0f}"


def _check(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _service_cpu(f: dict[str, Any]) -> str:
    """CPU ms per submission: intake, then the funding services' (per service), the services' total."""
    cpu = f.get("cpu_ms_per_submission", {})
    funding = [v for k, v in cpu.items() if k.endswith("-funding")]
    total = sum(v for k, v in cpu.items() if k.endswith(("-intake", "-funding")))
    parts = [f"intake {cpu.get('region-intake', 0):.1f}"]
    if funding:
        parts.append(f"funding {len(funding)}× {sum(funding) / len(funding):.1f}")
    return f"{', '.join(parts)}: {total:.1f} ms/submission" if cpu else ""


def _end_load(r: dict[str, Any]) -> str:
    end = r.get("load_average_at_end")
    return f", at end {end[0]:.1f}" if end else ""


def markdown(r: dict[str, Any]) -> str:
    m = r["machine"]
    counts = [
        f"{name}: " + (f"median of {part['runs']} runs" if part["runs"] > 1 else "1 run")
        for name, part in (("replay", r.get("replay")), ("relay", r.get("relay")))
        if part
    ]
    lines = [
        f"Command: `{r['command']}`, {r['date']}, {m['cpus']} CPUs, Python {m['python']}, "
        f"load average at start {m['load_average_at_start'][0]:.1f}{_end_load(r)}. "
        f"{'; '.join(counts) + '; ' if counts else ''}ratios compare figures of the same run "
        "(the last column: CPU of this process per event, or of each service per submission).",
        "",
        "| benchmark | backend | ours | hand-written baseline | ratio | goal | CPU µs/event (ours / other) |",
        "|---|---|---:|---:|---:|---|---:|",
    ]
    if "replay" in r:
        rp = r["replay"]
        for backend, f in _ordered(rp["backends"]):
            same = "" if f["same_digest"] else " (**views differ from the baseline's**)"
            lines.append(
                f"| Replay, {rp['events']:,} events, events/s{same} | {NAMES[backend]} | "
                f"{_n(f['ours_per_s'])} | {_n(f['baseline_per_s'])} | {f['ratio']:.2f} | "
                f"≥ 0.8: {_check(f['ratio'] >= 0.8)} | {_cpu(f)} |"
            )
        for backend, f in _ordered(rp["backends"]):
            lines.append(
                f"| Replay vs raw pull + verify + parse, no database | {NAMES[backend]} | "
                f"{_n(f['ours_per_s'])} | {_n(rp['raw_per_s'])} (raw) | {f['ratio_to_raw']:.2f} | reported | "
                f"{f['ours_cpu_us_per_event']:,.0f} / {rp['raw_cpu_us_per_event']:,.0f} |"
            )
    if "faststream" in r:
        fs = r["faststream"]
        for backend, f in _ordered(fs["backends"]):
            same = "" if f["same_digest"] else " (**views differ**)"
            lines.append(
                f"| Replay, {fs['events']:,} events, the same fold fed by FastStream's batch pull subscriber "
                f"(ours = FastStream){same} | {NAMES[backend]} | {_n(f['faststream_per_s'])} | "
                f"{_n(f['ours_per_s'])} (our runner) | {f['faststream_per_s'] / f['ours_per_s']:.2f} | "
                f"reported (docs/decisions/0004) | "
                f"{f['faststream_cpu_us_per_event']:,.0f} / {f['ours_cpu_us_per_event']:,.0f} |"
            )
        for backend, f in _ordered(fs["backends"]):
            ours = f["live"]["ours"]
            for name, live in f["live"].items():
                lines.append(
                    f"| Live, who pulls: {fs['live_events']} events one by one, p50 PubAck → commit | "
                    f"{NAMES[backend]} | {name}: {live['p50_ms']:.1f} ms | ours: {ours['p50_ms']:.1f} ms | "
                    f"{live['p50_ms'] / ours['p50_ms']:.2f} | reported (docs/decisions/0004) | "
                    f"idle {live['idle_cpu_ms_per_s']:.1f} ms/s |"
                )
    if "all_views" in r:
        av = r["all_views"]
        for backend, f in _ordered(av["backends"]):
            lines.append(
                f"| Replay with every shared view (funding plan too), {av['events']:,} events, one run | "
                f"{NAMES[backend]} | {_n(f['ours_per_s'])} | — | — | reported | "
                f"{f['ours_cpu_us_per_event']:,.0f} / — |"
            )
            if "without_kept_digests_cpu_us_per_event" in f:
                kept, every_row = f["checkpoint_ms"]["checkpoint"], f["checkpoint_ms"]["every_row"]
                lines.append(
                    f"| Digests kept as rows change: CPU per event of that replay without them; a "
                    f"checkpoint's digest, kept / from every row | {NAMES[backend]} | "
                    f"{kept:,.1f} ms / {every_row:,.1f} ms | — | — | reported | "
                    f"{f['without_kept_digests_cpu_us_per_event']:,.0f} / — |"
                )
    if "relay" in r:
        rl = r["relay"]
        for backend, f in _ordered(rl["backends"]):
            lines.append(
                f"| Relay, {rl['events']:,} outbox rows, rows/s | {NAMES[backend]} | {_n(f['ours_per_s'])} | "
                f"{_n(f['baseline_per_s'])} | {f['ratio']:.2f} | ≥ 0.8: {_check(f['ratio'] >= 0.8)} | "
                f"{_cpu(f)} |"
            )
    if "memory" in r:
        mem = r["memory"]
        first, last = mem["figures"][0], mem["figures"][-1]
        lines.append(
            f"| Memory, peak RSS replaying {first['events']:,} / {last['events']:,} events | SQLite | "
            f"{first['peak_rss_mib']:.0f} MiB / {last['peak_rss_mib']:.0f} MiB | — | {mem['ratio']:.2f} | "
            f"≤ 1.2: {_check(mem['ratio'] <= 1.2)} | |"
        )
    intake = dict(_ordered(r.get("intake", {}).get("backends", {})))
    for backend, f in intake.items():
        s = f["submissions"]
        lines.append(
            f"| Submissions accepted per second, {s['clients']} clients (HTTP, auth, validation, database, "
            f"outbox), {s['submissions']:,} | {NAMES[backend]} | {_n(s['per_s'])} | — | — | reported | "
            f"{_service_cpu(s)} |"
        )
    rows = [(b, f) for b, f in intake.items()] + [(b, f["slow"]) for b, f in intake.items() if "slow" in f]
    for backend, f in rows:
        ours, raw = f["latency"], f["raw"]
        goal = f"p50 ≤ 10× raw: {_check(f['ratio_p50'] <= 10)}" if ours["rate_per_s"] == 100 else "reported"
        lines.append(
            f"| End-to-end latency p50 / p99, submission 201 to every pilot's view, "
            f"{ours['samples']:,} at {ours['rate_per_s']:.0f}/s | {NAMES[backend]} | "
            f"{ours['p50_ms']:.1f} / {ours['p99_ms']:.1f} ms | "
            f"{raw['p50_ms']:.1f} / {raw['p99_ms']:.1f} ms (raw publish → pull) | "
            f"{f['ratio_p50']:.1f} (p50) | {goal} | {_service_cpu(ours)} |"
        )
    if "join" in r:
        for p in r["join"]["points"]:
            same = "" if p["same_view_digest"] else " (**views differ from the full replay's**)"
            lines.append(
                f"| Snapshot join, {p['label']}: seconds to the head, join / full replay{same} | "
                f"{NAMES[p['backend']]} | {p['join']['total']['seconds']:,.1f} | "
                f"{p['replay']['seconds']:,.1f} (full replay) | "
                f"{p['join']['total']['seconds'] / p['replay']['seconds']:.2f} | reported | "
                f"{_per_event(p, p['join']['total'])} / {_per_event(p, p['replay'])} |"
            )
        lines += ["", *join_markdown(r["join"])]
    start, end = m["load_average_at_start"][0], (r.get("load_average_at_end") or [0.0])[0]
    if max(start, end) > m["cpus"]:
        lines += [
            "",
            f"The load average was {start:.1f} at start and {end:.1f} at end on {m['cpus']} CPUs (other work "
            "beside the run): a single run's ratio is unreliable, the CPU per event less so.",
        ]
    if r.get("skipped_backends"):
        lines += ["", *(f"Skipped {NAMES[b]}: {why}" for b, why in r["skipped_backends"].items())]
    lines += ["", f"Whole run: {r['seconds']:.0f} s."]
    return "\n".join(lines) + "\n"


def _per_event(point: dict[str, Any], timed: dict[str, float]) -> str:
    return f"{timed['cpu_s'] / point['events'] * 1e6:,.0f}"


def _state_part(point: dict[str, Any]) -> tuple[float, float]:
    """Wall and CPU seconds of the join before its tail: fetch, load and verify (rows hashed once), and
    install in runs before the join hashed them into the ledger itself."""
    found = point["join"]["phases"]
    phases = [found[name] for name in ("fetch", "load_verify", "install") if name in found]
    return sum(p["seconds"] for p in phases), sum(p["cpu_s"] for p in phases)


def join_markdown(j: dict[str, Any]) -> list[str]:
    """The join's phases per point; state against history; the 10-million arithmetic."""
    lines = [
        "Snapshot join, phase by phase (seconds wall / CPU of this process; `every` = events // 10, the "
        "snapshot at the last agreed position below the head, so the tail is `every` events):",
        "",
        "| corpus | backend | projects | snapshot rows | snapshot MB / write s | fetch | load + verify | "
        "tail (events) | join | full replay | same digests (views, bookkeeping) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for p in j["points"]:
        ph, total, sn = p["join"]["phases"], p["join"]["total"], p["snapshot"]

        def wc(t: dict[str, float]) -> str:
            return f"{t['seconds']:,.1f} / {t['cpu_s']:,.1f}"

        lines.append(
            f"| {p['label']} | {NAMES[p['backend']]} | {p['projects']:,} | {sn['rows']:,} | "
            f"{sn['bytes'] / 1e6:,.1f} / {sn['seconds']:,.1f} | {wc(ph['fetch'])} | "
            f"{wc(ph['load_verify'])} | {wc(ph['tail'])} ({p['tail_events']:,}) | {wc(total)} | "
            f"{wc(p['replay'])} | {'yes' if p['same_view_digest'] else '**no**'}, "
            f"{'yes' if p['same_bookkeeping_digest'] else '**no**'} |"
        )
    for backend in dict.fromkeys(p["backend"] for p in j["points"]):
        points = [p for p in j["points"] if p["backend"] == backend]
        lines += ["", *_history(points, j.get("history_base")), *_arithmetic(points)]
    return lines


def _history(points: list[dict[str, Any]], base: int | None) -> list[str]:
    long = [p for p in points if "later events" in p["label"]]
    if not long or base is None:
        return []
    h = long[0]
    same_projects = next((p for p in points if p["events"] == base and p is not h), None)
    same_events = next((p for p in points if p["events"] == h["events"] and p is not h), None)
    out = [f"State against history ({NAMES[h['backend']]}), join before its tail (fetch, load and verify):"]
    for p in (same_projects, h, same_events):
        if p is None:
            continue
        wall, cpu = _state_part(p)
        out.append(
            f"- {p['label']}: {p['projects']:,} projects, {p['snapshot']['rows']:,} rows: {wall:,.1f} s "
            f"({cpu / p['snapshot']['rows'] * 1e6:,.0f} µs CPU a row, "
            f"{cpu / p['events'] * 1e6:,.0f} µs an event); full replay {p['replay']['seconds']:,.1f} s"
        )
    return [*out, ""]


def _arithmetic(points: list[dict[str, Any]]) -> list[str]:
    """10,000,000 events from the two largest standard points: arithmetic, not a measurement."""
    standard = sorted((p for p in points if "later events" not in p["label"]), key=lambda p: p["events"])
    if len(standard) < 2:
        return []
    a, b = standard[-2], standard[-1]
    target = 10_000_000
    per_event = [p["replay"]["seconds"] / p["events"] for p in (a, b)]
    per_row = [_state_part(p)[0] / p["snapshot"]["rows"] for p in (a, b)]
    rows_per_event = b["snapshot"]["rows"] / b["snapshot"]["applied_events"]
    tail_per_event = b["join"]["phases"]["tail"]["seconds"] / b["tail_events"]
    replay = per_event[1] * target
    state = per_row[1] * rows_per_event * target
    tail = tail_per_event * target // 10
    return [
        f"Arithmetic, not measured ({NAMES[b['backend']]}): 10,000,000 events scaled linearly from "
        f"{b['events']:,}. Linearity between {a['events']:,} and {b['events']:,} events: full replay "
        f"{per_event[0] * 1e6:,.0f} → {per_event[1] * 1e6:,.0f} µs an event "
        f"({per_event[1] / per_event[0]:.2f}x), "
        f"join before its tail {per_row[0] * 1e6:,.1f} → {per_row[1] * 1e6:,.1f} µs a row "
        f"({per_row[1] / per_row[0]:.2f}x). At {rows_per_event:.2f} snapshot rows an event: full replay "
        f"≈ {replay / 60:,.0f} min; join ≈ {state / 60:,.1f} min before the tail, plus "
        f"≈ {tail / 60:,.1f} min for a tail of 1,000,000 events (every = events // 10; with a fixed "
        f"ESS_AGREED_EVERY the tail is at most that many events).",
    ]
