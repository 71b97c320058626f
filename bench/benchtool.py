#!/usr/bin/env python3
"""Helpers for bench/run.sh: parsing and the summary maths.

Subcommands (all print to stdout):
  cpu PID...                 utime+stime clock ticks of each PID and its
                             direct children, summed; then CLK_TCK
  vegeta CSV                 one JSON object: count, success, p50/p99/p99.9/max
                             latency in ms, from `vegeta encode --to csv`
  wrk OUT                    one JSON object from the WRKJSON line that
                             bench's wrk Lua script prints, plus the
                             "Non-2xx or 3xx responses" count from wrk's text
  summary JSONL              the summary table of one result file; also
                             appends a {"type":"summary"} line to it
  ratios JSONL               per repetition, each target's throughput ÷ the
                             reference's (ref_nginx: in s2 and s3 Archway's
                             own baseline) and its CPU-cost ratio: the
                             reference's server CPU per request (gateway +
                             origin) ÷ the target's (gateway + origin + any
                             server it needs, e.g. redis-server); then the
                             median (min–max) and the load average
Only the standard library is used.
"""

import csv
import json
import os
import re
import statistics
import sys


def proc_ticks(pid):
    """utime+stime of one process in clock ticks (fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    # comm (field 2) may hold spaces or parentheses: split after the last ')'.
    rest = s[s.rindex(")") + 2:].split()
    # rest[0] is field 3 (state); utime is field 14, stime field 15.
    return int(rest[11]) + int(rest[12])


def children(pid):
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    out += [int(c) for c in f.read().split()]
            except OSError:
                pass
    except OSError:
        pass
    return out


def cmd_cpu(pids):
    total = 0
    for p in pids:
        p = int(p)
        for q in [p] + children(p):
            try:
                total += proc_ticks(q)
            except OSError:
                pass
    print(total, os.sysconf("SC_CLK_TCK"))


def percentile(sorted_vals, q):
    """Nearest-rank percentile (q in 0..100) of an ascending list."""
    if not sorted_vals:
        return None
    k = max(0, min(len(sorted_vals) - 1, int(-(-q * len(sorted_vals) // 100)) - 1))
    return sorted_vals[k]


def cmd_vegeta(path):
    lat = []
    codes = {}
    errors = 0
    first_ts = last_ts = None
    with open(path, newline="") as f:
        for row in csv.reader(f):
            if not row:
                continue
            ts, code, latency = int(row[0]), int(row[1]), int(row[2])
            err = row[5] if len(row) > 5 else ""
            codes[code] = codes.get(code, 0) + 1
            if err or not (200 <= code < 300):
                errors += 1
            lat.append(latency)
            first_ts = ts if first_ts is None else min(first_ts, ts)
            last_ts = ts if last_ts is None else max(last_ts, ts)
    lat.sort()
    ms = lambda ns: None if ns is None else round(ns / 1e6, 4)
    n = len(lat)
    span = (last_ts - first_ts) / 1e9 if n > 1 else 0
    print(json.dumps({
        "count": n,
        "errors": errors,
        "codes": {str(k): v for k, v in sorted(codes.items())},
        "success": (n - errors) / n if n else 0,
        "achieved_rate": round((n - 1) / span, 1) if span > 0 else None,
        "p50_ms": ms(percentile(lat, 50)),
        "p90_ms": ms(percentile(lat, 90)),
        "p99_ms": ms(percentile(lat, 99)),
        "p999_ms": ms(percentile(lat, 99.9)),
        "max_ms": ms(lat[-1] if lat else None),
    }))


def cmd_wrk(path):
    text = open(path, errors="replace").read()
    m = re.search(r"^WRKJSON (\{.*\})$", text, re.M)
    if not m:
        print(json.dumps({"parse_error": "no WRKJSON line in wrk output"}))
        return
    d = json.loads(m.group(1))
    n = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
    d["non2xx_text"] = int(n.group(1)) if n else 0
    d["rps"] = round(d["requests"] / (d["duration_us"] / 1e6), 1) if d["duration_us"] else 0
    print(json.dumps(d))


def fmt_range(vals, nd=2, signed=False):
    vals = [v for v in vals if v is not None]
    if not vals:
        return "-"
    sign = "+" if signed else ""
    med = statistics.median(vals)
    if len(vals) == 1:
        return f"{med:{sign}.{nd}f}"
    return f"{med:{sign}.{nd}f} ({min(vals):{sign}.{nd}f}–{max(vals):{sign}.{nd}f})"


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def cmd_summary(path):
    run = None
    tp = {}   # rep -> target -> throughput record
    lt = {}   # rep -> target -> latency record
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            t = r.get("type")
            if t == "run":
                run = r
            elif t == "throughput":
                tp.setdefault(r["rep"], {})[r["target"]] = r
            elif t == "latency":
                lt.setdefault(r["rep"], {})[r["target"]] = r
    if run is None:
        sys.exit(f"summary: no run record in {path}")
    direct = run["ref_direct"]
    nginx = run["ref_nginx"]
    targets = run["targets"]
    reps = sorted(tp)

    rows = {}
    for tg in targets:
        row = {k: [] for k in (
            "rps", "x_direct", "x_nginx", "add_p50", "add_p99", "add_p999",
            "cpu_rate", "cpu_rate_x_nginx", "cpu_max", "cpu_max_x_nginx", "rate", "saturated")}
        for rep in reps:
            a = tp.get(rep, {})
            if tg in a:
                row["rps"].append(a[tg]["rps"])
                if direct in a and a[direct]["rps"]:
                    row["x_direct"].append(a[tg]["rps"] / a[direct]["rps"])
                if nginx in a and a[nginx]["rps"]:
                    row["x_nginx"].append(a[tg]["rps"] / a[nginx]["rps"])
                c = a[tg].get("cpu_us_per_req")
                row["cpu_max"].append(c)
                cn = a.get(nginx, {}).get("cpu_us_per_req")
                if c is not None and cn:
                    row["cpu_max_x_nginx"].append(c / cn)
            b = lt.get(rep, {})
            if tg in b:
                row["rate"].append(b[tg]["rate"])
                row["saturated"].append(1 if b[tg].get("saturated") or b.get(direct, {}).get("saturated") else 0)
                if direct in b:
                    for q, k in (("p50_ms", "add_p50"), ("p99_ms", "add_p99"), ("p999_ms", "add_p999")):
                        row[k].append(b[tg][q] - b[direct][q])
                c = b[tg].get("cpu_us_per_req")
                row["cpu_rate"].append(c)
                cn = b.get(nginx, {}).get("cpu_us_per_req")
                if c is not None and cn:
                    row["cpu_rate_x_nginx"].append(c / cn)
        rows[tg] = row

    rate = med(rows[nginx]["rate"]) if rows.get(nginx) else None
    print()
    print(f"Archway bench {run['scenario']} {run['mode']}: {len(reps)} repetition(s), wrk -t2 -c64 -d{run['duration']}, "
          f"vegeta {run['vegeta_duration']} at {run.get('vegeta_rate')}"
          + (f" (median rate {rate:.0f} req/s)" if rate else ""))
    print(f"machine: {run['machine'].get('nproc')} CPU(s) {run['machine'].get('cpu_model')}, kernel {run['machine'].get('kernel')}, "
          f"{run['machine'].get('go_version')}, GOGC={run['machine'].get('gogc')}")
    print(f"median (min–max) over repetitions; added latency = target − {direct} at the same rate; "
          f"CPU µs/req of the target's own process(es)")
    print()
    hdr = ["target", "req/s", f"×{direct}", f"×{nginx}", "+p50 ms", "+p99 ms", "+p99.9 ms",
           "CPU µs/req @R", f"CPU ×{nginx} @R", "CPU µs/req @max", f"CPU ×{nginx} @max"]
    table = [hdr]
    for tg in targets:
        r = rows[tg]
        sat = sum(r["saturated"])
        table.append([
            tg + (f" [sat {sat}/{len(r['saturated'])}]" if sat else ""),
            fmt_range(r["rps"], 0),
            fmt_range(r["x_direct"], 2),
            fmt_range(r["x_nginx"], 2),
            fmt_range(r["add_p50"], 3, True),
            fmt_range(r["add_p99"], 3, True),
            fmt_range(r["add_p999"], 3, True),
            fmt_range(r["cpu_rate"], 1),
            fmt_range(r["cpu_rate_x_nginx"], 2),
            fmt_range(r["cpu_max"], 1),
            fmt_range(r["cpu_max_x_nginx"], 2),
        ])
    widths = [max(len(str(row[i])) for row in table) for i in range(len(hdr))]
    for i, row in enumerate(table):
        print("  ".join(str(c).ljust(widths[j]) if j == 0 else str(c).rjust(widths[j]) for j, c in enumerate(row)))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    if any(sum(rows[tg]["saturated"]) for tg in targets):
        print("\n[sat k/n]: in k of n repetitions this target or the direct origin did not sustain the open-loop rate\n"
              "(errors or achieved < 95%): its latency there is an overloaded queue, not added latency. Lower VEGETA_RATE.")
    if len(reps) < 5:
        print(f"\nnote: {len(reps)} repetition(s); BENCH.md asks for at least 5 before quoting a ratio.")
    if run["duration"] != "10s" or run["vegeta_duration"] not in ("30s", "0s"):
        print(f"note: durations {run['duration']} / {run['vegeta_duration']} are not the method's 10s / 30s: smoke numbers.")

    summary = {"type": "summary", "run_id": run["run_id"], "reps": len(reps), "targets": {}}
    for tg in targets:
        r = rows[tg]
        summary["targets"][tg] = {k: {"median": med(v), "min": min([x for x in v if x is not None], default=None),
                                      "max": max([x for x in v if x is not None], default=None)}
                                  for k, v in r.items()}
    with open(path, "a") as f:
        f.write(json.dumps(summary) + "\n")


def cmd_ratios(path):
    run, tp = None, {}
    for line in open(path):
        line = line.strip()
        if not line:
            continue
        r = json.loads(line)
        if r.get("type") == "run":
            run = r
        elif r.get("type") == "throughput":
            tp.setdefault(r["rep"], {})[r["target"]] = r
    if run is None:
        sys.exit(f"ratios: no run record in {path}")
    ref = run["ref_nginx"]
    others = [t for t in run["targets"] if t not in (ref, run["ref_direct"])]

    def cost(r):
        parts = [r.get("cpu_us_per_req"), r.get("origin_cpu_us_per_req")]
        parts += [v for k, v in r.items() if k.endswith("_cpu_us_per_req") and k not in ("cpu_us_per_req", "origin_cpu_us_per_req")]
        return None if any(p is None for p in parts) else sum(parts)

    hdr = ["rep", "load 1m", f"{ref} req/s"] + [f"{t} ×" for t in others] + [f"{t} CPU-cost ×" for t in others]
    rows, thr, cpu = [hdr], {t: [] for t in others}, {t: [] for t in others}
    loads = []
    for rep in sorted(tp):
        a = tp[rep]
        if ref not in a:
            continue
        la = [float(x) for t in a.values() for x in t.get("loadavg", [])[:1]]
        loads += la
        row = [str(rep), f"{min(la):.1f}–{max(la):.1f}" if la else "-", f"{a[ref]['rps']:.0f}"]
        cells = []
        for t in others:
            if t in a and a[ref]["rps"]:
                v = a[t]["rps"] / a[ref]["rps"]
                thr[t].append(v)
                row.append(f"{v:.2f}")
            else:
                row.append("-")
            cr, ct = cost(a[ref]), cost(a[t]) if t in a else None
            if cr and ct:
                cpu[t].append(cr / ct)
                cells.append(f"{cr / ct:.2f}")
            else:
                cells.append("-")
        rows.append(row + cells)
    rows.append(["median (min–max)", f"{min(loads):.1f}–{max(loads):.1f}" if loads else "-", ""]
                + [fmt_range(thr[t]) for t in others] + [fmt_range(cpu[t]) for t in others])
    widths = [max(len(r[i]) for r in rows) for i in range(len(hdr))]
    print(f"{run['scenario']} {run['mode']} {run['duration']} × {len(tp)} rep(s), reference {ref}; {path}")
    for i, r in enumerate(rows):
        print("  ".join(c.rjust(widths[j]) for j, c in enumerate(r)))
        if i == 0:
            print("  ".join("-" * w for w in widths))


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "cpu":
        cmd_cpu(args)
    elif cmd == "vegeta":
        cmd_vegeta(args[0])
    elif cmd == "wrk":
        cmd_wrk(args[0])
    elif cmd == "summary":
        cmd_summary(args[0])
    elif cmd == "ratios":
        cmd_ratios(args[0])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
