"""The bench result as a one-page HTML report (inline SVG, no scripts) and a text summary."""
import html
import math


def _rank(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, max(1, math.ceil(p / 100 * len(v))) - 1)] if v else 0


def percentiles(values):
    """Nearest-rank p50/p95/p99 and max (all 0 when there are none)."""
    return {"p50": _rank(values, 50), "p95": _rank(values, 95), "p99": _rank(values, 99),
            "max": max(values) if values else 0}


def saga_timeline(sagas, t0):
    """Per second of saga start (from the load's start): count, p50, p99 and max saga time."""
    by_second = {}
    for started, ms, _status, _reason in sagas:
        by_second.setdefault(int(started - t0), []).append(ms)
    return [{"t": s, "count": len(v), "p50": _rank(v, 50), "p99": _rank(v, 99), "max": max(v)}
            for s, v in sorted(by_second.items()) if s >= 0]


def text_summary(r):
    h, s, c = r["http_ms"], r["saga_ms"], r["sagas"]
    lines = [
        f"machine: {r['machine'].get('cpu_model', '?')}, {r['machine']['cpus']} CPUs; "
        f"database commits: {r['db_durability']}; topics: {r.get('kafka_partitions') or '?'} partitions each",
        f"rate {r['rate']:g}/s for {r['duration_s']:g} s: achieved {r['achieved_rps']}/s, "
        f"{r['requests']} requests, {r['accepted']} accepted, "
        + (f"{r['refused']} refused {r.get('refused_by_code', {})}, " if r.get("refused") else "")
        + f"{r['errors']} errors"
        + (f" ({r['placed_without_answer']} of them placed all the same)" if r.get("placed_without_answer") else ""),
        f"http ms  p50 {h['p50']:.1f}  p95 {h['p95']:.1f}  p99 {h['p99']:.1f}  max {h['max']:.1f}",
        f"saga ms  p50 {s['p50']}  p95 {s['p95']}  p99 {s['p99']}  max {s['max']}",
        "saga hops (completed; p50 / p99 ms) " + ", ".join(
            f"{x['from']} -> {x['to']} {x['p50']:g} / {x['p99']:g}" for x in r["saga_hops_ms"]["hops"]),
        f"sagas    completed {c['completed']}, cancelled {c['cancelled']} {r.get('cancelled_by', {})}, "
        f"pending {c['pending']}",
        "cpu %    " + ", ".join(f"{k} {v}" for k, v in sorted(r["cpu_percent_of_one_core"].items(),
                                                           key=lambda kv: -kv[1]))
        + f"  (steal {r['steal_percent']}%)",
        "cpu us/order " + ", ".join(f"{k} {v}" for k, v in sorted(r.get("cpu_us_per_order", {}).items(),
                                                                 key=lambda kv: -kv[1])),
        "invariants " + ("ok" if r["invariants"]["ok"] else "FAILED"),
    ]
    rows = r.get("table_rows")
    if rows:
        lines.insert(-1, "table rows (before -> after) " + ", ".join(
            f"{t} {rows['before'][t]} -> {rows['after'][t]}" for t in rows["before"]))
    for t in r.get("targets", []):
        lines.insert(-1, f"target   {t['name']}: {'met' if t['ok'] else 'MISSED'} ({t['detail']})")
    for ch in r["invariants"]["checks"]:
        lines.append(f"  [{'ok' if ch['ok'] else 'FAIL'}] {ch['name']}: {ch['detail']}")
    return "\n".join(lines)


def log_axis(values):
    """A log axis over whole decades around the positive values (at least 0.1): (lo, hi, ticks).
    Over three decades or fewer the ticks are 1, 2 and 5 of each, so that a line between two
    powers of ten can be read; over more, only the powers of ten."""
    positive = [v for v in values if v > 0]
    lo = 10 ** math.floor(math.log10(max(0.1, min(positive) if positive else 1)))
    hi = 10 ** math.ceil(math.log10(max(lo * 10, max(values, default=0))))
    decades = range(round(math.log10(lo)), round(math.log10(hi)) + 1)
    steps = (1, 2, 5) if len(decades) <= 4 else (1,)
    ticks = [float(f"{m * 10.0 ** e:.6g}") for e in decades for m in steps if m * 10.0 ** e <= hi]
    return lo, hi, ticks


