"""The quilt as an SVG heatmap: one panel per metric, stations down, time across."""

from __future__ import annotations

from xml.sax.saxutils import escape

from toyfoundry_ci.foundry.quilt import METRICS, Quilt

_LABEL_W = 190
_CELL_H = 16
_PLOT_W = 840
_PANEL_GAP = 44
_TOP = 56

# metric -> (title, light colour, dark colour, fixed maximum or None for the panel's own)
_STYLE: dict[str, tuple[str, tuple[int, int, int], tuple[int, int, int], float | None]] = {
    "throughput": ("Throughput (units finished per bucket)", (247, 252, 245), (0, 90, 50), None),
    "wip": ("WIP (average units queued or in service)", (255, 245, 235), (127, 39, 4), None),
    "utilisation": ("Utilisation (busy share of capacity)", (247, 251, 255), (8, 48, 107), 1.0),
    "defects": ("Defects (units found defective per bucket)", (255, 245, 240), (103, 0, 13), None),
}


def render_svg(quilt: Quilt, order_id: str) -> bytes:
    """A self-contained SVG; identical quilts give identical bytes."""
    rows = len(quilt.stations)
    cell_w = max(2.0, min(28.0, _PLOT_W / quilt.buckets))
    width = int(_LABEL_W + cell_w * quilt.buckets + 90)
    panel_h = rows * _CELL_H + _PANEL_GAP
    height = _TOP + panel_h * len(METRICS) + 10
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="10" y="22" font-size="16" font-weight="bold">Quilt of {escape(order_id)}</text>',
        f'<text x="10" y="40" fill="#444">{rows} stations x {quilt.buckets} buckets of'
        f" {_minutes(quilt.bucket_minutes)} working time; darker is more</text>",
    ]
    y = _TOP
    for metric in METRICS:
        out.extend(_panel(quilt, metric, y, cell_w))
        y += panel_h
    out.append("</svg>")
    return ("\n".join(out) + "\n").encode()


def _panel(quilt: Quilt, metric: str, top: int, cell_w: float) -> list[str]:
    title, light, dark, fixed = _STYLE[metric]
    values = quilt.grid[metric]
    peak = fixed if fixed is not None else max((max(r) for r in values), default=0.0)
    parts = [f'<text x="10" y="{top + 12}" font-weight="bold">{escape(title)}</text>']
    y0 = top + 18
    for s, name in enumerate(quilt.stations):
        y = y0 + s * _CELL_H
        label_y = y + _CELL_H - 4
        parts.append(
            f'<text x="{_LABEL_W - 6}" y="{label_y}" text-anchor="end">{escape(name)}</text>'
        )
        for b, value in enumerate(values[s]):
            share = value / peak if peak else 0.0
            x = _LABEL_W + b * cell_w
            parts.append(
                f'<rect x="{x:.2f}" y="{y}" width="{cell_w:.2f}" height="{_CELL_H}"'
                f' fill="{_mix(light, dark, share)}"><title>{escape(name)} bucket {b}:'
                f" {value:g}</title></rect>"
            )
    grid_w = cell_w * quilt.buckets
    bottom = y0 + len(quilt.stations) * _CELL_H
    parts.append(
        f'<rect x="{_LABEL_W}" y="{y0}" width="{grid_w:.2f}" height="{bottom - y0}"'
        ' fill="none" stroke="#888" stroke-width="0.5"/>'
    )
    step = max(1, round(quilt.buckets / 10))
    for b in range(0, quilt.buckets, step):
        x = _LABEL_W + b * cell_w
        label = _minutes(b * quilt.bucket_minutes)
        parts.append(f'<text x="{x:.2f}" y="{bottom + 12}" fill="#444">{label}</text>')
    parts.append(
        f'<text x="{_LABEL_W + grid_w + 8:.2f}" y="{y0 + 10}" fill="#444">max {peak:g}</text>'
    )
    return parts


def _mix(light: tuple[int, int, int], dark: tuple[int, int, int], share: float) -> str:
    share = min(max(share, 0.0), 1.0)
    r, g, b = (round(lo + (hi - lo) * share) for lo, hi in zip(light, dark, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def _minutes(value: float) -> str:
    hours = value / 60
    return f"{hours:g}h"
