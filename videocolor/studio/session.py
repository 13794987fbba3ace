"""One reel's studio session: what the page shows and every action it offers, as library calls.

:class:`Studio` finds the reel's shots and the keyframes worth painting when it opens, keeps the
painted references of its folder with what ``refs check`` found about each, and colours: a
keyframe from point hints, a shot as a preview, the reel as a render. The HTTP layer
(:mod:`videocolor.studio.app`) only translates requests into these calls.
"""

from __future__ import annotations

import logging
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from videocolor.colorizers.network import ColorNetwork
from videocolor.engine.clip import EngineSettings
from videocolor.engine.settings import PropagationSettings
from videocolor.errors import ReferenceImageError
from videocolor.io import StreamInfo, open_source
from videocolor.io.imageseq import IMAGE_EXTENSIONS
from videocolor.refs.canvas import canvas_image, canvas_name
from videocolor.refs.check import check_references
from videocolor.refs.reference import Reference
from videocolor.shots.detection import ShotList, detect_shots
from videocolor.shots.shot import Shot, timecode
from videocolor.studio.frames import ReelFrames
from videocolor.studio.hints import PointHint, colour_with_hints
from videocolor.studio.jobs import RenderJob, RenderRequest, Renders
from videocolor.studio.pictures import PREVIEW_LINES, encode, shrink, to_8bit
from videocolor.studio.previews import ShotPreview
from videocolor.studio.suggestions import Suggested, paint_next, suggest
from videocolor.studio.workspace import Workspace

log = logging.getLogger("videocolor")

#: The largest painted image the page may upload: a 16-bit 4K PNG is about 50 MB.
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
_THUMB_WIDTH = 240


@dataclass
class Painted:
    """A painted reference of the reel and what its check found; ``used`` is False for one that
    failed it (kept in the workspace's ``rejected/`` to be shown, never used)."""

    frame: int
    shot: int | None
    file: Path
    status: str
    findings: list[dict[str, str]]
    origin: str  # "folder", "upload" or "hints"
    used: bool
    reference: Reference | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, object]:
        return {
            "frame": self.frame,
            "shot": self.shot,
            "file": self.file.name,
            "status": self.status,
            "findings": self.findings,
            "origin": self.origin,
            "used": self.used,
        }


def _painted(reference: Reference, origin: str, used: bool) -> Painted:
    findings = [{"level": f.level, "message": f.message} for f in reference.ordered_findings()]
    return Painted(
        reference.frame, reference.shot, reference.path, reference.status, findings, origin,
        used, reference,
    )  # fmt: skip


