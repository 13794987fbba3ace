"""Shot-boundary detection for old film, one job per module.

``signature`` reduces each frame to a small, grain-free thumbnail and a tone curve;
``measures`` compares two of them in ways that flicker, grain and gate weave cannot move;
``series`` streams a video through the comparisons and keeps a few numbers per frame;
``decide`` turns those numbers into hard cuts, fades and dissolves, with ``settings`` holding
every threshold. (Writing the result for editors is :mod:`videocolor.shots.editorial`.)
The entry point is :func:`videocolor.shots.detection.detect_shots`.
"""
