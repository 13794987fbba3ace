"""One module per subcommand; each exposes ``register(subparsers)`` and sets ``handler``."""

from videocolor.commands import (
    bench,
    colorize,
    demo,
    grayscale,
    handoff,
    pipe,
    probe,
    refs,
    render,
    shots,
    studio,
)

COMMAND_MODULES = (
    probe,
    grayscale,
    shots,
    refs,
    colorize,
    render,
    pipe,
    handoff,
    demo,
    bench,
    studio,
)
