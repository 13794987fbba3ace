"""The importable side of each host videocolor runs inside: ffmpeg filter chains
(``ffmpeg_chain``), raw frames on a pipe (``raw_pipe``) and VapourSynth (``vapoursynth``, which
alone imports the ``vapoursynth`` package), whose frames are asked for one at a time in any
order (``random_access``)."""
