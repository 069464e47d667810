"""Turn pytest-benchmark's JSON into benchmarks/RESULTS.md: machine, versions, table, ratios.

    python -m benchmarks.report benchmarks/results.json benchmarks/RESULTS.md
"""

from __future__ import annotations

import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

import digitrt

PACKAGES = ("digitrt", "numpy", "onnxruntime", "opencv-python-headless", "tensorflow-cpu",
            "keras", "ai-edge-litert", "pytest-benchmark")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def us(seconds: float) -> str:
    value = seconds * 1e6
    if value >= 100_000:
        return f"{value / 1e6:.2f} s"
    return f"{value / 1000:.2f} ms" if value >= 10_000 else f"{value:.1f} µs"


def verdict(ok: bool) -> str:
    return "✅ met" if ok else "❌ not met"


def main(source: str, target: str) -> int:
    data = json.loads(Path(source).read_text())
    by_name = {b["name"]: b for b in data["benchmarks"]}

    def median(name: str) -> float:
        return float(by_name[name]["stats"]["median"])

    def has(*names: str) -> bool:
        return all(n in by_name for n in names)

    lines = [
        "# digitrt benchmark results",
        "",
        f"Measured {data['datetime'][:16].replace('T', ' ')} UTC with `make bench` "
        "(pytest-benchmark; every row below comes from this one run). The machine is shared "
        "and noisy: absolute times drift ±30 % between runs, ratios hold better.",
        "",
        f"- Machine: {cpu_model()}, {os.cpu_count()} cores, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}",
        "- Packages: " + ", ".join(f"{p} {version(p)}" for p in PACKAGES),
        "- Input: a 280×280 grey canvas with a digit drawn by a 20 px round black pen (the "
        "window's), unless the row says otherwise. Models: the shipped `digit_cnn.onnx` / "
        "`digit_mlp.onnx`; Keras and LiteRT run the same trained weights.",
        "",
    ]

    # ------------------------------------------------------------ headline ratios
    rows = []
    targets = []
    for kind in ("cnn", "cnn-int8", "mlp"):
        name = f"test_overhead_interleaved[{kind}]"
        if has(name):
            e = by_name[name]["extra_info"]
            rows.append(
                f"| {kind.upper()} `Recognizer.predict` (interleaved with bare run) | "
                f"{e['predict_median_us']:.1f} µs | {e['predict_p99_us']:.1f} µs | "
                f"bare `session.run` {e['bare_median_us']:.1f} µs → overhead "
                f"**{e['overhead_us']:.1f} µs**, ratio {e['ratio']:.2f}× |"
            )
            if kind == "cnn":
                targets += [
                    ("CNN end-to-end median ≤ 150 µs", f"{e['predict_median_us']:.0f} µs",
                     e["predict_median_us"] <= 150),
                    ("CNN overhead over bare onnxruntime ≤ 60 µs", f"{e['overhead_us']:.0f} µs",
                     e["overhead_us"] <= 60),
                    ("CNN end-to-end p99 < 1 ms", f"{e['predict_p99_us']:.0f} µs",
                     e["predict_p99_us"] < 1000),
                ]
            elif kind == "mlp":
                targets.append(("MLP end-to-end median ≤ 60 µs",
                                f"{e['predict_median_us']:.0f} µs", e["predict_median_us"] <= 60))
    if has("test_bare_onnxruntime_run[cnn]", "test_predict_canvas[cnn]"):
        t, p = median("test_bare_onnxruntime_run[cnn]"), median("test_predict_canvas[cnn]")
        targets += [("Model v2 CNN: bare onnxruntime run ≤ 80 µs", us(t), t <= 80e-6),
                    ("Model v2 CNN: `predict` end to end ≤ 140 µs", us(p), p <= 140e-6)]
    for kind in ("cnn", "cnn-int8"):
        if has(f"test_predict_vs_v1_interleaved[{kind}]"):
            e = by_name[f"test_predict_vs_v1_interleaved[{kind}]"]["extra_info"]
            default = " (the default)" if kind == digitrt.list_models()[0].name else ""
            targets.append((f"`predict` ≤ 10 % above before: {kind}{default} ÷ model v1, "
                            "alternated", f"{e['predict_median_us']:.0f} vs "
                            f"{e['v1_median_us']:.0f} µs, {e['ratio']:.2f}×", e["ratio"] <= 1.10))
    for kind in ("cnn-int8", "cnn"):
        if has(f"test_read_number_800x250[{kind}]"):
            t = median(f"test_read_number_800x250[{kind}]")
            default = " (the default)" if kind == digitrt.list_models()[0].name else ""
            targets.append((f"`read` of a 6-digit 800×250 canvas ≤ 1 ms: {kind}{default}", us(t),
                            t <= 1e-3))
    if has("test_preprocess_canvas_280"):
        t = median("test_preprocess_canvas_280")
        targets.append(("Preprocessing ≤ 50 µs on the 280×280 canvas", us(t), t <= 50e-6))
    if has("test_predict_batch_mnist[1024]"):
        rate = 1024 / median("test_predict_batch_mnist[1024]")
        targets.append(("CNN `predict_batch(1024)` ≥ 15k images/s (28×28 MNIST images)",
                        f"{rate:,.0f} images/s", rate >= 15_000))
    if has("test_cold_start_digitrt"):
        t = median("test_cold_start_digitrt")
        targets.append(("Cold start ≤ 0.3 s (new process: import + Recognizer + 1st prediction)",
                        us(t), t <= 0.3))
    if has("test_keras_predict[cnn]", "test_predict_canvas[cnn]"):
        ratio = median("test_keras_predict[cnn]") / median("test_predict_canvas[cnn]")
        targets.append(("≥ 300× faster than Keras `predict` per image (CNN, end-to-end)",
                        f"{ratio:,.0f}×", ratio >= 300))
    for kind, label in (("cnn", "float CNN"), ("cnn-int8", "int8 CNN")):
        if has("test_litert_invoke[cnn]", f"test_bare_onnxruntime_run[{kind}]"):
            ratio = median(f"test_bare_onnxruntime_run[{kind}]") / median("test_litert_invoke[cnn]")
            targets.append((f"digitrt's model run no slower than LiteRT ({label} ÷ LiteRT float CNN)",
                            f"{ratio:.2f}×", ratio <= 1.0))

    if has("test_adapt_100_samples"):
        t = median("test_adapt_100_samples")
        targets.append(("`Recognizer.adapt` on 100 samples ≤ 1 s", us(t), t <= 1.0))
    if has("test_predict_with_profile_interleaved"):
        e = by_name["test_predict_with_profile_interleaved"]["extra_info"]
        targets.append(("`predict` with a profile ≤ 10 % slower than without (alternated)",
                        f"{e['profile_median_us']:.0f} vs {e['plain_median_us']:.0f} µs, "
                        f"{e['ratio']:.2f}×", e["ratio"] <= 1.10))
    if has("test_folder_throughput"):
        e = by_name["test_folder_throughput"]["extra_info"]
        targets.append(("folder CLI, 2 workers ≥ 80 % of twice in-process `predict_batch` "
                        f"(steady state, {e['images']:,} PNGs, decode included)",
                        f"{e['cli_2_steady_images_per_s']:,.0f} vs 2 × "
                        f"{e['predict_batch_images_per_s']:,.0f} images/s = "
                        f"{e['cli_2_vs_twice_baseline']:.0%}", e["cli_2_vs_twice_baseline"] >= 0.8))

    lines += ["## Targets", "", "| target | measured | |", "|---|---|---|"]
    lines += [f"| {what} | {value} | {verdict(ok)} |" for what, value, ok in targets]
    lines += ["", "## digitrt's overhead over bare onnxruntime", "",
              "Both measured call by call, alternating, in one loop of 2000 rounds: "
              "`Recognizer.predict(canvas)` (input checks, preprocessing, session run, result) "
              "versus `InferenceSession.run` on a ready 1×28×28×1 tensor with the same session "
              "options.", "", "| | median | p99 | |", "|---|---|---|---|", *rows, ""]

    # ------------------------------------------------------------ ratios vs peers
    ratios = []

    def ratio(label: str, slower: str, faster: str, fmt: str) -> None:
        if has(slower, faster):
            ratios.append(f"| {label} | {format(median(slower) / median(faster), fmt)}× |")

    for kind in ("cnn", "mlp"):
        k = kind.upper()
        ratio(f"Keras `model.predict` ÷ digitrt `predict` ({k})",
              f"test_keras_predict[{kind}]", f"test_predict_canvas[{kind}]", ",.0f")
        ratio(f"Keras `model(x)` ÷ digitrt `predict` ({k})",
              f"test_keras_call[{kind}]", f"test_predict_canvas[{kind}]", ",.1f")
        ratio(f"onnxruntime run ÷ LiteRT invoke, same network ({k})",
              f"test_bare_onnxruntime_run[{kind}]", f"test_litert_invoke[{kind}]", ".2f")
    ratio("onnxruntime run with 2 threads ÷ LiteRT invoke (2 threads), CNN",
          "test_bare_onnxruntime_run_2_threads", "test_litert_invoke[cnn]", ".2f")
    ratio("onnxruntime run, int8 CNN ÷ float CNN",
          "test_bare_onnxruntime_run[cnn-int8]", "test_bare_onnxruntime_run[cnn]", ".2f")
    ratio("cold start: TensorFlow + Keras ÷ digitrt",
          "test_cold_start_keras", "test_cold_start_digitrt", ".0f")
    for b in data["benchmarks"]:
        if b["group"] == "batch":
            rate = b["extra_info"]["images"] / b["stats"]["median"]
            ratios.append(f"| `{b['name'].removeprefix('test_')}` (CNN, threads=2) | "
                          f"{rate:,.0f} images/s |")
    lines += ["## Ratios", "", "| comparison | value |", "|---|---|", *ratios, ""]

    # ------------------------------------------------------------ memory
    if has("test_memory_peak_rss_does_not_grow"):
        e = by_name["test_memory_peak_rss_does_not_grow"]["extra_info"]
        lines += ["## Memory (peak RSS of a fresh process)", "",
                  f"- Python with NumPy: {e['python_mb']:.0f} MB; after importing digitrt, "
                  f"OpenCV and onnxruntime: {e['imports_mb']:.0f} MB",
                  f"- after creating a Recognizer and one prediction: {e['recognizer_mb']:.0f} MB",
                  f"- after 1 000 predictions: {e['after_1k_mb']:.0f} MB; after 10 000: "
                  f"{e['after_10k_mb']:.0f} MB (no growth)", ""]

    # ------------------------------------------------------------ folders at scale
    if has("test_folder_throughput"):
        e = by_name["test_folder_throughput"]["extra_info"]
        lines += ["## Folders at scale", "",
                  f"{e['images']:,} PNG files (half 280×280 canvases, half 28×28 digits), "
                  "decode included:", "",
                  "| path | images/s (whole run) | images/s (first to last result) | peak RSS "
                  "(all processes) | RSS at 20 % → at the end |",
                  "|---|---|---|---|---|",
                  f"| `predict_batch(paths)` in this process | "
                  f"{e['predict_batch_images_per_s']:,.0f} | | | |"]
        for w in (1, 2):
            lines.append(f"| `digitrt predict DIR --format jsonl --workers {w}` | "
                         f"{e[f'cli_{w}_images_per_s']:,.0f} | "
                         f"{e[f'cli_{w}_steady_images_per_s']:,.0f} | "
                         f"{e[f'cli_{w}_peak_rss_mb']:.0f} MB | "
                         f"{e.get(f'cli_{w}_rss_at_20pct_mb', 0):.0f} → "
                         f"{e.get(f'cli_{w}_rss_at_end_mb', 0):.0f} MB |")
        if has("test_ray_local_throughput"):
            r = by_name["test_ray_local_throughput"]["extra_info"]
            lines.append(f"| `digitrt.ray.predict_folder` (Ray local mode, 2 actors, Parquet) | "
                         f"{r['ray_images_per_s']:,.0f} | | | |")
        lines.append("")

    # ------------------------------------------------------------ full table
    lines += ["## All measurements", "", "| group | benchmark | median | p99 | IQR | rounds |",
              "|---|---|---|---|---|---|"]
    for b in sorted(data["benchmarks"], key=lambda b: (b["group"] or "", b["name"])):
        s = b["stats"]
        p99 = us(s["p99"]) if "p99" in s else "–"
        lines.append(f"| {b['group']} | `{b['name'].removeprefix('test_')}` | {us(s['median'])} "
                     f"| {p99} | {us(s['iqr'])} | {s['rounds']} |")
    lines += ["", "Reproduce: `make bench` (about a minute; writes `benchmarks/results.json` "
              "and this page).", ""]
    Path(target).write_text("\n".join(lines))
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
