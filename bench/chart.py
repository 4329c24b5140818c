"""Draws bench/results/latest.png from latest.json: p50 and p99 bars, Envoy alone vs gateway, per scenario.

    PYTHONPATH=.bench/pip python3 bench/chart.py bench/results/latest.json bench/results/latest.png

Run by `make bench` (which installs matplotlib into .bench/pip), never by the smoke test.
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

BASELINE = "#8da0cb"
GATEWAY = "#fc8d62"


def latency(side, kind):
    load = side["load"]
    if kind == "stream":
        return load["totalMs"], load["firstTokenMs"]
    return load["latencyMs"], None


def short_label(scenario):
    kind = scenario["kind"]
    if kind == "paced":
        return f"JSON\n{scenario['rate']} req/s"
    if kind == "max":
        return f"JSON\nmax ({scenario['connections']} conn.)"
    return "SSE total"


def main(source, target):
    with open(source, encoding="utf-8") as handle:
        report = json.load(handle)
    apis = [("openai", "OpenAI pass-through"), ("anthropic", "Anthropic translation")]
    figure, axes = plt.subplots(2, 2, figsize=(13, 8.5), gridspec_kw={"width_ratios": [4, 2]})
    for row, (api, title) in enumerate(apis):
        scenarios = [s for s in report["scenarios"] if s["api"] == api]
        panels = [
            (axes[row][0], [s for s in scenarios if s["kind"] != "stream"], "non-streaming, latency (ms)"),
            (axes[row][1], [s for s in scenarios if s["kind"] == "stream"], "streaming (ms)"),
        ]
        for axis, chosen, label in panels:
            groups = []
            for scenario in chosen:
                main_summary_base, first_base = latency(scenario["baseline"], scenario["kind"])
                main_summary_gw, first_gw = latency(scenario["gateway"], scenario["kind"])
                groups.append((short_label(scenario), main_summary_base, main_summary_gw))
                if first_base is not None:
                    groups.append(("SSE first\ntoken", first_base, first_gw))
            width = 0.2
            positions = range(len(groups))
            bars = [
                (-1.5, "baseline p50", BASELINE, 1.0, lambda g: g[1]["p50"]),
                (-0.5, "gateway p50", GATEWAY, 1.0, lambda g: g[2]["p50"]),
                (0.5, "baseline p99", BASELINE, 0.45, lambda g: g[1]["p99"]),
                (1.5, "gateway p99", GATEWAY, 0.45, lambda g: g[2]["p99"]),
            ]
            for offset, name, colour, alpha, pick in bars:
                values = [pick(group) for group in groups]
                xs = [p + offset * width for p in positions]
                axis.bar(xs, values, width, label=name, color=colour, alpha=alpha, edgecolor="#333333", linewidth=0.4)
                for x, value in zip(xs, values):
                    axis.annotate(f"{value:.1f}", (x, value), ha="center", va="bottom", fontsize=6.5, rotation=90, xytext=(0, 2), textcoords="offset points")
            axis.set_xticks(list(positions))
            axis.set_xticklabels([group[0] for group in groups], fontsize=8)
            axis.set_title(f"{title}: {label}", fontsize=10)
            axis.set_ylabel("ms")
            axis.margins(y=0.18)
            axis.grid(axis="y", alpha=0.3)
        axes[row][0].legend(fontsize=8, loc="upper left")
    machine = report["machine"]
    figure.suptitle(
        f"Gateway vs Envoy alone, same mock upstream — {machine['cpuModel']}, {machine['cores']} cores, "
        f"Node {machine['node']}, Envoy {machine['envoy']}, {report['date'][:10]} ({report['mode']} mode)",
        fontsize=10,
    )
    figure.tight_layout(rect=(0, 0, 1, 0.96))
    figure.savefig(target, dpi=110)
    print(f"wrote {target}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: chart.py latest.json latest.png")
    main(sys.argv[1], sys.argv[2])
