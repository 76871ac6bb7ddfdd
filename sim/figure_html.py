"""Figures embedded in a self-contained HTML page (base64 PNG), so the report, the calibration
page and the stress page open without a server or Python."""

from __future__ import annotations

import base64
import io

from .report_sections import esc


def png_base64(fig, dpi: int) -> str:
    """A matplotlib figure as base64 PNG."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def embed(fig, alt: str, caption: str, dpi: int = 130) -> str:
    """A figure as an embedded PNG with its caption."""
    return (f'<figure><img alt="{esc(alt)}" src="data:image/png;base64,{png_base64(fig, dpi)}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>")
