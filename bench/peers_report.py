"""bench/README.md's peers section and its plots, from bench/results/peers_<scale>.json.

    .venv/bin/python bench/peers_report.py            # every peers_*.json there, newest scale layout
    .venv/bin/python bench/peers_report.py --scale 1m

Rewrites only the text between the `<!-- peers:begin -->` and `<!-- peers:end -->` lines of
bench/README.md (appended if missing) and writes bench/peers_*.png. Every figure is a ratio
against its baseline from the same run, the absolute numbers beside it."""

import argparse
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
README = REPO / "bench" / "README.md"
BEGIN, END = "<!-- peers:begin -->", "<!-- peers:end -->"
ANSWERS = ("open_orders", "top_dates", "pending_items", "top_customers")
PEER_NAMES = {"ours": "ours (served answer, elt.maintain)", "dbt": "dbt run (tables)",
              "dbt_incremental": "dbt run (incremental inputs)", "batch": "batch job (updated_at pull)"}


def load() -> dict[str, dict]:
    """Every run on disk by scale name, smallest first."""
    runs = {}
    for path in RESULTS.glob("peers_*.json"):
        data = json.loads(path.read_text())
        if data.get("phases"):
            runs[path.stem.removeprefix("peers_")] = data
    return dict(sorted(runs.items(), key=lambda kv: kv[1]["orders"]))


def fmt(value, digits=2) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def ratio(value, base) -> str:
    if value is None or not base:
        return "–"
    r = value / base
    return f"{r:.2f}x" if r < 10 else f"{r:,.0f}x"


def by_rate(data: dict) -> dict[int, dict[str, dict]]:
    out: dict[int, dict[str, dict]] = {}
    for phase in data["phases"]:
        s = phase["summary"]
        out.setdefault(s["rate_target"], {})[s["peer"]] = s
    return out


def cores(s: dict) -> float:
    """Cores the work used on average over the phase: both clusters (write mix included, the
    same for every peer) and the peer's own process (dbt, the batch job)."""
    m = s["machine_cpu"]
    client = s.get("client_cpu_s_total", 0) / max(1, s["seconds"])
    return round(m.get("warehouse_cores", 0) + m.get("source_cores", 0) + client, 2)