def _chart(title, series, y_label, log_scale=False, width=860, height=220):
    """series: [(name, color, [(x, y), ...])]. A line chart as inline SVG."""
    pts = [p for _, _, data in series for p in data]
    if not pts:
        return f"<h3>{html.escape(title)}</h3><p>no data</p>"
    left, right, top, bottom = 60, 150, 10, 30
    xmax = max(1, max(x for x, _ in pts))
    ys = [y for _, y in pts]
    if log_scale:
        lo, hi, ticks = log_axis(ys)
        fy = lambda y: (math.log10(max(y, lo)) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))  # noqa: E731
    else:
        hi = max(1, max(ys)) * 1.05
        fy = lambda y: y / hi  # noqa: E731
        step = 10 ** math.floor(math.log10(hi)) if hi > 0 else 1
        if hi / step < 3:
            step /= 5
        ticks = [i * step for i in range(int(hi / step) + 1)]
    pw, ph = width - left - right, height - top - bottom
    sx = lambda x: left + pw * x / xmax  # noqa: E731
    sy = lambda y: top + ph * (1 - min(1, max(0, fy(y))))  # noqa: E731
    out = [f'<h3>{html.escape(title)}</h3><svg width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="11">']
    for t in ticks:
        if (log_scale and (t < lo or t > hi)) or (not log_scale and t > hi):
            continue
        y = sy(t)
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e4e4e4"/>'
                   f'<text x="{left - 5}" y="{y + 4:.1f}" text-anchor="end">{t:g}</text>')
    for i in range(0, int(xmax) + 1, max(1, int(xmax) // 10)):
        out.append(f'<text x="{sx(i):.1f}" y="{height - 10}" text-anchor="middle">{i}s</text>')
    out.append(f'<text x="12" y="{top + ph / 2}" transform="rotate(-90 12 {top + ph / 2})" '
               f'text-anchor="middle">{html.escape(y_label)}</text>')
    for n, (name, color, data) in enumerate(series):
        if data:
            path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in data)
            out.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{path}"/>')
        ly = top + 14 * n + 8
        out.append(f'<line x1="{left + pw + 10}" x2="{left + pw + 28}" y1="{ly}" y2="{ly}" stroke="{color}" '
                   f'stroke-width="3"/><text x="{left + pw + 32}" y="{ly + 4}">{html.escape(name)}</text>')
    out.append("</svg>")
    return "".join(out)


def render(r):
    tl, st, bl = r["timeline"], r["saga_timeline"], r["backlog"]
    ok = r["invariants"]["ok"] and r["errors"] == 0 and r["sagas"]["pending"] == 0
    targets = r.get("targets", [])
    met = all(t["ok"] for t in targets)
    h, s, c = r["http_ms"], r["saga_ms"], r["sagas"]
    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>outbox-saga bench {esc(r['run_id'])}</title>",
        "<style>body{font-family:sans-serif;margin:24px;max-width:900px}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
        "td:first-child,th:first-child{text-align:left}.ok{color:#070}.bad{color:#b00;font-weight:bold}"
        "</style></head><body>",
        f"<h1>outbox-saga benchmark: {r['rate']:g} orders/s for {r['duration_s']:g} s</h1>",
        f"<p>Correctness (invariants, errors, pending sagas): <span class='{'ok' if ok else 'bad'}'>"
        f"{'PASS' if ok else 'FAIL'}</span>"
        + (f"; targets: <span class='{'ok' if met else 'bad'}'>{'met' if met else 'MISSED'}</span>"
           if targets else "; no latency or rate targets given") + "</p>",
        f"<p>run {esc(r['run_id'])} {esc(r.get('label', ''))}; database commits: "
        f"<b>{esc(r['db_durability'])}</b>; {r.get('kafka_partitions') or '?'} partitions per topic; "
        f"{r['machine']['cpus']} CPUs; "
        f"CPU steal during the run {r['steal_percent']}%</p>",
        "<table><tr><th></th><th>value</th></tr>",
        f"<tr><td>achieved</td><td>{r['achieved_rps']}/s</td></tr>",
        f"<tr><td>requests / accepted / refused (429) / errors</td><td>{r['requests']} / {r['accepted']} / "
        f"{r.get('refused', 0)} / {r['errors']}</td></tr>",
        f"<tr><td>HTTP ms p50 / p95 / p99 / max</td><td>{h['p50']:.1f} / {h['p95']:.1f} / {h['p99']:.1f} / "
        f"{h['max']:.1f}</td></tr>",
        f"<tr><td>saga ms p50 / p95 / p99 / max</td><td>{s['p50']} / {s['p95']} / {s['p99']} / {s['max']}</td></tr>",
        "".join(f"<tr><td>&nbsp;&nbsp;completed sagas, {esc(x['from'])} to {esc(x['to'])}: ms p50 / p95 / p99 / max"
                f"</td><td>{x['p50']:g} / {x['p95']:g} / {x['p99']:g} / {x['max']:g}</td></tr>"
                for x in r["saga_hops_ms"]["hops"]),
        f"<tr><td>sagas completed / cancelled / pending</td><td>{c['completed']} / {c['cancelled']} / "
        f"{c['pending']}</td></tr>",
        "</table>",
        "".join(f"<p>target {esc(t['name'])}: <span class='{'ok' if t['ok'] else 'bad'}'>"
                f"{'met' if t['ok'] else 'MISSED'}</span> ({esc(t['detail'])})</p>" for t in targets),
        _chart("Throughput (per second)", [
            ("due (schedule)", "#999", [(t["t"], t["due"]) for t in tl]),
            ("answered", "#1f77b4", [(t["t"], t["answered"]) for t in tl]),
            ("errors", "#d62728", [(t["t"], t["errors"]) for t in tl]),
            ("sagas started", "#2ca02c", [(t["t"], t["count"]) for t in st]),
        ], "requests/s"),
        _chart("HTTP latency from scheduled send (ms, log scale)", [
            ("p50", "#1f77b4", [(t["t"], t["http_ms"]["p50"]) for t in tl if t["due"]]),
            ("p99", "#ff7f0e", [(t["t"], t["http_ms"]["p99"]) for t in tl if t["due"]]),
            ("max", "#d62728", [(t["t"], t["http_ms"]["max"]) for t in tl if t["due"]]),
        ], "ms", log_scale=True),
        _chart("Saga time by start second (ms, log scale)", [
            ("p50", "#1f77b4", [(t["t"], t["p50"]) for t in st]),
            ("p99", "#ff7f0e", [(t["t"], t["p99"]) for t in st]),
            ("max", "#d62728", [(t["t"], t["max"]) for t in st]),
        ], "ms", log_scale=True),
        _chart("Outbox backlog and pending sagas", [
            (name, color, [(b["t"], b["outbox"][name]) for b in bl])
            for name, color in [("order_db", "#1f77b4"), ("stock_db", "#ff7f0e"),
                                ("payment_db", "#2ca02c"), ("completion_db", "#9467bd")]
        ] + [("pending sagas", "#d62728", [(b["t"], b["pending_sagas"]) for b in bl])], "rows"),
        "<h3>Saga outcomes</h3><table><tr><th>outcome</th><th>sagas</th></tr>",
        f"<tr><td>COMPLETED</td><td>{c['completed']}</td></tr>",
    ]
    for reason, n in sorted(r.get("cancelled_by", {}).items()):
        parts.append(f"<tr><td>CANCELLED {esc(reason)}</td><td>{n}</td></tr>")
    parts.append(f"<tr><td>pending</td><td>{c['pending']}</td></tr></table>")
    parts.append("<h3>Invariants</h3><table><tr><th>check</th><th>result</th><th>detail</th></tr>")
    for ch in r["invariants"]["checks"]:
        parts.append(f"<tr><td>{esc(ch['name'])}</td><td class='{'ok' if ch['ok'] else 'bad'}'>"
                     f"{'ok' if ch['ok'] else 'FAIL'}</td><td>{esc(ch['detail'])}</td></tr>")
    parts.append("</table><h3>CPU per process (% of one core, load and settling)</h3><table>")
    for name, pct in sorted(r["cpu_percent_of_one_core"].items(), key=lambda kv: -kv[1]):
        parts.append(f"<tr><td>{esc(name)}</td><td>{pct}</td></tr>")
    parts.append("</table></body></html>\n")
    return "\n".join(parts)
