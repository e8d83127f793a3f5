"""CLI command groups. Each module registers its sub-commands with ``register(subparsers)``."""
