"""Charts drawn on the server: horizontal bar charts as plain SVG for pages, and on a PDF canvas.

No JavaScript and nothing third-party: the browser lays out the Thai labels in SVG text, and
the PDF draws them through core.pdf, shaped by HarfBuzz. Both use the same geometry.
"""
from xml.sax.saxutils import escape

from core.pdf import FONT, draw_text, fit_size

BAR_HEIGHT = 18
GAP = 6
LABEL_WIDTH = 150
VALUE_WIDTH = 90


def _rows(items, width):
    """(label, value text, bar length, y) for each item, bars scaled to the largest value."""
    largest = max((value for _label, value, _text in items), default=0) or 1
    room = width - LABEL_WIDTH - VALUE_WIDTH
    return [(label, text, max(1, room * value / largest) if value > 0 else 0, index * (BAR_HEIGHT + GAP))
            for index, (label, value, text) in enumerate(items)]


def bar_chart_svg(items, title, width=560):
    """An SVG bar chart of (label, value, value as text) items, largest bar full width."""
    rows = _rows(items, width)
    height = len(rows) * (BAR_HEIGHT + GAP) + 28
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="chart" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for label, text, length, y in rows:
        top = y + 24
        parts.append(f'<text x="{LABEL_WIDTH - 6}" y="{top + 13}" text-anchor="end" class="chart-label">{escape(label)}</text>')
        parts.append(f'<rect x="{LABEL_WIDTH}" y="{top}" width="{length:.1f}" height="{BAR_HEIGHT}" class="chart-bar"/>')
        parts.append(f'<text x="{LABEL_WIDTH + length + 4:.1f}" y="{top + 13}" class="chart-value">{escape(text)}</text>')
    parts.append(f'<text x="0" y="14" class="chart-title">{escape(title)}</text></svg>')
    return "".join(parts)


def draw_bar_chart(canvas, x, top, items, title, width, colour):
    """The same chart on a ReportLab canvas, from `top` downwards; returns the y below it."""
    scale = 0.7  # PDF points are smaller than screen pixels
    rows = _rows(items, width / scale)
    draw_text(canvas, x, top - 11, title, 11, "Sarabun-Bold")
    for label, text, length, y in rows:
        baseline = top - 24 - (y + 13) * scale
        label_room = (LABEL_WIDTH - 8) * scale
        draw_text(canvas, x + label_room, baseline, label, fit_size(label, label_room, 8.5, 6), FONT, "right")
        canvas.setFillColor(colour)
        canvas.rect(x + LABEL_WIDTH * scale, baseline - 3, length * scale, BAR_HEIGHT * scale, stroke=0, fill=1)
        canvas.setFillColorRGB(0, 0, 0)
        draw_text(canvas, x + (LABEL_WIDTH + length + 4) * scale, baseline, text, 8.5)
    return top - 24 - len(rows) * (BAR_HEIGHT + GAP) * scale - 10