def peers_table(data: dict) -> list[str]:
    lines = ["| rate (achieved tx/s) | peer | one run p50 / max s | vs ours | commit → correct p50 / max s (markers) "
             "| vs ours | from the run log p50 / p99 s | cores used: warehouse + source + the peer's process (vs ours) | answers wrong (share of checks: open_orders, top_dates, "
             "pending_items, top_customers) | longest wrong stretch s | rows still wrong after the traffic stops |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for rate, peers in by_rate(data).items():
        ours = peers.get("ours")
        for name, s in peers.items():
            run = s["run_s"]
            lat = {k: (v / 1000 if k in ("p50", "p99", "max") and v is not None else v)
                   for k, v in s["correct_after_ms"].items()}
            never = f", {lat['never_seen']} of {lat['markers']} never" if lat.get("never_seen") else ""
            runs = s.get("correct_after_s_from_runs") or {}
            wrong = s["wrong"]
            lines.append(
                f"| {rate} ({s['achieved_tx_per_s']}) | {PEER_NAMES.get(name, name)} "
                f"| {fmt(run['p50'], 3)} / {fmt(run['max'], 3)} ({s['runs']} runs) "
                f"| {ratio(run['p50'], ours and ours['run_s']['p50']) if name != 'ours' else '1.00x'} "
                f"| {fmt(lat['p50'], 3)} / {fmt(lat['max'], 3)} ({lat['n']}{never}) "
                f"| {ratio(lat['p50'] * 1000, ours and ours['correct_after_ms']['p50']) if name != 'ours' else '1.00x'} "
                f"| {fmt(runs.get('p50'))} / {fmt(runs.get('p99'))} "
                f"| {fmt(cores(s))} ({ratio(cores(s), ours and cores(ours)) if name != 'ours' else '1.00x'}) "
                f"| {', '.join(format(wrong[a]['wrong_share'], '.0%') for a in ANSWERS)} "
                f"| {max(w['longest_wrong_s'] for w in wrong.values())} "
                f"| {', '.join(str(wrong[a]['wrong_rows_after_settling']) for a in ANSWERS)} |")
    return lines


def findings(data: dict) -> list[str]:
    """The closing note of one run: each figure quoted with its baseline, where we lose too."""
    out = ["#### What it says", ""]
    for rate, peers in by_rate(data).items():
        ours = peers.get("ours")
        if not ours:
            continue
        lat = ours["correct_after_ms"]
        out.append(f"- **{rate} tx/s.** Ours: every check of the four served answers equalled the recompute "
                   f"({sum(w['samples'] for w in ours['wrong'].values())} checks, "
                   f"{sum(w['wrong_rows_max'] for w in ours['wrong'].values())} rows ever wrong); a commit at the "
                   f"source showed in the served answer after {fmt(lat['p50'])} ms p50, {fmt(lat['max'])} ms max, "
                   f"folded {ours['runs']} times at {fmt(1000 * ours['run_s']['p50'], 1)} ms p50 a fold.")
        for name in ("dbt", "dbt_incremental", "batch"):
            s = peers.get(name)
            if not s:
                continue
            plat = s["correct_after_ms"]
            worst = max(s["wrong"], key=lambda a: s["wrong"][a]["wrong_share"])
            line = (f"  - {PEER_NAMES[name]}: one run {fmt(s['run_s']['p50'], 2)} s p50 "
                    f"({ratio(s['run_s']['p50'], ours['run_s']['p50'])} a fold)")
            if s.get("sql_s"):
                line += f", of which its SQL {fmt(s['sql_s']['p50'], 2)} s (the rest is dbt starting and parsing)"
            line += (f"; run back to back, a commit showed after {fmt(plat['p50'] / 1000 if plat['p50'] else None, 2)} s "
                     f"p50 ({ratio(plat['p50'], lat['p50'])} ours); its `{worst}` was wrong at "
                     f"{s['wrong'][worst]['wrong_share']:.0%} of the checks")
            settled = sum(w["wrong_rows_after_settling"] for w in s["wrong"].values())
            if settled:
                drift = s.get("drift", {})
                deleted = sum(d["deleted_at_source"] for d in drift.values())
                stale = sum(d["stale"] for d in drift.values())
                line += (f", and {settled} answer rows stayed wrong after the traffic stopped and it ran again: "
                         f"its copies held {deleted} rows deleted at the source (deletes since its first run, "
                         f"other phases included) and {stale} whose last change it never took (a commit older than "
                         f"its watermark; for dbt's incremental inputs also a row that has since failed a rule)")
            out.append(line + ".")
    sync = data["initial_sync"]
    best = max(sync["runs"], key=lambda r: r["mb_per_s"])
    dump = sync["pg_dump_psql"]["mb_per_s"]
    verdict = "we lose" if best["mb_per_s"] < dump else "we win"
    one = next((r for r in sync["runs"] if r["max_sync_workers_per_subscription"] == 1), None)
    parallel = ""
    if one and len(sync["runs"]) > 1:
        two = min((r for r in sync["runs"] if r is not one), key=lambda r: r["seconds"])
        helps = two["seconds"] < 0.9 * one["seconds"]
        parallel = (f" Parallel table sync (`max_sync_workers_per_subscription`) "
                    f"{'helps' if helps else 'does not help'} here: {two['max_sync_workers_per_subscription']} "
                    f"workers {two['seconds']} s against 1 worker {one['seconds']} s "
                    f"({ratio(one['seconds'], two['seconds'])} the speed). One table is copied by one worker and "
                    "order_items is most of the bytes, so a second worker can only copy the smaller tables beside "
                    "it" + (", and on 2 cores the copy's writes already keep both busy." if not helps else "."))
    out.append(f"- **Initial sync: {verdict}.** The subscription's copy moved {best['mb_per_s']} MB/s at best against "
               f"{dump} MB/s for `pg_dump | psql` ({ratio(best['mb_per_s'], dump)}): it writes every row twice "
               f"(the staging copy and its changelog entry) and hands over to the stream without a gap.{parallel}")
    export = data.get("export")
    if export:
        big = max(r["rows"] for r in export["runs"])
        runs = {r["tool"]: r for r in export["runs"] if r["rows"] == big}
        psql = next(r for t, r in runs.items() if t.startswith("psql"))
        named = next((r for t, r in runs.items() if t.startswith("cli-app --query")), None)
        adhoc = next(r for t, r in runs.items() if t.startswith("cli-app sql") and "csv" in t)
        pandas = next((r for t, r in runs.items() if t.startswith("pandas")), None)
        cli = named or adhoc
        out.append(f"- **Export, {big:,} rows:** `cli-app {'--query NAME' if named else 'sql'} --export` "
                   f"{cli['seconds']} s, {ratio(psql['seconds'], cli['seconds'])} the speed of `psql \\copy` "
                   f"({psql['seconds']} s), at {cli['max_rss_mb']} MB peak memory, the same as for `select 1`"
                   + (f"; ad-hoc SQL, `cli-app sql --export`, {adhoc['seconds']} s "
                      f"({ratio(psql['seconds'], adhoc['seconds'])}): it imports sqlglot to refuse anything but "
                      "one read-only query before sending it" if named else "")
                   + (f"; pandas `read_sql` + `to_csv` {pandas['seconds']} s "
                      f"({ratio(psql['seconds'], pandas['seconds'])}), {pandas['max_rss_mb']} MB: it holds the "
                      f"whole result" if pandas else "") +
                   f". The gap to psql, {cli['seconds'] - psql['seconds']:.2f} s, is cli-app's fixed start-up "
                   f"(`cli-app --help`: {export.get('cli_app_help_s', '–')} s, nearly all of it importing psycopg "
                   "and click), so the ratio rises with the rows; the rows themselves stream as fast as psql's"
                   + (", written a network read at a time, and the file is handed to the disk as it grows, so "
                      "the fsync that makes it durable waits for the tail alone." if named else "."))
    return out


def sustained_lines() -> list[str]:
    """Ours as the sustained benchmark measured it (bench/results/sustained.json), if it ran:
    longer, under pg_cron, beside the figures of ours above."""
    path = RESULTS / "sustained.json"
    if not path.exists():
        return []
    data = json.loads(path.read_text())
    rows = []
    for rate in data.get("rates", []):
        s = rate["summary"]
        fresh, lag = s.get("freshness_ms") or {}, s.get("fold_lag_s") or {}
        rows.append(f"| {s['rate_target']} ({s['achieved_tx_per_s']}) | {fmt(fresh.get('p50'))} / {fmt(fresh.get('p99'))} "
                    f"| {fmt(lag.get('p50'))} / {fmt(lag.get('max'))} |")
    if not rows:
        return []
    return ["Ours in the sustained benchmark (`bench/results/sustained.json`, measured "
            f"{data.get('measured_at')}, {data.get('orders', 0):,} orders, maintenance by "
            f"{data.get('maintenance', {}).get('runner', '?')}): a commit's marker until the served answer shows it, "
            "and how far the folded part trailed.", "",
            "| rate (achieved tx/s) | commit → served p50 / p99 ms | fold lag p50 / max s |", "|---|---:|---:|",
            *rows, ""]


def sync_table(data: dict) -> list[str]:
    sync = data["initial_sync"]
    base = sync["pg_dump_psql"]
    lines = [f"{fmt(sync['rows'])} rows, {sync['table_mb']} MB of table heap at the source "
             f"(customers, products, orders, order_items).", "",
             "| copy | seconds | MB/s | speed vs pg_dump \\| psql |", "|---|---:|---:|---:|",
             f"| `pg_dump -t ... \\| psql` (indexes and constraints built after) | {base['seconds']} "
             f"| {base['mb_per_s']} | 1.00x |"]
    for run in sync["runs"]:
        lines.append(f"| subscription initial copy, changelog included, max_sync_workers_per_subscription = "
                     f"{run['max_sync_workers_per_subscription']} | {run['seconds']} | {run['mb_per_s']} "
                     f"| {ratio(run['mb_per_s'], base['mb_per_s'])} |")
    return lines


def export_table(data: dict) -> list[str]:
    export = data.get("export")
    if not export:
        return ["(not measured in this run)"]
    lines = ["| rows | tool | seconds | rows/s | speed vs psql \\copy | max RSS MB |", "|---:|---|---:|---:|---:|---:|"]
    for rows in sorted({r["rows"] for r in export["runs"]}):
        runs = [r for r in export["runs"] if r["rows"] == rows]
        base = next(r for r in runs if r["tool"].startswith("psql"))
        for r in runs:
            lines.append(f"| {rows:,} | {r['tool']} | {r['seconds']} | {r['rows_per_second']:,} "
                         f"| {ratio(base['seconds'], r['seconds'])} | {r['max_rss_mb']} |")
    lines += ["", f"cli-app start-up (`cli-app --help`): {export.get('cli_app_help_s', '–')} s; "
                  f"peak memory of `cli-app sql 'select 1'`: {export['cli_app_baseline_rss_mb']} MB."]
    return lines


def scale_table(runs: dict[str, dict]) -> list[str]:
    if len(runs) < 2:
        return ["(one scale measured so far: run `make bench BENCH=peers SCALE=10m` for the other)"]
    names = list(runs)
    small, big = runs[names[0]], runs[names[-1]]

    def figures(data):
        f = {"initial copy s": data["initial_sync"]["runs"][-1]["seconds"],
             "pg_dump \\| psql s": data["initial_sync"]["pg_dump_psql"]["seconds"],
             "rebuild_all s": data.get("rebuild_all_s")}
        for rate, peers in by_rate(data).items():
            for peer, s in peers.items():
                f[f"{peer} one run p50 s at {rate} tx/s"] = s["run_s"]["p50"]
                f[f"{peer} commit → correct p50 ms at {rate} tx/s"] = s["correct_after_ms"]["p50"]
                for answer, read in s.get("answer_read_ms", {}).items():
                    f[f"{peer} reading {answer} p50 ms at {rate} tx/s"] = read["p50"]
        for peer, first in data.get("first_runs", {}).items():
            f[f"{peer} first run s"] = first["seconds"]
        return f
    a, b = figures(small), figures(big)
    lines = [f"| figure | {names[0]} ({small['orders']:,} orders) | {names[-1]} ({big['orders']:,} orders) "
             f"| growth |", "|---|---:|---:|---:|"]
    for key in a:
        if key in b:
            lines.append(f"| {key} | {fmt(a[key], 3)} | {fmt(b[key], 3)} | {ratio(b[key], a[key])} |")
    return lines


def plots(data: dict, scale: str) -> list[str]:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is missing (pip install -e '.[bench]'): no plots")
        return []
    written = []
    rates = by_rate(data)
    peers = [p for p in PEER_NAMES if any(p in v for v in rates.values())]

    def bars(ax, value, title, ylabel):
        width = 0.8 / max(1, len(peers))
        for i, peer in enumerate(peers):
            xs = [j + i * width for j in range(len(rates))]
            ys = [value(rates[r][peer]) if peer in rates[r] else 0 for r in rates]
            drawn = ax.bar(xs, [y or 0 for y in ys], width, label=PEER_NAMES[peer], color=f"C{i}")
            ax.bar_label(drawn, labels=[f"{y:.3g}" if y else "" for y in ys], fontsize=7)
        ax.set_xticks([j + width * (len(peers) - 1) / 2 for j in range(len(rates))])
        ax.set_xticklabels([f"{r} tx/s" for r in rates])
        ax.set_yscale("log")
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(ylabel)
        ax.grid(True, axis="y", which="both", alpha=0.3)
        ax.legend(fontsize=8)

    subtitle = f"{data['orders']:,} orders, {data['machine']['cores']} shared cores"
    for name, value, title, ylabel in (
            ("cost", lambda s: s["run_s"]["p50"], "One run (p50): a fold for ours, a whole run for the peers", "seconds"),
            ("latency", lambda s: s["correct_after_ms"]["p50"] / 1000, "Source commit → correct answer (p50, markers)",
             "seconds")):
        fig, ax = plt.subplots(figsize=(8, 4))
        bars(ax, value, f"{title}\n{subtitle}", ylabel)
        fig.tight_layout()
        path = REPO / "bench" / f"peers_{name}_{scale}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path.name)

    fig, axes = plt.subplots(1, len(rates), figsize=(5 * len(rates), 4), squeeze=False, sharey=True)
    for ax, (rate, by_peer) in zip(axes[0], rates.items()):
        width = 0.8 / max(1, len(peers))
        for i, peer in enumerate(peers):
            if peer in by_peer:
                bars_ = ax.bar([j + i * width for j in range(len(ANSWERS))],
                               [100 * by_peer[peer]["wrong"][a]["wrong_share"] for a in ANSWERS], width,
                               label=PEER_NAMES[peer], color=f"C{i}")
                ax.bar_label(bars_, fmt="%.0f%%", fontsize=7)
        ax.set_xticks([j + width * (len(peers) - 1) / 2 for j in range(len(ANSWERS))])
        ax.set_xticklabels(ANSWERS, fontsize=8)
        ax.set_title(f"{rate} tx/s: % of checks where the answer was wrong", fontsize=10)
        ax.set_ylim(0, 115)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8)
    fig.suptitle(subtitle, fontsize=9)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    path = REPO / "bench" / f"peers_wrong_{scale}.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    written.append(path.name)

    sync = data["initial_sync"]
    labels = ["pg_dump | psql"] + [f"subscription, {r['max_sync_workers_per_subscription']} sync workers"
                                   for r in sync["runs"]]
    values = [sync["pg_dump_psql"]["mb_per_s"]] + [r["mb_per_s"] for r in sync["runs"]]
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.barh(labels, values, color=["C7"] + ["C0"] * len(sync["runs"]))
    ax.set_xlabel("MB/s of table heap")
    ax.set_title(f"Initial sync, {subtitle}", fontsize=10)
    fig.tight_layout()
    path = REPO / "bench" / f"peers_sync_{scale}.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    written.append(path.name)

    if data.get("export"):
        runs = data["export"]["runs"]
        sizes = sorted({r["rows"] for r in runs})
        tools = list(dict.fromkeys(r["tool"] for r in runs))
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        width = 0.8 / len(tools)
        for i, tool in enumerate(tools):
            row = {r["rows"]: r for r in runs if r["tool"] == tool}
            xs = [j + i * width for j in range(len(sizes))]
            axes[0].bar(xs, [row[s]["rows_per_second"] for s in sizes], width, label=tool, color=f"C{i}")
            axes[1].bar(xs, [row[s]["max_rss_mb"] for s in sizes], width, label=tool, color=f"C{i}")
        for ax, label in zip(axes, ("rows/s", "max RSS MB")):
            ax.set_xticks([j + width * (len(tools) - 1) / 2 for j in range(len(sizes))])
            ax.set_xticklabels([f"{s:,} rows" for s in sizes])
            ax.set_ylabel(label)
            ax.set_yscale("log")
        axes[0].legend(fontsize=7)
        fig.suptitle(f"Export, {subtitle}", fontsize=10)
        fig.tight_layout()
        path = REPO / "bench" / f"peers_export_{scale}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path.name)
    return written


