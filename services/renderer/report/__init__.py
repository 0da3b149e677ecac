"""The renderer's PDF report engine: pure functions from report data to PDF and PNG bytes."""

from services.kernel.action_items import ActionItem
from services.renderer.report.model import (
    SUPPORTED_LANGUAGES,
    ModelsUsed,
    ReportInput,
    ReportLanguage,
    Topic,
    TranscriptSegment,
    report_language_for,
)
from services.renderer.report.render import render_report
from services.renderer.report.thumbnail import render_thumbnail

__all__ = [
    "SUPPORTED_LANGUAGES",
    "ActionItem",
    "ModelsUsed",
    "ReportInput",
    "ReportLanguage",
    "Topic",
    "TranscriptSegment",
    "render_report",
    "render_thumbnail",
    "report_language_for",
]
