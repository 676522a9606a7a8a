"""Draw a laid-out topology as SVG, with live state: links down in red, hosts gone greyed out.

Pure. The markup keeps the diagram's stable ids, so the page can swap the whole picture when the
kernel changes and the packet walk can find hosts and cables by id.
"""

from __future__ import annotations

from html import escape

from labs.diagram import Diagram

ADDRESS_LINE = 15


def render_topology(
    diagram: Diagram | None,
    *,
    down: frozenset[str] = frozenset(),
    missing: frozenset[str] = frozenset(),
    counters: dict[str, str] | None = None,
) -> str:
    """Return the ``<svg id="topology">`` of a diagram; ``down`` holds line ids, ``missing`` host names."""
    if diagram is None:
        return '<p id="topology" class="muted">No picture for this step.</p>'
    counters = counters or {}
    out = [
        f'<svg id="topology" class="topology" viewBox="0 0 {diagram.width:.0f} {diagram.height:.0f}" '
        f'role="img" aria-label="the sandbox: hosts and the cables between them">',
        '<g class="hosts">',
    ]
    # Boxes first (parents before children), then the cables over them, then the bridges' bars.
    for box in diagram.boxes:
        classes = (
            ["host", f"role-{box.role}"]
            + (["parent"] if box.children else [])
            + (["missing"] if box.host in missing else [])
        )
        out.append(f'<g id="{escape(box.id)}" class="{" ".join(classes)}" data-host="{escape(box.host)}">')
        out.append(f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" height="{box.h:.1f}" rx="6"></rect>')
        label = escape(short(box.label, 26))
        out.append(f'<text class="label" x="{box.x + 8:.1f}" y="{box.y + 18:.1f}">{label}</text>')
        if not box.children:
            for index, address in enumerate(box.addresses[:2]):
                out.append(
                    f'<text class="address" x="{box.x + 8:.1f}" y="{box.y + 34 + index * ADDRESS_LINE:.1f}">'
                    f"{escape(short(address, 24))}</text>"
                )
        # Always there, so that the page can fill in live traffic figures without redrawing.
        out.append(
            f'<text class="counters" x="{box.x + box.w - 6:.1f}" y="{box.y + 14:.1f}" '
            f'text-anchor="end">{escape(counters.get(box.host, ""))}</text>'
        )
        tooltip = "\n".join([f"{box.host} ({box.role})", *box.addresses])
        out.append(f"<title>{escape(tooltip)}</title></g>")
    out.append('</g><g class="links">')
    for line in diagram.lines:
        state = " down" if line.id in down else ""
        state += " missing" if missing.intersection(line.hosts) else ""
        out.append(
            f'<line id="{escape(line.id)}" class="link {line.kind}{state}" x1="{line.x1}" y1="{line.y1}" '
            f'data-hosts="{escape(" ".join(line.hosts))}" '
            f'x2="{line.x2}" y2="{line.y2}"><title>{escape(line.a)} — {escape(line.b)}'
            f"{' (down)' if line.id in down else ''}</title></line>"
        )
    out.append('</g><g class="bridges">')
    for box in diagram.boxes:
        for bar in box.bars:
            out.append(
                f'<g id="bridge-{escape(box.host)}.{escape(bar.name)}" class="bridge">'
                f'<rect x="{bar.x:.1f}" y="{bar.y:.1f}" width="{bar.w:.1f}" height="{bar.h:.1f}" rx="3"></rect>'
                f'<text x="{bar.x + 6:.1f}" y="{bar.y + bar.h - 3:.1f}">{escape(bar.name)} (bridge)</text></g>'
            )
    out.append('</g><g id="walk-layer"></g></svg>')
    return "".join(out)


def short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
