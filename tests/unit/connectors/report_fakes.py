"""A scripted Reports API for respx: report jobs with status scripts and gzip documents."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import respx

from custsync.connectors.amazon.reports_api import DOCUMENTS_PATH, REPORTS_PATH
from tests.unit.connectors.connector_fakes import SP_API

Content = Callable[[dict[str, object]], str]
S3 = "https://s3.test"


@dataclass
class FakeReport:
    report_id: str
    spec: dict[str, object]
    statuses: list[str]
    polls: int = 0
    failure: str | None = None


@dataclass
class FakeReports:
    """``content(spec)`` gives a report's TSV; ``script(spec)`` its statuses, one per poll."""

    content: Content
    script: Callable[[dict[str, object]], list[str]] = lambda spec: ["IN_QUEUE", "DONE"]
    reports: dict[str, FakeReport] = field(default_factory=dict)
    created: list[dict[str, object]] = field(default_factory=list)
    expired_once: set[str] = field(default_factory=set)
    failures: dict[str, str] = field(default_factory=dict)  # report type → failure text

    def install(self, router: respx.MockRouter) -> None:
        router.post(f"{SP_API}{REPORTS_PATH}").mock(side_effect=self._create)
        router.get(url__regex=rf"{SP_API}{REPORTS_PATH}/[^/]+$").mock(side_effect=self._get)
        router.get(url__regex=rf"{SP_API}{DOCUMENTS_PATH}/[^/]+$").mock(side_effect=self._doc)
        router.get(url__startswith=S3).mock(side_effect=self._download)

    def _create(self, request: httpx.Request) -> httpx.Response:
        spec = json.loads(request.content)
        self.created.append(spec)
        report_id = f"R{len(self.created)}"
        self.reports[report_id] = FakeReport(report_id, spec, list(self.script(spec)))
        return httpx.Response(202, json={"reportId": report_id})

    def _get(self, request: httpx.Request) -> httpx.Response:
        report = self.reports[request.url.path.rsplit("/", 1)[1]]
        index = min(report.polls, len(report.statuses) - 1)
        status = report.statuses[index]
        report.polls += 1
        body: dict[str, object] = {
            "reportId": report.report_id,
            "reportType": report.spec["reportType"],
            "processingStatus": status,
            "createdTime": "2026-01-01T00:00:00Z",
        }
        failure = self.failures.get(str(report.spec["reportType"]))
        if status == "DONE" or (status == "FATAL" and failure is not None):
            body["reportDocumentId"] = f"D-{report.report_id}"
        return httpx.Response(200, json=body)

    def _doc(self, request: httpx.Request) -> httpx.Response:
        doc_id = request.url.path.rsplit("/", 1)[1]
        return httpx.Response(
            200,
            json={
                "reportDocumentId": doc_id,
                "url": f"{S3}/{doc_id}",
                "compressionAlgorithm": "GZIP",
            },
        )

    def _download(self, request: httpx.Request) -> httpx.Response:
        doc_id = request.url.path.strip("/")
        if doc_id in self.expired_once:
            self.expired_once.discard(doc_id)
            return httpx.Response(403, content=b"<Error><Code>AccessDenied</Code></Error>")
        report = self.reports[doc_id.removeprefix("D-")]
        failure = self.failures.get(str(report.spec["reportType"]))
        text = failure if report.statuses[-1] == "FATAL" and failure else self.content(report.spec)
        return httpx.Response(200, content=gzip.compress(text.encode("utf-8")))

    def types_created(self) -> list[str]:
        return [str(spec["reportType"]) for spec in self.created]
