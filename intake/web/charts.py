"""Chart geometry for the metrics dashboard, computed on the server.

Each chart is a list of plain shapes (rect, line, polyline, circle, text) in SVG user units that
the template draws as inline SVG with presentation attributes only: nothing is fetched and no
script runs, so it works under the UI's strict Content-Security-Policy and with no network.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

WIDTH, HEIGHT = 520, 320
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 48  # plot margins
SERIES_COLORS = {"raw": "#b3261e", "served": "#1f5fbf", "newest_map": "#1e7a3c"}
SERIES_NAMES = {"raw": "raw assessor confidence", "served": "as served",
                "newest_map": "through the newest map"}
GRID = "#d5dbe2"
INK = "#1d232b"
MUTED = "#5f6b78"


@dataclass
class Shape:
    kind: str  # rect, line, polyline, circle, text
    attrs: dict[str, Any]
    text: str = ""
    tooltip: str = ""  # an SVG <title> child: shown on hover


@dataclass
class Chart:
    title: str
    width: int
    height: int
    shapes: list[Shape] = field(default_factory=list)
    empty: str = ""  # shown instead of the chart when there is nothing to draw

    def add(self, kind: str, text: str = "", **attrs: Any) -> None:
        self.shapes.append(Shape(kind, {k.replace("_", "-"): v for k, v in attrs.items()}, text))

    def tip(self, tooltip: str) -> None:
        """Hover text for the shape added last."""
        self.shapes[-1].tooltip = tooltip


def _plot_box(width: int = WIDTH, height: int = HEIGHT) -> tuple[float, float, float, float]:
    return LEFT, TOP, width - LEFT - RIGHT, height - TOP - BOTTOM


def _axes(chart: Chart, y_label: str, x_label: str, y_ticks: Sequence[float] = (0, .25, .5, .75, 1)) -> None:
    x0, y0, w, h = _plot_box(chart.width, chart.height)
    for tick in y_ticks:
        y = y0 + h * (1 - tick)
        chart.add("line", x1=x0, y1=y, x2=x0 + w, y2=y, stroke=GRID, stroke_width=1)
        chart.add("text", f"{tick:.0%}", x=x0 - 6, y=y + 4, text_anchor="end", font_size=11, fill=MUTED)
    chart.add("line", x1=x0, y1=y0 + h, x2=x0 + w, y2=y0 + h, stroke=INK, stroke_width=1)
    chart.add("line", x1=x0, y1=y0, x2=x0, y2=y0 + h, stroke=INK, stroke_width=1)
    chart.add("text", x_label, x=x0 + w / 2, y=chart.height - 8, text_anchor="middle", font_size=12, fill=INK)
    chart.add("text", y_label, x=14, y=y0 + h / 2, text_anchor="middle", font_size=12, fill=INK,
              transform=f"rotate(-90 14 {y0 + h / 2})")


def reliability_diagram(calibration: Mapping[str, Mapping[str, Any]]) -> Chart:
    """calibration: {series: calibration_summary}; a dot per non-empty bin at
    (mean confidence, observed accuracy), the diagonal is perfect calibration."""
    chart = Chart("Reliability diagram (reviewed fields)", WIDTH, HEIGHT)
    series = {name: s for name, s in calibration.items() if any(b["count"] for b in s["reliability"])}
    if not series:
        chart.empty = "No reviewed fields with a confidence yet."
        return chart
    _axes(chart, "observed accuracy", "field confidence")
    x0, y0, w, h = _plot_box()
    for tick in (0, .25, .5, .75, 1):
        chart.add("text", f"{tick:.2f}", x=x0 + w * tick, y=y0 + h + 16, text_anchor="middle",
                  font_size=11, fill=MUTED)
    chart.add("line", x1=x0, y1=y0 + h, x2=x0 + w, y2=y0, stroke=MUTED, stroke_width=1,
              stroke_dasharray="4 3")
    for index, (name, summary) in enumerate(series.items()):
        color = SERIES_COLORS.get(name, INK)
        points = [(x0 + w * b["mean_confidence"], y0 + h * (1 - b["accuracy"]), b["count"])
                  for b in summary["reliability"] if b["count"]]
        chart.add("polyline", points=" ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points), fill="none",
                  stroke=color, stroke_width=2)
        for x, y, count in points:
            chart.add("circle", cx=round(x, 1), cy=round(y, 1), r=4, fill=color)
            chart.tip(f"{count} fields")
        ece = summary["ece"]
        label = f"{SERIES_NAMES.get(name, name)}: ECE {ece:.3f}" if ece is not None else SERIES_NAMES.get(name, name)
        chart.add("rect", x=x0 + 10, y=y0 + 8 + 16 * index, width=10, height=10, fill=color)
        chart.add("text", label, x=x0 + 26, y=y0 + 17 + 16 * index, font_size=11, fill=INK)
    return chart


def accuracy_heatmap(per_day: Mapping[str, Mapping[str, Mapping[str, Any]]], max_days: int = 14) -> Chart:
    """Rows are fields, columns the last `max_days` review days; a cell's shade is the day's
    accuracy for that field (red 0% -> green 100%), its text the share and label count."""
    days = sorted(per_day)[-max_days:]
    fields = sorted({name for day in days for name in per_day[day]})
    cell_w, cell_h, label_w, head_h = 58, 20, 190, 40
    chart = Chart("Field accuracy per review day", label_w + cell_w * max(len(days), 1) + 10,
                  head_h + cell_h * max(len(fields), 1) + 10)
    if not days:
        chart.empty = "No reviewed fields yet."
        return chart
    for column, day in enumerate(days):
        chart.add("text", day[5:], x=label_w + cell_w * column + cell_w / 2, y=head_h - 10,
                  text_anchor="middle", font_size=11, fill=MUTED)
    for row, name in enumerate(fields):
        y = head_h + cell_h * row
        chart.add("text", name.replace("_", " "), x=label_w - 8, y=y + 14, text_anchor="end", font_size=11, fill=INK)
        for column, day in enumerate(days):
            ratio = per_day[day].get(name)
            x = label_w + cell_w * column
            if not ratio or ratio["value"] is None:
                chart.add("rect", x=x + 1, y=y + 1, width=cell_w - 2, height=cell_h - 2, fill="#f4f6f8")
                continue
            chart.add("rect", x=x + 1, y=y + 1, width=cell_w - 2, height=cell_h - 2, fill=_shade(ratio["value"]))
            chart.tip(f"{name} {day}: {ratio['hits']}/{ratio['total']}")
            chart.add("text", f"{ratio['value']:.0%}", x=x + cell_w / 2, y=y + 14, text_anchor="middle",
                      font_size=11, fill=INK)
    return chart


def _shade(value: float) -> str:
    """Red (0) through amber to green (1), light enough for dark text."""
    red, green = (0xF4, 0xB6, 0xB0), (0xB8, 0xE0, 0xC2)
    mixed = (round(r + (g - r) * value) for r, g in zip(red, green))
    return "#" + "".join(f"{c:02x}" for c in mixed)


def latency_histogram(histogram: Sequence[Mapping[str, Any]]) -> Chart:
    """histogram: cumulative [{"le", "count"}] (quality.operations); drawn as bars per bucket."""
    chart = Chart("Upload to ready for review", WIDTH, HEIGHT)
    counts = [b["count"] - (histogram[i - 1]["count"] if i else 0) for i, b in enumerate(histogram)]
    if not histogram or not histogram[-1]["count"]:
        chart.empty = "No packets reached ready for review in the window."
        return chart
    x0, y0, w, h = _plot_box()
    top = max(counts)
    ticks = sorted({0, top, round(top / 2)})
    for tick in ticks:
        y = y0 + h * (1 - tick / top)
        chart.add("line", x1=x0, y1=y, x2=x0 + w, y2=y, stroke=GRID, stroke_width=1)
        chart.add("text", str(tick), x=x0 - 6, y=y + 4, text_anchor="end", font_size=11, fill=MUTED)
    chart.add("line", x1=x0, y1=y0 + h, x2=x0 + w, y2=y0 + h, stroke=INK, stroke_width=1)
    chart.add("text", "seconds (bucket upper bound)", x=x0 + w / 2, y=chart.height - 8, text_anchor="middle",
              font_size=12, fill=INK)
    chart.add("text", "packets", x=14, y=y0 + h / 2, text_anchor="middle", font_size=12, fill=INK,
              transform=f"rotate(-90 14 {y0 + h / 2})")
    bar_w = w / len(counts)
    for index, (bucket, count) in enumerate(zip(histogram, counts)):
        x = x0 + bar_w * index
        bar_h = h * count / top
        chart.add("rect", x=round(x + 2, 1), y=round(y0 + h - bar_h, 1), width=round(bar_w - 4, 1),
                  height=round(bar_h, 1), fill="#1f5fbf")
        chart.tip(f"{count} packets")
        bound = bucket["le"]
        label = "more" if bound == float("inf") else (f"≤{bound / 60:g}m" if bound >= 60 else f"≤{bound:g}s")
        chart.add("text", label, x=round(x + bar_w / 2, 1), y=y0 + h + 16, text_anchor="middle",
                  font_size=11, fill=MUTED)
    return chart
