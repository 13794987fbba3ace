"""The editors' hand-off: the coloured reel as editing media (``media``) stamped with the source's
timecode (``clock``), and timelines that place it there (``timeline``), written for each editor
(``interchange`` through OpenTimelineIO's adapters, ``mlt`` for MLT's melt, Kdenlive and
Shotcut)."""
