"""The export log: who exported which tab, with which filters, how many rows, when."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select

from custsync.store import schema
from custsync.store.db import Store


@dataclass(frozen=True, slots=True)
class ExportEntry:
    export_id: int
    exported_at: datetime
    exported_by: str
    tab: str
    filters: dict[str, str]
    columns: tuple[str, ...]
    row_count: int
    file: str


def record_export(
    store: Store,
    *,
    exported_by: str,
    tab: str,
    filters: Mapping[str, str],
    columns: Sequence[str],
    row_count: int,
    file: str,
    now: datetime,
) -> int:
    """Log one export; returns its id."""
    with store.begin() as conn:
        return int(
            conn.execute(
                insert(schema.export_log)
                .values(
                    exported_at=now,
                    exported_by=exported_by,
                    tab=tab,
                    filters=json.dumps(dict(filters), sort_keys=True, ensure_ascii=False),
                    columns=",".join(columns),
                    row_count=row_count,
                    file=file,
                )
                .returning(schema.export_log.c.export_id)
            ).scalar_one()
        )


def recent_exports(store: Store, *, limit: int = 50) -> list[ExportEntry]:
    """Newest first."""
    log = schema.export_log
    query = select(log).order_by(log.c.exported_at.desc(), log.c.export_id.desc()).limit(limit)
    with store.read() as conn:
        return [
            ExportEntry(
                export_id=r.export_id,
                exported_at=r.exported_at,
                exported_by=r.exported_by,
                tab=r.tab,
                filters=json.loads(r.filters),
                columns=tuple(r.columns.split(",")) if r.columns else (),
                row_count=r.row_count,
                file=r.file,
            )
            for r in conn.execute(query)
        ]
