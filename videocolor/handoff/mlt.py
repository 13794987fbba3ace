"""The hand-off timeline as MLT XML, the project format of MLT's ``melt``, Shotcut and Kdenlive.

Written by the project rather than by ``otio-mlt-adapter``, whose producers take OTIO's source
times as file frame numbers (a clip at 01:00:00:00 would ask for frame 86400 of its file) and
name media by URL, which MLT's avformat producer does not open. Media are named relative to the
XML file, which MLT resolves against the file's own folder, so the hand-off folder can move.
MLT counts frames from the start of each file and its timeline from 0: playing it shows the
reel's frames in order. Markers are left to the other formats: MLT XML has no standard for them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from videocolor.handoff.media import MediaFile
from videocolor.handoff.timeline import HandOff
from videocolor.io.frames import StreamInfo

_COLORSPACES = {"bt601": "601", "bt709": "709", "bt2020": "2020"}


def _profile(info: StreamInfo, matrix: str) -> dict[str, str]:
    rate = info.frame_rate
    display = info.sar * info.width / info.height
    return {
        "description": f"{info.width}x{info.height} {float(rate):g} fps",
        "width": str(info.width),
        "height": str(info.height),
        "progressive": "1",
        "sample_aspect_num": str(info.sar.numerator),
        "sample_aspect_den": str(info.sar.denominator),
        "display_aspect_num": str(display.numerator),
        "display_aspect_den": str(display.denominator),
        "frame_rate_num": str(rate.numerator),
        "frame_rate_den": str(rate.denominator),
        "colorspace": _COLORSPACES[matrix],
    }


def _properties(element: ET.Element, **properties: str) -> None:
    for name, value in properties.items():
        ET.SubElement(element, "property", name=name).text = value


def _producer(root: ET.Element, media: MediaFile, key: str) -> None:
    producer = ET.SubElement(root, "producer", {"id": key, "in": "0", "out": str(media.frames - 1)})
    _properties(
        producer, length=str(media.frames), resource=media.path.name, mlt_service="avformat"
    )


def mlt_document(handoff: HandOff, info: StreamInfo, matrix: str) -> ET.ElementTree:
    """The MLT XML of the hand-off at ``info``'s size and rate, in the media's Y'CbCr
    ``matrix`` (so that MLT converts nothing)."""
    root = ET.Element("mlt", LC_NUMERIC="C", title=handoff.name, producer="main")
    ET.SubElement(root, "profile", _profile(info, matrix))
    keys = {media.path: f"media{index}" for index, media in enumerate(handoff.video)}
    for media in handoff.video:
        _producer(root, media, keys[media.path])
    # Whole-reel media carries its own sound; per-shot media takes it from the reel's WAV.
    separate_audio = handoff.audio is not None and handoff.audio.path not in keys
    if separate_audio:
        _producer(root, handoff.audio, "audio")
    video = ET.SubElement(root, "playlist", id="V1")
    for shot in handoff.shots:
        media = handoff.media_for(shot)
        first, last = shot.start - media.first, shot.end - 1 - media.first
        entry = {"producer": keys[media.path], "in": str(first), "out": str(last)}
        ET.SubElement(video, "entry", entry)
    last_frame = str(handoff.shots[-1].end - 1)
    if separate_audio:
        audio = ET.SubElement(root, "playlist", id="A1")
        ET.SubElement(audio, "entry", {"producer": "audio", "in": "0", "out": last_frame})
    tractor = ET.SubElement(root, "tractor", {"id": "main", "in": "0", "out": last_frame})
    multitrack = ET.SubElement(tractor, "multitrack")
    ET.SubElement(multitrack, "track", producer="V1")
    if separate_audio:
        ET.SubElement(multitrack, "track", producer="A1", hide="video")
        # Without a mix transition a tractor plays the sound of one track only.
        mix = ET.SubElement(tractor, "transition", id="mix")
        _properties(mix, mlt_service="mix", a_track="0", b_track="1", always_active="1", sum="1")
    ET.indent(root)
    return ET.ElementTree(root)


def write_mlt(handoff: HandOff, info: StreamInfo, matrix: str, path: Path) -> Path:
    """Write :func:`mlt_document` to ``path`` (in the folder that holds the media)."""
    mlt_document(handoff, info, matrix).write(path, encoding="utf-8", xml_declaration=True)
    return path
