"""Shot-boundary detection for old film, one job per module.

``signature`` reduces each frame to a small, grain-free thumbnail and a tone curve;
``measures`` compares two of them in ways that flicker, grain and gate weave cannot move;
``series`` streams a video through the comparisons and keeps a few numbers per frame;
``decide`` turns those numbers into hard cuts, fades and dissolves, with ``settings`` holding
every threshold; ``editorial`` writes the result for editors (OpenTimelineIO, CMX 3600 EDL).
The public entry point is :func:`videocolor.shots.detect_shots`.
"""
