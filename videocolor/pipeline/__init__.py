"""The streaming driver (``run``: source, stage, sink) and the colourisation stage
(``colorize``: a shot buffered, coloured by the engine, written in order)."""
