"""Benchmarks: how good and how fast videocolor is, measured the way the literature measures it.

``videocolor bench video`` colours benchmark clips (DAVIS folders of frames, or video files) from
ground-truth references and scores them against the originals; ``bench images`` scores automatic
and hint-guided colourisation of photos; ``bench speed`` times each stage of the product at 480p
and 1080p. Every score is computed on the picture the product would deliver (its own luma codes,
its own recombination, 8-bit RGB), with the metrics of :mod:`videocolor.bench.metrics`, next to
simple baselines run in the same process so that a number always has something to be compared with.
By default ``bench video`` runs the product as a user does, through a grey file and its CLI
(:mod:`~videocolor.bench.endtoend`); ``--through memory`` calls the engine in-process.

Modules: :mod:`~videocolor.bench.data` (loading), :mod:`~videocolor.bench.render` (input and
output pictures), :mod:`~videocolor.bench.methods` (registry) with
:mod:`~videocolor.bench.baselines`, :mod:`~videocolor.bench.video`,
:mod:`~videocolor.bench.images`, :mod:`~videocolor.bench.speed` (the three benchmarks),
:mod:`~videocolor.bench.endtoend` (files and the CLI), and
:mod:`~videocolor.bench.report` / :mod:`~videocolor.bench.figures` (Markdown, contact sheets,
plots).
"""
