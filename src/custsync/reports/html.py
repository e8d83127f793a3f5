"""``index.html``: every tab in one self-contained page (inline CSS and JS, no network).

The page shell is a Jinja template; the customer data is streamed between its two halves as
one JSON array per line (see ``html_data``), and each customer's identity array into a
temporary file copied in after them, so writing holds one customer at a time. The page
renders only the visible rows; sorting, searching and paging run in the browser.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from importlib import resources
from pathlib import Path
from tempfile import TemporaryFile

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from custsync.reports.html_data import FeedEncoder, to_json
from custsync.store.db import Store
from custsync.store.queries import feed_customers

HTML_NAME = "index.html"
DATA_MARKER = "<!--custsync:data-->"
TEMPLATES = resources.files("custsync.reports") / "templates"
# Data and view first, then rendering, then the panel, export and wiring (which starts it).
SCRIPT_FRAGMENTS = ("report_data.js", "report_grid.js", "report_panel.js")


def write_html(
    store: Store, out_dir: Path, *, now: datetime, title: str = "Customers — custsync"
) -> int:
    """Write ``index.html`` atomically; returns the number of customers it holds."""
    out_dir.mkdir(parents=True, exist_ok=True)
    head, tail = _shell(title, now)
    encoder = FeedEncoder()
    target = out_dir / HTML_NAME
    tmp = target.with_name(target.name + ".tmp")
    with (
        tmp.open("w", encoding="utf-8", newline="\n") as out,
        TemporaryFile("w+", encoding="utf-8", newline="\n", dir=out_dir) as later,
    ):
        out.write(head)
        out.write('<script type="application/json" id="cs-rows">[')
        separator = "\n"
        for customer in feed_customers(store):
            out.write(separator)
            out.write(encoder.encode(customer))
            later.write(separator)
            later.write(encoder.identity(customer))
            separator = ",\n"
        out.write('\n]</script>\n<script type="application/json" id="cs-identity">[')
        later.seek(0)
        shutil.copyfileobj(later, out)
        out.write('\n]</script>\n<script type="application/json" id="cs-meta">')
        out.write(to_json(encoder.meta(generated_at=now)))
        out.write("</script>\n")
        out.write(tail)
    tmp.replace(target)
    return encoder.stats.customers


def _shell(title: str, now: datetime) -> tuple[str, str]:
    env = Environment(
        loader=PackageLoader("custsync.reports", "templates"),
        autoescape=select_autoescape(["html"]),
        keep_trailing_newline=True,
    )
    script = _script()
    page = env.get_template("report.html").render(
        title=title,
        generated_at=now.strftime("%Y-%m-%d %H:%M UTC"),
        css=Markup(_asset("report.css")),  # noqa: S704 - our own file, not user input
        js=Markup(script),  # noqa: S704 - our own file, not user input
    )
    head, tail = page.split(DATA_MARKER)
    return head, tail


def _script() -> str:
    """The page's JavaScript: the fragments share one strict-mode function scope."""
    body = "\n".join(_asset(name) for name in SCRIPT_FRAGMENTS)
    if "</script" in body.lower():
        raise RuntimeError("the report scripts must not contain a closing script tag")
    return f'(() => {{\n"use strict";\n{body}}})();'


def _asset(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")
