"""videocolor: colour black-and-white film from painted keyframes."""

__version__ = "0.1.0"
