"""Server-rendered SVG charts (pygal): no JavaScript, nothing fetched from anywhere.

pygal always writes a small ``<script>`` with its configuration (for its optional tooltips);
an XML filter removes every script element, so the SVG is inert. Its CSS is one ``<style>``
element, which gets the page's CSP nonce, so the chart can be inlined in a page whose policy
forbids inline styles. The SVG has a viewBox and no fixed size: it scales to the width of its
container, and its fonts are sized for that (readable on a phone).
"""

from __future__ import annotations

import sys
from typing import Any

import pygal
from pygal.style import Style

from app.platform.security_stats import HourlyCounts

# Importing pygal appends to sys.meta_path a finder for its old map plugins (pygal.maps.*) that
# has no find_spec, so every later import of a missing module raises ImportWarning (an error
# under the test suite's warnings-as-errors, e.g. when limits probes for the optional valkey
# package). The shop draws no maps: take the finder out again.
sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]

SVG_NS = "{http://www.w3.org/2000/svg}"
LABELS = {
    "failed_logins": "Failed logins",
    "successful_logins": "Successful logins",
    "lockouts": "Lockouts",
    "rate_limited": "Rate-limit refusals",
}
_STYLE = Style(
    background="white", plot_background="white", foreground="#222", foreground_strong="#111",
    foreground_subtle="#666", opacity="1", opacity_hover="1",
    colors=("#b3261e", "#1b6e3a", "#6a3d9a", "#b35900"),
    font_family="system-ui, sans-serif", label_font_size=16, major_label_font_size=16,
    legend_font_size=18, title_font_size=20, value_font_size=14, tooltip_font_size=14,
)


TITLE = ("Failed and successful logins, lockouts and rate-limit refusals per hour over the "
         "last 24 hours")


def _accessible_and_inert(nonce: str | None, chart_id: str) -> Any:
    def xml_filter(root: Any) -> Any:
        root.set("role", "img")
        root.set("aria-labelledby", f"{chart_id}-title")
        title = root.makeelement("title", {"id": f"{chart_id}-title"})
        title.text = TITLE
        root.insert(0, title)
        for parent in root.iter():
            for child in list(parent):
                # The tooltip overlay only works with pygal's script, and carries the one
                # inline style attribute a strict CSP would refuse.
                if child.tag in ("script", f"{SVG_NS}script") or "tooltip" in child.get(
                        "class", "").split():
                    parent.remove(child)
                elif nonce and child.tag in ("style", f"{SVG_NS}style"):
                    child.set("nonce", nonce)
        return root

    return xml_filter


def security_chart(counts: HourlyCounts, *, nonce: str | None = None,
                   chart_id: str = "security-chart") -> str:
    """An inline ``<svg>`` of the hourly series on one time axis (UTC hours)."""
    chart = pygal.Line(
        style=_STYLE, width=640, height=420, js=[], disable_xml_declaration=True,
        title="Logins and refusals per hour (UTC, last 24 hours)", legend_at_bottom=True,
        legend_at_bottom_columns=2, show_minor_x_labels=False, x_labels_major_every=3,
        truncate_label=-1, min_scale=1, max_scale=10, include_x_axis=True, dots_size=3,
        margin=8, no_prefix=False,
    )
    chart.x_labels = [hour.strftime("%H:00") for hour in counts.hours]
    for name, values in counts.series.items():
        chart.add(LABELS[name], list(values))
    chart.add_xml_filter(_accessible_and_inert(nonce, chart_id))
    svg: str = chart.render(is_unicode=True)
    return svg
