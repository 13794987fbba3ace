"""The importable side of each host videocolor runs inside: ffmpeg filter chains
(``ffmpeg_chain``)."""
