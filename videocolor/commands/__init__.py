"""One module per subcommand; each exposes ``register(subparsers)`` and sets ``handler``."""

from videocolor.commands import demo, grayscale, probe

COMMAND_MODULES = (probe, grayscale, demo)