class Studio:
    """The studio's work on one reel (see the module docstring); ``network`` is loaded when not
    given, ``python`` runs the renders."""

    def __init__(
        self,
        reel: Path,
        *,
        refs: Path | None = None,
        workspace: Path | None = None,
        fps: Fraction | None = None,
        network: ColorNetwork | None = None,
        progress: bool = False,
    ) -> None:
        self.reel, self.fps = Path(reel), fps
        with open_source(self.reel, fps) as source:
            self.info: StreamInfo = source.info
        self.workspace = Workspace.for_reel(self.reel, refs=refs, root=workspace)
        self.shots: ShotList = detect_shots(self.reel, fps=fps, progress=progress)
        self.rate = self.shots.frame_rate
        self.suggested: list[Suggested] = suggest(self.reel, self.shots, fps=fps, progress=progress)
        self.frames = ReelFrames(self.reel, self.info, self.shots.frame_count, fps)
        self.network = network or ColorNetwork()
        # Previews trade the keyframe matcher and the finest flow for a first frame within
        # seconds; renders keep the full engine.
        self.engine = EngineSettings(
            PREVIEW_LINES,
            PropagationSettings(flow_preset="fast", match_every=0),
            network=self.network,
        )
        self.painted: dict[int, Painted] = {}
        self._hint_lumas: dict[int, np.ndarray] = {}
        self._lock = threading.Lock()
        self._write_thumbnails()
        self._check_folder()
        self.previews: dict[int, ShotPreview] = {}
        self._preview_runs = 0
        # one preview at a time: a second would only halve the speed of the first
        self._preview_worker = ThreadPoolExecutor(1, thread_name_prefix="studio-preview")
        self.renders = Renders(self.workspace.renders)

    # ---------------------------------------------------------------- the reel

    def shot_of(self, frame: int) -> Shot:
        self.check_frame(frame)
        return next(shot for shot in self.shots if frame in shot)

    def check_frame(self, frame: int) -> None:
        if not 0 <= frame < self.shots.frame_count:
            raise ReferenceImageError(
                f"frame {frame} is outside the reel (0 to {self.shots.frame_count - 1})"
            )

    def _thumbnail_path(self, shot: Shot) -> Path:
        return self.workspace.thumbs / f"shot-{shot.index:04d}.jpg"

    def _write_thumbnails(self) -> None:
        """The middle frame of each shot's core, small."""
        for shot in self.shots:
            luma = self.frames.luma(shot.core[len(shot.core) // 2])
            height = max(8, round(_THUMB_WIDTH * luma.shape[0] / luma.shape[1]))
            small = cv2.resize(luma, (_THUMB_WIDTH, height), interpolation=cv2.INTER_AREA)
            self._thumbnail_path(shot).write_bytes(encode(to_8bit(np.dstack([small] * 3))))

    def overview(self) -> dict[str, object]:
        """The reel, its shots with their transitions, painted and suggested keyframes."""
        transitions = {t.cut: t.as_dict() for t in self.shots.transitions}
        shots = []
        for shot in self.shots:
            entry = shot.as_dict(self.rate)
            entry["duration_s"] = round(float(shot.length / self.rate), 3)
            entry["thumbnail"] = self.workspace.url(self._thumbnail_path(shot))
            entry["transition_before"] = transitions.get(shot.start)
            entry["transition_after"] = transitions.get(shot.end)
            entry["painted"] = [p.as_dict() for p in self._painted_in(shot)]
            entry["suggested"] = [
                {"frame": s.frame, "reason": s.reason, "timecode": timecode(s.frame, self.rate)}
                for s in self.suggested
                if s.shot == shot.index
            ]
            shots.append(entry)
        return {
            "reel": self.reel.name,
            "width": self.info.width,
            "height": self.info.height,
            "frame_rate": str(self.rate),
            "frame_count": self.shots.frame_count,
            "refs": str(self.workspace.refs),
            "workspace": str(self.workspace.root),
            "shots": shots,
        }

    def _painted_in(self, shot: Shot) -> list[Painted]:
        return sorted((p for p in self.painted.values() if p.frame in shot), key=lambda p: p.frame)

    # ---------------------------------------------------------------- keyframes

    def canvas_png(self, frame: int) -> bytes:
        """The frame as ``refs suggest`` writes it to be painted (16-bit for deep sources)."""
        self.check_frame(frame)
        canvas = canvas_image(self.frames.luma(frame), self.info.bit_depth > 8)
        ok, data = cv2.imencode(".png", canvas)
        if not ok:
            raise ValueError(f"could not encode frame {frame} as PNG")
        return data.tobytes()

    def _check_folder(self) -> None:
        """Check the painted references already in the folder, once, when the session opens."""
        try:
            report = check_references(self.reel, self.workspace.refs, shots=self.shots,
                                      fps=self.fps)  # fmt: skip
        except ReferenceImageError:  # no images yet
            return
        for reference in report.references:
            if reference.frame is not None:
                self.painted[reference.frame] = _painted(reference, "folder", reference.usable)

    def add_reference(self, data: bytes, filename: str, frame: int) -> Painted:
        """Check a painted image of ``frame`` (file bytes) against the reel; a usable one
        replaces the frame's reference in the folder, an unusable one is kept aside and shown."""
        self.check_frame(frame)
        extension = Path(filename).suffix.lower()
        if extension not in IMAGE_EXTENSIONS:
            raise ReferenceImageError(
                f"{filename}: not a reference image ({', '.join(sorted(IMAGE_EXTENSIONS))})"
            )
        if len(data) > MAX_UPLOAD_BYTES:
            raise ReferenceImageError(
                f"{filename}: {len(data) / 2**20:.0f} MB is larger than the "
                f"{MAX_UPLOAD_BYTES // 2**20} MB an upload may be"
            )
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        if image is None:
            raise ReferenceImageError(f"{filename}: not a readable image")
        return self._take(data, canvas_name(frame).removesuffix(".png") + extension, "upload")

    def _take(self, data: bytes, name: str, origin: str) -> Painted:
        """Check one image file (its bytes, its name in the folder) alone, then file it."""
        with self._lock:
            incoming = self.workspace.root / "incoming"
            shutil.rmtree(incoming, ignore_errors=True)
            incoming.mkdir()
            (incoming / name).write_bytes(data)
            report = check_references(self.reel, incoming, shots=self.shots, fps=self.fps)
            reference = report.references[0]
            frame = reference.frame
            for old in [*self.workspace.refs.glob(f"{name.split('.')[0]}.*"),
                        *self.workspace.rejected.glob(f"{name.split('.')[0]}.*")]:  # fmt: skip
                old.unlink()
            folder = self.workspace.refs if reference.usable else self.workspace.rejected
            target = folder / name
            shutil.move(incoming / name, target)
            shutil.rmtree(incoming)
            reference.path = target
            painted = _painted(reference, origin, reference.usable)
            self.painted[frame] = painted
            return painted

    def painted_file(self, frame: int) -> Path:
        painted = self.painted.get(frame)
        if painted is None or not painted.file.is_file():
            raise ReferenceImageError(f"frame {frame} has no painted image")
        return painted.file

    def hinted(self, frame: int, hints: list[PointHint]) -> bytes:
        """The frame at the preview resolution coloured by the network from point hints (JPEG)."""
        self.check_frame(frame)
        luma = self._hint_lumas.get(frame)
        if luma is None:  # each click recolours the same frame: decode it once
            luma = shrink(self.frames.luma(frame))
            self._hint_lumas = {frame: luma}
        return encode(to_8bit(colour_with_hints(self.network, luma, hints)))

    def save_hinted(self, frame: int, hints: list[PointHint]) -> Painted:
        """The frame at full resolution coloured from point hints, saved as its painted
        reference (16-bit PNG for deep sources) and checked like any other."""
        self.check_frame(frame)
        rgb = colour_with_hints(self.network, self.frames.luma(frame), hints)
        deep = self.info.bit_depth > 8
        scale, dtype = (65535.0, np.uint16) if deep else (255.0, np.uint8)
        codes = np.rint(rgb * scale).astype(dtype)
        ok, data = cv2.imencode(".png", cv2.cvtColor(codes, cv2.COLOR_RGB2BGR))
        if not ok:
            raise ValueError(f"could not encode frame {frame} as PNG")
        return self._take(data.tobytes(), canvas_name(frame), "hints")

    # ---------------------------------------------------------------- previews

    def start_preview(self, index: int) -> ShotPreview:
        """Colour shot ``index`` at the preview resolution in the background from its usable
        painted references (the network's automatic keyframe when it has none); a preview of the
        shot already under way is returned instead of a second."""
        if not 0 <= index < len(self.shots):
            raise IndexError(f"shot {index} does not exist (0 to {len(self.shots) - 1})")
        shot = self.shots[index]
        with self._lock:
            running = self.previews.get(index)
            if running is not None and running.state in ("queued", "running"):
                return running
            self._preview_runs += 1
            folder = self.workspace.previews / f"shot-{index:04d}"
            preview = ShotPreview(shot, folder, self._preview_runs)
            self.previews[index] = preview
        references = {
            p.frame: p.reference.frame_rgb(self.info.width, self.info.height)
            for p in self._painted_in(shot)
            if p.used and p.reference is not None
        }
        shot_references = sorted(references)

        def suggest_next() -> Suggested | None:
            return paint_next(self.reel, shot, shot_references, fps=self.fps)

        self._preview_worker.submit(preview.run, self.frames, references, self.engine, suggest_next)
        return preview

    def preview(self, index: int) -> dict[str, object]:
        preview = self.previews.get(index)
        if preview is None:
            raise IndexError(f"shot {index} has no preview: start one first")
        snapshot = preview.snapshot()
        base = self.workspace.url(preview.folder)
        for frame in snapshot["frames"]:
            for key in ("before", "after", "unsure"):
                frame[key] = f"{base}/{frame[key]}?run={preview.run_number}"
        return snapshot

    # ---------------------------------------------------------------- renders

    def start_render(self, request: RenderRequest) -> tuple[RenderJob, bool]:
        """Start a render of the reel with the folder's references (automatic colour when none
        is usable); the running one and False when a render is under way."""
        usable = any(p.used for p in self.painted.values())
        refs = self.workspace.refs if usable else None
        fps = None if self.fps is None else str(self.fps)
        return self.renders.start(request, self.renders.argv(request, self.reel, refs, fps))

    def close(self) -> None:
        """Stop the preview worker and any render (it can be resumed)."""
        self._preview_worker.shutdown(wait=True, cancel_futures=True)
        self.renders.stop()
