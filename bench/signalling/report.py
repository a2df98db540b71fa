#!/usr/bin/env python3
"""The summary of bench/signalling/run.sh: vtpd and Node side by side, ratios, targets.

    report.py WORK_DIR LIMIT_MS SCENARIO...

Reads WORK_DIR/<scenario>-<server>.json written by vtp-sio-bench (and check-<server>.client.json).
"""
import json
import os
import sys

work, limit_ms, scenarios = sys.argv[1], float(sys.argv[2]), sys.argv[3:]


def load(name):
    path = os.path.join(work, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.loads(f.read().strip().splitlines()[-1])


def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b else "-"


def row(label, v, n, fmt="{:.2f}", r=None):
    f = lambda x: "-" if x is None else fmt.format(x)
    print(f"  {label:<40} {f(v):>12} {f(n):>12} {r if r is not None else ratio(v, n):>8}")


def lost(step):
    return max(0, step["expected"] - step["delivered"])


def best_within_limit(result):
    """The step with the highest delivered/s whose p99 is within the limit, nothing lost or dropped."""
    good = [s for s in result["steps"] if s["p99_ms"] <= limit_ms and lost(s) == 0 and s["drops"] == 0 and s["delivered"] > 0]
    return max(good, key=lambda s: s["delivered_per_s"]) if good else None


verdicts = []
for s in scenarios:
    v, n = load(f"{s}-vtpd.json"), load(f"{s}-node.json")
    if s == "check":
        print("check: stock socket.io-client in a room with 24 generator clients")
        for server in ("vtpd", "node"):
            gen, client = load(f"check-{server}.json"), load(f"check-{server}.client.json")
            if not gen or not client:
                print(f"  {server}: missing results")
                verdicts.append((f"check ({server})", False))
                continue
            step = gen["steps"][0] if gen["steps"] else {"sent": 0, "delivered": 0, "expected": 0}
            ok = (gen["invalid"] == 0 and gen["joined"] == gen["clients"] and client["joined"] and not client["errors"]
                  and client["generator_chats"] > 0 and client["generator_senders"] == 24 and client["bad_fields"] == 0
                  and client["acked"] == client["sent"] and gen["foreign_chats"] == 24 * client["sent"] and lost(step) == 0)
            print(f"  {server}: stock client ({client['transport']}) received {client['generator_chats']} generator chats from "
                  f"{client['generator_senders']} senders, {client['participant_joined']} participant:joined, sent {client['sent']} "
                  f"(acked {client['acked']}); generator: {gen['joined']}/{gen['clients']} joined, {step['delivered']}/{step['expected']} "
                  f"of its own chats delivered, {gen['foreign_chats']} stock-client chats received (expected 24 x {client['acked']}), "
                  f"{gen['invalid']} invalid frames -> {'ok' if ok else 'FAILED'}")
            verdicts.append((f"check: generator and stock client interoperate ({server})", ok))
        print()
        continue
    if not v or not n:
        print(f"{s}: missing results (vtpd {bool(v)}, node {bool(n)})")
        continue
    print(f"{s}: {v['clients']} clients" + (f", held {v['hold_s']:.0f} s" if s == "a" else ""))
    print(f"  {'':<40} {'vtpd':>12} {'node':>12} {'ratio':>8}")
    row("clients joined", v["joined"], n["joined"], "{:.0f}")
    row("time to connect all (s)", v["connect_s"], n["connect_s"])
    row("join p50 (ms)", v["join_p50_ms"], n["join_p50_ms"])
    row("join p99 (ms)", v["join_p99_ms"], n["join_p99_ms"])
    row("dropped clients", v["drops"], n["drops"], "{:.0f}", "")
    rss_v, rss_n = v["rss_per_conn_kib"], n["rss_per_conn_kib"]
    row("server RSS per connection (KiB)", rss_v, rss_n, "{:.1f}")
    if s == "a":
        row("server CPU while holding (cores)", v["hold_cores"], n["hold_cores"], "{:.3f}")
        row("pings answered", v["pings"], n["pings"], "{:.0f}", "")
        ok = v["joined"] == v["clients"] and v["drops"] == 0 and rss_n > 0 and rss_v <= rss_n / 2
        verdicts.append((f"a: {v['clients']} held, no drop, RSS/conn <= 1/2 Node's ({rss_v:.1f} vs {rss_n:.1f} KiB)", ok))
    if s == "b":
        sv, sn = v["steps"][0], n["steps"][0]
        row("chat:send per second", sv["rate"], sn["rate"], "{:.0f}")
        row("delivered per second", sv["delivered_per_s"], sn["delivered_per_s"], "{:.0f}")
        row("lost deliveries", lost(sv), lost(sn), "{:.0f}", "")
        row("fan-out p50 (ms)", sv["p50_ms"], sn["p50_ms"])
        row("fan-out p99 (ms)", sv["p99_ms"], sn["p99_ms"])
        row("fan-out max (ms)", sv["max_ms"], sn["max_ms"], "{:.1f}")
        row("server CPU (cores)", sv["server_cores"], sn["server_cores"])
        row("server CPU per delivery (us)", sv["server_us_per_delivery"], sn["server_us_per_delivery"])
        row("generator CPU (cores)", sv["generator_cores"], sn["generator_cores"])
        ok = lost(sv) == 0 and sv["drops"] == 0 and v["drops"] == 0 and sv["p99_ms"] < limit_ms
        verdicts.append((f"b: every message delivered, p99 fan-out {sv['p99_ms']:.1f} ms < {limit_ms:.0f} ms", ok))
    if s == "c":
        for name, r in (("vtpd", v), ("node", n)):
            for k, st in enumerate(r["steps"]):
                print(f"    {name} step {k}: {st['rate']:.0f} chat/s -> {st['delivered_per_s']:.0f} delivered/s, p50 {st['p50_ms']:.1f} ms, "
                      f"p99 {st['p99_ms']:.1f} ms, lost {lost(st)}, dropped {st['drops']}, server {st['server_cores']:.2f} cores "
                      f"({st['server_us_per_delivery']:.2f} us/delivery), generator {st['generator_cores']:.2f} cores")
        bv, bn = best_within_limit(v), best_within_limit(n)
        g = lambda b, key: b[key] if b else None
        row(f"best delivered/s with p99 < {limit_ms:.0f} ms", g(bv, "delivered_per_s"), g(bn, "delivered_per_s"), "{:.0f}")
        row("  its fan-out p99 (ms)", g(bv, "p99_ms"), g(bn, "p99_ms"))
        row("  server CPU (cores)", g(bv, "server_cores"), g(bn, "server_cores"))
        row("  server CPU per delivery (us)", g(bv, "server_us_per_delivery"), g(bn, "server_us_per_delivery"))
        last_v = v["steps"][-1] if v["steps"] else None
        capped = bv is not None and last_v is not None and bv is last_v
        if capped:
            print("  (vtpd passed every step: its figure is a lower bound; raise SEARCH_RATES)")
        ok = bv is not None and bn is not None and bv["delivered_per_s"] >= 2 * bn["delivered_per_s"]
        verdicts.append((f"c: best delivered/s within {limit_ms:.0f} ms >= 2x Node's ({ratio(g(bv, 'delivered_per_s'), g(bn, 'delivered_per_s'))}x)", ok))
    print()

print("targets:")
for text, ok in verdicts:
    print(f"  {'met    ' if ok else 'MISSED '} {text}")
