"""The hand-off timeline in each editor's interchange format, through OpenTimelineIO's adapters.

``.otio`` (OpenTimelineIO JSON), ``.xml`` (Final Cut Pro 7 XML, which Premiere Pro and DaVinci
Resolve import; ``otio-fcp-adapter``), ``.edl`` (CMX 3600; ``otio-cmx3600-adapter``) and ``.aaf``
(Avid; ``otio-aaf-adapter``). Three adapters need help to say what the timeline says: the EDL
writer starts record time at 00:00:00:00 whatever the timeline's start, so a gap as long as the
source's first timecode is put before the shots; the FCP XML writer counts a clip's in and out
points from its media's first frame but writes markers on the source clock, so markers are
rebased; the AAF writer needs an Avid MobID for each media file, made from the file's URL so
that the same file always gets the same one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import opentimelineio as otio

from videocolor.errors import OutputError


def _record_at_source_timecode(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
    """A copy whose tracks open with a gap as long as the timeline's start time."""
    copy = timeline.deepcopy()
    start = timeline.global_start_time
    if start is not None and start.value > 0:
        for track in copy.tracks:
            track.insert(0, otio.schema.Gap(duration=start))
    return copy


def _markers_from_media_start(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
    """A copy whose clip markers count frames from their media's first frame, as FCP 7 XML
    counts a clip's in and out points (the adapter converts those, not markers)."""
    copy = timeline.deepcopy()
    for clip in copy.find_clips():
        media_start = clip.media_reference.available_range.start_time
        for marker in clip.markers:
            marked = marker.marked_range
            marker.marked_range = otio.opentime.TimeRange(
                marked.start_time - media_start, marked.duration
            )
    return copy


def _mob_id(url: str) -> str:
    """A SMPTE UMID (the form of Avid's MobIDs) whose material number comes from ``url``."""
    material = uuid.uuid5(uuid.NAMESPACE_URL, url).hex
    groups = ".".join(material[i : i + 8] for i in range(0, 32, 8))
    return f"urn:smpte:umid:060a2b34.01010105.01010f20.13000000.{groups}"


def _with_mob_ids(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
    copy = timeline.deepcopy()
    for clip in copy.find_clips():
        url = clip.media_reference.target_url
        clip.media_reference.metadata["AAF"] = {"MobID": _mob_id(url)}
    return copy


@dataclass(frozen=True)
class Format:
    """One interchange file: its suffix, OTIO adapter, and how the timeline is prepared."""

    suffix: str
    adapter: str
    prepare: Callable[[otio.schema.Timeline], otio.schema.Timeline]
    description: str


FORMATS = (
    Format(".otio", "otio_json", lambda t: t, "OpenTimelineIO"),
    Format(".xml", "fcp_xml", _markers_from_media_start, "FCP 7 XML (Premiere Pro, Resolve)"),
    Format(".edl", "cmx_3600", _record_at_source_timecode, "CMX 3600 EDL"),
    Format(".aaf", "AAF", _with_mob_ids, "AAF (Avid Media Composer)"),
)


def write_interchange(timeline: otio.schema.Timeline, folder: Path, name: str) -> list[Path]:
    """Every :data:`FORMATS` file of ``timeline`` as ``folder/name.SUFFIX``."""
    written = []
    for spec in FORMATS:
        path = folder / f"{name}{spec.suffix}"
        try:
            otio.adapters.write_to_file(
                spec.prepare(timeline), str(path), adapter_name=spec.adapter
            )
        except (otio.exceptions.OTIOError, ValueError) as exc:
            raise OutputError(
                f"{path.name}: could not write the {spec.description} ({exc})"
            ) from None
        written.append(path)
    return written