def section(runs: dict[str, dict]) -> str:
    out = [BEGIN, "## Against what users would otherwise run (`bench/peers_bench.py`)", "",
           "Generated by `bench/peers_report.py` from `bench/results/peers_<scale>.json`; do not edit by hand.",
           "`make bench BENCH=peers` (SCALE=1m, the default) or `SCALE=10m`; smoke run: "
           "`make bench BENCH=peers ARGS=\"--orders 20000 --minutes 0.3\"`. What each figure means is in the "
           "script's docstring. Ratios: a peer against ours (one run: a peer's whole run against one fold; "
           "commit → correct answer: marker orders timed until the peer's `open_orders` shows them), the "
           "initial copy against `pg_dump | psql`, the export against `psql \\copy`, all from the same run. "
           "Time: at 1M orders this benchmark takes about 6.5 min in a full `make bench` (30 s phases, three "
           "peers): the two initial copies (~35 s each), the batch job's first pull of every row (~25 s) and "
           "one dbt run per phase (~3 s) are what grow with the orders. A full `make bench` (no BENCH) runs "
           "the phases for 30 s, the sustained benchmark at 100 and 500 tx/s for 1 min each without the "
           "metrics, the serve benchmark 10 s per endpoint, two changelog rounds, and skips the analytics "
           "benchmark (`BENCH_SKIP=analytics` by default). From a fresh clone, setup included, `make bench "
           "SCALE=1m` took 16.9 min (2026-11-24; 21.5 min before the metrics and the third changelog round "
           "left the full run).", ""]
    for scale, data in runs.items():
        m = data["machine"]
        t = data.get("timings_s", {})
        out += [f"### {data['orders']:,} orders ({scale}), measured {data['measured_at']}", "",
                f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB RAM, {m['postgres']}, Python "
                f"{m['python']}; {m['note']}. {data['minutes_per_phase']} min of traffic per peer and rate, answers "
                f"checked every {data['sample_every_s']} s. Load {data['load']['seconds']} s "
                f"({data['load']['orders']:,} orders, {data['load']['items']:,} items); first `rebuild_all` "
                f"{data.get('rebuild_all_s')} s. Time taken: " + ", ".join(f"{k} {v} s" for k, v in t.items()) + ".",
                ""]
        first = data.get("first_runs", {})
        if first:
            out += ["First run of each peer on the loaded warehouse (the batch job's pulls everything): " +
                    ", ".join(f"{k} {v['seconds']} s" for k, v in first.items()) + ".", ""]
        out += ["#### Peers under the write mix", ""] + peers_table(data) + [""]
        drift = [p["summary"] for p in data["phases"] if "drift" in p["summary"]]
        if drift:
            out += ["Why the peers that keep copies stay wrong (their copies against the replicated tables once "
                    "traffic stopped): " +
                    "; ".join(f"{PEER_NAMES[s['peer']]} at {s['rate_target']} tx/s: " + ", ".join(
                        f"{table} {d['deleted_at_source']} deleted at the source, {d['stale']} with a change never pulled"
                        for table, d in s["drift"].items()) for s in drift) + ".", ""]
        out += findings(data) + [""] + sustained_lines()
        names = plots(data, scale)
        out += [f"![{n}]({n})" for n in names if "sync" not in n and "export" not in n] + [""]
        out += ["#### Initial sync", ""] + sync_table(data) + [""]
        out += [f"![{n}]({n})" for n in names if "sync" in n] + [""]
        out += ["#### Export", ""] + export_table(data) + [""]
        out += [f"![{n}]({n})" for n in names if "export" in n] + [""]
    out += ["### How the figures grow with the orders (1M to 10M: `SCALE=1m`, then `SCALE=10m`)", ""] + \
        scale_table(runs) + ["", END]
    return "\n".join(out)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", help="only this scale (peers_<scale>.json)")
    args = parser.parse_args(argv)
    runs = load()
    if args.scale:
        runs = {k: v for k, v in runs.items() if k == args.scale}
    if not runs:
        print("no bench/results/peers_*.json with phases: run bench/peers_bench.py first")
        return 1
    text = README.read_text()
    new = section(runs)
    if BEGIN in text:
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: new, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + new + "\n"
    README.write_text(text)
    # Plots of scales this section no longer shows (an earlier smoke run's) would linger unread.
    for stale in (REPO / "bench").glob("peers_*_*.png"):
        if not args.scale and stale.stem.rsplit("_", 1)[1] not in runs:
            stale.unlink()
    print(f"rewrote the peers section of {README.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
