"""Heap over time as a picture: useful heap and allocator overhead stacked, the
peak marked. PNG for a quick look, SVG for reports that zoom.

matplotlib is imported here only, with the Agg backend (no display needed),
so commands that draw nothing never pay for loading it.
"""

from __future__ import annotations

from pathlib import Path

from harness.massif import Massif

UNITS = ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB"), (1, "B"))
TIME_LABELS = {"B": "allocated and freed", "i": "instructions executed", "ms": "milliseconds"}


def byte_unit(largest: int) -> tuple[int, str]:
    """The unit that shows `largest` with a few digits before the point."""
    for size, name in UNITS:
        if largest >= size:
            return size, name
    return 1, "B"


def heap_over_time(massif: Massif, stem: Path, title: str) -> tuple[Path, Path]:
    """Draw the snapshots into `<stem>.png` and `<stem>.svg`; returns both paths."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    snapshots = sorted(massif.snapshots, key=lambda snapshot: snapshot.time)
    size, unit = byte_unit(max((snapshot.total for snapshot in snapshots), default=0))
    # With --time-unit=B the x axis counts bytes too: show it in the same units.
    scale, time_unit = (1, massif.time_unit)
    if massif.time_unit == "B":
        scale, time_unit = byte_unit(max((snapshot.time for snapshot in snapshots), default=0))
    times = [snapshot.time / scale for snapshot in snapshots]
    useful = [snapshot.heap / size for snapshot in snapshots]
    extra = [snapshot.heap_extra / size for snapshot in snapshots]
    figure, axes = pyplot.subplots(figsize=(9, 4.5))
    try:
        axes.stackplot(times, useful, extra, labels=("useful heap", "extra heap"), step="post")
        peak = massif.peak
        if peak is not None:
            axes.axvline(peak.time / scale, color="black", linestyle="--", linewidth=1)
            axes.annotate(
                f"peak {peak.total / size:.1f} {unit} (snapshot {peak.number})",
                xy=(peak.time / scale, peak.total / size),
                xytext=(6, -14),
                textcoords="offset points",
            )
        axes.set_title(title)
        what = TIME_LABELS.get(massif.time_unit, massif.time_unit)
        axes.set_xlabel(
            f"time: {time_unit} {what}" if massif.time_unit == "B" else f"time ({what})"
        )
        axes.set_ylabel(f"heap ({unit})")
        axes.legend(loc="upper left")
        axes.set_ylim(bottom=0)
        figure.tight_layout()
        paths = (stem.with_name(stem.name + ".png"), stem.with_name(stem.name + ".svg"))
        for path in paths:
            figure.savefig(path)
    finally:
        pyplot.close(figure)
    return paths
