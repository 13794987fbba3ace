"""``--report DIR``: the benchmark results as a Markdown page with contact sheets and plots.

The tables are built from the very objects written to the JSON file, so the page and the file
never disagree. Layout of ``DIR``: ``report.md``, ``sheets/<clip>.png`` (rows: original | grey |
each method, six frames spread over the clip), ``plots/<clip>_psnr.png`` (per-frame PSNR of every
method); for photos, ``sheets/photos.png``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from videocolor.bench import figures
from videocolor.bench.images import ImageBench
from videocolor.bench.scores import METRICS
from videocolor.bench.video import VideoBench

_FORMATS = {
    "psnr": ".2f",
    "psnr_pooled_mse": ".2f",
    "ssim": ".4f",
    "qssim": ".4f",
    "auc_ab": ".4f",
    "auc_rgb": ".4f",
    "cdc": ".5f",
    "warp_error": ".5f",
    "colorfulness": ".1f",
    "fps": ".1f",
    "top1": ".3f",
    "top5": ".3f",
}
IMAGE_METRICS = ("psnr", "ssim", "qssim", "auc_ab", "auc_rgb", "colorfulness")


def _cell(key: str, value: object) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if isinstance(value, float):
        return format(value, _FORMATS.get(key, ".4g"))
    return str(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
    ]


def summary_table(
    results: Sequence[Mapping[str, object]], key: str, metrics: Sequence[str]
) -> list[str]:
    """Markdown lines of a table: one row per method, its ``key`` summary (``pooled``...)."""
    count = "frames" if "frames" in results[0][key] else "images"
    rows = [
        [str(result["method"]), _cell(count, result[key][count])]
        + [_cell(metric, result[key][metric]) for metric in metrics]
        for result in results
    ]
    return _table(["method", count, *metrics], rows)


def _video_figures(
    bench: VideoBench, results: Sequence[Mapping[str, object]], directory: Path
) -> dict[str, list[str]]:
    """Draw each clip's contact sheet and PSNR plot; Markdown links to them by clip name."""
    links: dict[str, list[str]] = {}
    for samples in bench.samples:
        titles = [
            f"frame {i}" + (" (ref)" if i in samples.references else "") for i in samples.indices
        ]
        sheet = directory / "sheets" / f"{samples.name}.png"
        figures.contact_sheet(samples.rows, titles, sheet)
        links[samples.name] = [f"[sheet]({sheet.relative_to(directory)})"]
    for position, clip in enumerate(results[0]["clips"]):
        series = {str(r["method"]): r["clips"][position]["psnr_frames"] for r in results}
        plot = directory / "plots" / f"{clip['name']}_psnr.png"
        figures.psnr_plot(series, clip["references"], f"{clip['name']}: per-frame PSNR", plot)
        links.setdefault(clip["name"], [""]).append(f"[plot]({plot.relative_to(directory)})")
    return links


def _fps_note(bench: VideoBench) -> str:
    if bench.through == "memory":
        return "fps counts the method's own time only"
    return (
        "fps counts the method's own time only, for the product's methods the CLI's wall time "
        "(start-up, decoding and encoding included)"
    )


def video_title(bench: VideoBench) -> str:
    """The title of a video run's report and printed summary, with the product's path."""
    through = (
        "in-process (--through memory)"
        if bench.through == "memory"
        else f"through {bench.through} files and the CLI"
    )
    return f"Video benchmark: {bench.dataset}, protocol `{bench.protocol.name}`, product {through}"


def write_video_report(
    bench: VideoBench, results: Sequence[Mapping[str, object]], directory: Path
) -> Path:
    """Write ``report.md``, contact sheets and PSNR plots of a video run into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    links = _video_figures(bench, results, directory)
    first = results[0]
    frames = f", first {first['max_frames']} frames of each clip" if first["max_frames"] else ""
    lines = [
        f"# {video_title(bench)}",
        "",
        f"Methods: {', '.join(str(r['method']) for r in results)}. Data: `{first['data']}`{frames}."
        f" PSNR is the {first['psnr_convention']}, SSIM and QSSIM likewise; AuC pools pixels; CDC"
        f" and warping error are means over clips; {_fps_note(bench)}.",
        "",
        "## Pooled over all frames",
        "",
        *summary_table(results, "pooled", METRICS),
        "## Pooled, reference frames excluded",
        "",
        *summary_table(results, "pooled_excl_refs", METRICS),
        "## Per clip",
        "",
    ]
    rows = []
    for position, clip in enumerate(first["clips"]):
        for number, result in enumerate(results):
            row = result["clips"][position]
            rows.append(
                [clip["name"] if number == 0 else "", str(result["method"])]
                + [_cell(metric, row[metric]) for metric in ("frames", *METRICS)]
                + (links[clip["name"]] if number == 0 else ["", ""])
            )
    lines += _table(["clip", "method", "frames", *METRICS, "frames shown", "PSNR"], rows)
    report = directory / "report.md"
    report.write_text("\n".join(lines))
    return report


def _gap_cell(semantic: Mapping[str, object], key: str) -> str:
    """The gap recovered with its bootstrap interval, e.g. ``-0.143 (-0.632 to 0.167)``."""
    value = _cell(key, semantic["gap_recovered"][key])
    if value == "-":  # grey lost nothing: no gap, no interval
        return value
    low, high = semantic["gap_recovered_95"][key]
    return f"{value} ({_cell(key, low)} to {_cell(key, high)})"


def semantic_table(results: Sequence[Mapping[str, object]]) -> list[str]:
    """Markdown lines: classifier top-1/top-5 on original, grey and each method's photos, and the
    gap recovered; or the note saying why it was not measured."""
    first = results[0]
    if first["semantic"] is None:
        return [f"Semantic interpretability not measured: {first['semantic_note']}", ""]
    reference = first["semantic"]
    rows = [
        [label, *(_cell(k, reference[label][k]) for k in ("top1", "top5")), "", ""]
        for label in ("original", "grey")
    ]
    for result in results:
        semantic = result["semantic"]
        rows.append(
            [str(result["method"])]
            + [_cell(key, semantic["colorized"][key]) for key in ("top1", "top5")]
            + [_gap_cell(semantic, key) for key in ("top1", "top5")]
        )
    header = [
        "photos",
        "top-1",
        "top-5",
        "gap recovered top-1 (95 %)",
        "gap recovered top-5 (95 %)",
    ]
    return [*_table(header, rows), f"Classifier: `{reference['classifier']}`.", ""]


def write_image_report(
    bench: ImageBench, results: Sequence[Mapping[str, object]], directory: Path
) -> Path:
    """Write ``report.md`` and a contact sheet of a photo run into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    first = results[0]
    mode = f"{first['hints']} hints per photo" if first["hints"] else "automatic (no hints)"
    lines = [
        f"# Image benchmark: {first['dataset']}, {mode}",
        "",
        f"Data: `{first['data']}`. PSNR, SSIM and QSSIM are means over photos; AuC pools pixels.",
        "",
        "## Scores",
        "",
        *summary_table(results, "pooled", IMAGE_METRICS),
        "## Semantic interpretability",
        "",
        *semantic_table(results),
    ]
    if bench.samples:
        sheet = directory / "sheets" / "photos.png"
        figures.contact_sheet(bench.samples, bench.sample_names, sheet)
        lines += ["## Photos", "", f"![contact sheet]({sheet.relative_to(directory)})", ""]
    report = directory / "report.md"
    report.write_text("\n".join(lines))
    return report
