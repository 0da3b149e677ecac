"""The PNG preview of a report's first page."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from PIL import Image

from services.renderer.report import ReportInput, render_report, render_thumbnail

ReportFactory = Callable[..., ReportInput]


def test_thumbnail_is_a_png_of_the_requested_width_with_a4_proportions(
    make_report: ReportFactory,
) -> None:
    png = render_thumbnail(render_report(make_report()), width_px=300)

    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.width == 300
    assert image.height == pytest.approx(300 * 297 / 210, abs=2)


def test_thumbnail_defaults_to_400_pixels_wide(make_report: ReportFactory) -> None:
    image = Image.open(io.BytesIO(render_thumbnail(render_report(make_report()))))

    assert image.width == 400


def test_thumbnail_shows_the_cover_not_a_blank_page(make_report: ReportFactory) -> None:
    image = Image.open(io.BytesIO(render_thumbnail(render_report(make_report())))).convert("L")

    dark_pixels = sum(image.histogram()[:100])
    assert dark_pixels > 0


@pytest.mark.parametrize("width_px", [0, -5, 100_000])
def test_thumbnail_rejects_unreasonable_widths(make_report: ReportFactory, width_px: int) -> None:
    with pytest.raises(ValueError, match="width_px"):
        render_thumbnail(render_report(make_report()), width_px=width_px)


def test_thumbnail_of_bytes_that_are_not_a_pdf_fails() -> None:
    with pytest.raises(ValueError, match="not a readable PDF"):
        render_thumbnail(b"definitely not a pdf")
