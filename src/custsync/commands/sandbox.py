"""``demo`` and ``sandbox serve|truth``."""

from __future__ import annotations

import argparse
import threading
from pathlib import Path
from typing import Any

from custsync import console
from custsync.commands.common import add_command, safe_url, settings_from
from custsync.wording import many

DEFAULT_SEED = 7
DEFAULT_ORDERS = 3000
# The profiles of ``custsync.sandbox.faults.PROFILES`` (listed here so that ``--help`` does not
# import the sandbox; a sandbox test keeps the two lists equal).
FAULT_PROFILES = (
    "none",
    "rate-limits",
    "server-errors",
    "network",
    "bad-records",
    "paging",
    "auth",
    "reports",
    "chaos",
)


def register(sub: Any) -> None:
    p = add_command(
        sub, "demo", "sync a built-in sandbox marketplace and write its reports", cmd_demo
    )
    _world_options(p)
    p.add_argument(
        "--out",
        type=Path,
        default=Path("demo-output"),
        help="folder for the demo database and reports (default demo-output)",
    )
    sandbox = sub.add_parser("sandbox", help="the built-in marketplace sandbox").add_subparsers(
        dest="sandbox_command", required=True, metavar="ACTION"
    )
    p = add_command(
        sandbox,
        "serve",
        "serve a sandbox world on 127.0.0.1 until interrupted",
        cmd_sandbox_serve,
        settings=False,
    )
    _world_options(p)
    p.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    p.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="run quotas this many times faster (1 = published quotas)",
    )
    p.add_argument(
        "--accounts-out", type=Path, help="write an accounts file pointing at this sandbox"
    )
    p.add_argument(
        "--include",
        default="amazon",
        help="marketplaces in the accounts file, comma-separated: amazon (default), shopify, "
        "ebay (custsync syncs Amazon only so far)",
    )
    p.add_argument(
        "--faults",
        default="none",
        choices=FAULT_PROFILES,
        metavar="PROFILE",
        help="inject seeded faults: " + ", ".join(FAULT_PROFILES) + " (default none)",
    )
    p = add_command(
        sandbox,
        "truth",
        "write the ground truth of a sandbox world",
        cmd_sandbox_truth,
        settings=False,
    )
    _world_options(p)
    p.add_argument("--out", type=Path, required=True, help="output folder")


def _world_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"world seed (default {DEFAULT_SEED})"
    )
    parser.add_argument(
        "--orders",
        type=int,
        default=DEFAULT_ORDERS,
        help=f"orders in the world (default {DEFAULT_ORDERS})",
    )


def cmd_demo(args: argparse.Namespace) -> int:
    from custsync.demo import run_demo

    out_dir: Path = args.out
    settings = settings_from(args)
    if "database_url" not in settings.model_fields_set:
        out_dir.mkdir(parents=True, exist_ok=True)
        settings = settings.model_copy(
            update={"database_url": f"sqlite:///{out_dir / 'custsync-demo.db'}"}
        )
    console.out.print(
        f"custsync demo: sandbox world seed {args.seed}, {many(args.orders, 'order')}, "
        f"database {safe_url(settings.database_url)}"
    )
    result = run_demo(settings, seed=args.seed, orders=args.orders, out_dir=out_dir)
    console.out.print(
        f"synced {many(result.accounts, 'account')}: {many(result.orders, 'order')}, "
        f"{many(result.customers, 'customer')} in {result.seconds:.1f} s "
        f"({many(result.records, 'record')} fetched)"
    )
    for name, rows in result.files.items():
        console.out.print(f"  wrote {out_dir / name} ({many(rows, 'row')})")
    for failure in result.failures:
        console.err.print(f"  FAILED {failure}")
    return 1 if result.failures else 0


def cmd_sandbox_serve(args: argparse.Namespace) -> int:
    from custsync.sandbox.server import start_sandbox, write_accounts_file
    from custsync.sandbox.world import World

    include = tuple(part.strip() for part in args.include.split(",") if part.strip())
    unknown = sorted(set(include) - {"amazon", "shopify", "ebay"})
    if unknown:
        console.err.print(f"--include: unknown marketplace {unknown[0]} (amazon, shopify, ebay)")
        return 2
    world = World(seed=args.seed, order_count=args.orders)
    with start_sandbox(
        world, port=args.port, time_scale=args.time_scale, faults=args.faults
    ) as sandbox:
        if args.accounts_out:
            write_accounts_file(sandbox, args.accounts_out, include=include)
            console.out.print(f"accounts file written: {args.accounts_out}")
        console.out.print(
            f"sandbox serving on {sandbox.url} (faults: {args.faults}; Ctrl-C to stop)"
        )
        threading.Event().wait()
    return 0


def cmd_sandbox_truth(args: argparse.Namespace) -> int:
    from custsync.sandbox.truth import write_truth
    from custsync.sandbox.world import World

    world = World(seed=args.seed, order_count=args.orders)
    write_truth(world, args.out)
    for name in ("people.csv", "orders.csv", "metrics.csv"):
        console.out.print(f"wrote {args.out / name}")
    return 0
