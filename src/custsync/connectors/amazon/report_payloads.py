"""Pydantic models of the Reports API 2021-06-30 (no ``payload`` wrapper); unknown keys ignored."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="ignore", frozen=True, alias_generator=to_camel, populate_by_name=True
    )


class CreateReportResponse(_Model):
    report_id: str


class ReportPayload(_Model):
    """``getReport``: where a report job stands."""

    report_id: str
    report_type: str | None = None
    processing_status: str
    marketplace_ids: list[str] = Field(default_factory=list)
    data_start_time: str | None = None
    data_end_time: str | None = None
    report_document_id: str | None = None


class GetReportsResponse(_Model):
    reports: list[ReportPayload] = Field(default_factory=list)
    next_token: str | None = None


class ReportDocumentPayload(_Model):
    """``getReportDocument``: a presigned URL (valid 5 minutes) and its compression."""

    report_document_id: str
    url: str
    compression_algorithm: str | None = None
