"""``customers search|show|note`` and ``watchlist add|remove|list``.

``customers`` is one command shared by several modules: its actions are added through
``customers_subparsers(sub)``, never by calling ``sub.add_parser("customers")`` again.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any
from weakref import WeakKeyDictionary

from custsync import app, console
from custsync.commands.common import add_command, settings_from
from custsync.errors import UsageError
from custsync.reports.cells import money_cell
from custsync.reports.detail import detail_json, detail_lines
from custsync.store.annotations import (
    add_note,
    delete_note,
    edit_note,
    list_notes,
    unwatch,
    watch,
    watchlist,
)
from custsync.store.db import Store
from custsync.store.queries import (
    CustomerFilter,
    PageWindow,
    Tab,
    count_filtered,
    customer_detail,
    filtered_rows,
)
from custsync.wording import many

_CUSTOMER_ACTIONS: WeakKeyDictionary[Any, Any] = WeakKeyDictionary()


def customers_subparsers(sub: Any) -> Any:
    """The action group of ``custsync customers``: created on the first call for ``sub`` (the
    top-level sub-parsers), the same object on every later call. Any module adds actions to it::

        from custsync.commands.common import add_command
        from custsync.commands.customers_view import customers_subparsers

        def register(sub: Any) -> None:
            actions = customers_subparsers(sub)
            p = add_command(actions, "merge", "merge two customers", cmd_merge)

    Registration order in ``COMMAND_GROUPS`` does not matter.
    """
    actions = _CUSTOMER_ACTIONS.get(sub)
    if actions is None:
        parser = sub.add_parser(
            "customers",
            help="customers: search, show, notes (and identity merge/split)",
            description="Look up customers, keep notes on them, fix their identity.",
        )
        actions = parser.add_subparsers(dest="customers_command", required=True, metavar="ACTION")
        _CUSTOMER_ACTIONS[sub] = actions
    return actions


def register(sub: Any) -> None:
    actions = customers_subparsers(sub)
    p = add_command(
        actions, "search", "find customers by name, email, phone or company", cmd_search
    )
    p.add_argument("text", help="part of a name, email, phone number, company or customer id")
    p.add_argument("--limit", type=int, default=20, help="show at most this many (default 20)")
    p = add_command(actions, "show", "everything about one customer", cmd_show)
    p.add_argument("customer_id", metavar="ID")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--why", action="store_true", help="also the identity links that joined it")
    _register_notes(actions)
    _register_watchlist(sub)


def _register_notes(actions: Any) -> None:
    notes = actions.add_parser("note", help="timestamped notes on a customer").add_subparsers(
        dest="note_command", required=True, metavar="ACTION"
    )
    p = add_command(notes, "add", "add a note to a customer", cmd_note_add)
    p.add_argument("customer_id", metavar="ID")
    p.add_argument("text")
    p = add_command(notes, "edit", "replace the text of a note", cmd_note_edit)
    p.add_argument("note_id", metavar="NOTE_ID", type=int)
    p.add_argument("text")
    p = add_command(notes, "delete", "delete a note", cmd_note_delete)
    p.add_argument("note_id", metavar="NOTE_ID", type=int)
    p = add_command(notes, "list", "a customer's notes, newest first", cmd_note_list)
    p.add_argument("customer_id", metavar="ID")


def _register_watchlist(sub: Any) -> None:
    actions = sub.add_parser("watchlist", help="customers to track closely").add_subparsers(
        dest="watchlist_command", required=True, metavar="ACTION"
    )
    p = add_command(actions, "add", "put a customer on the watchlist", cmd_watch_add)
    p.add_argument("customer_id", metavar="ID")
    p.add_argument("--reason", help="why (shown in the reports)")
    p = add_command(actions, "remove", "take a customer off the watchlist", cmd_watch_remove)
    p.add_argument("customer_id", metavar="ID")
    p = add_command(actions, "list", "the watchlist, newest first", cmd_watch_list)
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _store(args: argparse.Namespace) -> Store:
    return app.open_upgraded_store(settings_from(args))


def _say(text: str) -> None:
    console.out.print(text, markup=False)


def cmd_search(args: argparse.Namespace) -> int:
    if not args.text.strip():
        raise UsageError("customers search: give some text to look for")
    if args.limit < 1:
        raise UsageError(f"--limit: expected ≥ 1, got {args.limit}")
    store = _store(args)
    where = CustomerFilter(search=args.text)
    total = count_filtered(store, Tab.ALL, where)
    for row in filtered_rows(store, Tab.ALL, where, page=PageWindow(1, args.limit)):
        last = row.last_order_at.strftime("%Y-%m-%d") if row.last_order_at else "-"
        _say(
            f"{row.customer_id}  {row.name or '(no name)'}  {row.email or '-'}  "
            f"{row.phone or '-'}  {many(row.orders, 'order')}  {money_cell(row.amount_spent)} "
            f"{row.currency}  last {last}"
        )
    shown = min(total, args.limit)
    matched = f"{many(total, 'customer')} match{'es' if total == 1 else ''}"
    _say(matched + (f" (first {shown} shown)" if total > shown else ""))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    detail = customer_detail(_store(args), args.customer_id)
    if args.json:
        text = json.dumps(detail_json(detail, why=args.why), ensure_ascii=False, indent=2)
        console.out.print_json(text)
        return 0
    for line in detail_lines(detail, why=args.why):
        _say(line)
    return 0


def _note_text(text: str) -> str:
    if not text.strip():
        raise UsageError("note: the text is empty")
    return text.strip()


def cmd_note_add(args: argparse.Namespace) -> int:
    note = add_note(_store(args), args.customer_id, _note_text(args.text), now=datetime.now(UTC))
    _say(f"note #{note.note_id} added to {note.customer_id}")
    return 0


def cmd_note_edit(args: argparse.Namespace) -> int:
    note = edit_note(_store(args), args.note_id, _note_text(args.text), now=datetime.now(UTC))
    _say(f"note #{note.note_id} of {note.customer_id} updated")
    return 0


def cmd_note_delete(args: argparse.Namespace) -> int:
    delete_note(_store(args), args.note_id)
    _say(f"note #{args.note_id} deleted")
    return 0


def cmd_note_list(args: argparse.Namespace) -> int:
    notes = list_notes(_store(args), args.customer_id)
    if not notes:
        _say(f"no notes on {args.customer_id}")
    for note in notes:
        edited = (
            f" (edited {note.updated_at:%Y-%m-%d %H:%MZ})"
            if note.updated_at > note.created_at
            else ""
        )
        _say(f"#{note.note_id} {note.created_at:%Y-%m-%d %H:%MZ}{edited}  {note.body}")
    return 0


def cmd_watch_add(args: argparse.Namespace) -> int:
    target = watch(_store(args), args.customer_id, args.reason, now=datetime.now(UTC))
    _say(f"{target} is on the watchlist" + (f": {args.reason}" if args.reason else ""))
    return 0


def cmd_watch_remove(args: argparse.Namespace) -> int:
    removed = unwatch(_store(args), args.customer_id)
    _say(f"{args.customer_id} " + ("taken off the watchlist" if removed else "was not on it"))
    return 0


def cmd_watch_list(args: argparse.Namespace) -> int:
    entries = watchlist(_store(args))
    if args.json:
        rows = [
            {
                "customer_id": e.customer_id,
                "name": e.name,
                "reason": e.reason,
                "added_at": e.added_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            for e in entries
        ]
        console.out.print_json(json.dumps(rows, ensure_ascii=False))
        return 0
    if not entries:
        _say("the watchlist is empty")
    for e in entries:
        reason = f"  {e.reason}" if e.reason else ""
        _say(f"{e.customer_id}  {e.name or '(no name)'}  since {e.added_at:%Y-%m-%d}{reason}")
    return 0
