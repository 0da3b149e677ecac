"""A PNG preview of a rendered report's first page."""

from __future__ import annotations

import io

import pypdfium2
from PIL import Image

_MAX_WIDTH_PX = 4000  # far beyond any preview; bounds memory for a careless caller


def render_thumbnail(pdf: bytes, width_px: int = 400) -> bytes:
    """Rasterise page 1 of ``pdf`` to a PNG exactly ``width_px`` wide (height keeps the ratio).

    Raises ``ValueError`` for a width out of range or bytes that are not a readable PDF.
    """
    if not 0 < width_px <= _MAX_WIDTH_PX:
        raise ValueError(f"width_px must be between 1 and {_MAX_WIDTH_PX}, got {width_px}")
    try:
        document = pypdfium2.PdfDocument(pdf)
    except pypdfium2.PdfiumError as error:
        raise ValueError(f"not a readable PDF: {error}") from error
    try:
        if len(document) == 0:
            raise ValueError("the PDF has no pages")
        page = document[0]
        try:
            width_pt, height_pt = page.get_size()
            scale = width_px / width_pt
            bitmap = page.render(scale=scale, may_draw_forms=False)
            image: Image.Image = bitmap.to_pil()
        finally:
            page.close()
    finally:
        document.close()
    # PDFium rounds the bitmap size from the scale; pin the width the caller asked for.
    if image.width != width_px:
        height_px = max(1, round(height_pt * scale))
        image = image.resize((width_px, height_px), Image.Resampling.LANCZOS)
    output = io.BytesIO()
    image.convert("RGB").save(output, format="PNG", optimize=True)
    return output.getvalue()
