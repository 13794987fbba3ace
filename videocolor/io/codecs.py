"""The output codecs videocolor writes, and what each needs from the frames.

One table, so the CLI's ``--codec`` choices, the sink and the docs cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from videocolor.color import Matrix
from videocolor.errors import OutputError, UnsupportedFormatError


@dataclass(frozen=True)
class CodecSpec:
    """How one ``--codec`` choice is encoded."""

    name: str
    encoder: str  # FFmpeg encoder, or "image" for image sequences written with OpenCV
    chroma_subsampling: tuple[int, int]  # (horizontal, vertical) factor
    extensions: tuple[str, ...]
    options: dict[str, str] = field(default_factory=dict)
    fixed_depth: int | None = None  # bit depth the codec always writes; None: follow the source
    full_range: bool | None = None  # range the codec always writes; None: follow the source
    matrix: Matrix | None = None  # Y'CbCr matrix its decoders always assume; None: the source's
    deep_options: dict[str, str] | None = None  # replaces ``options`` for sources over 8 bits
    max_depth: int = 16  # deeper sources are written at this depth
    description: str = ""

    @property
    def is_image_sequence(self) -> bool:
        return self.encoder == "image"

    def pix_fmt(self, source_depth: int) -> str:
        depth = self.output_depth(source_depth)
        layout = {(2, 2): "yuv420p", (2, 1): "yuv422p", (1, 1): "yuv444p"}[self.chroma_subsampling]
        return layout if depth == 8 else f"{layout}{depth}le"

    def output_full_range(self, source_full_range: bool) -> bool:
        if self.is_image_sequence:
            return True
        return source_full_range if self.full_range is None else self.full_range

    def output_depth(self, source_depth: int) -> int:
        if self.fixed_depth:
            return self.fixed_depth
        if self.is_image_sequence:
            return 8 if source_depth <= 8 else 16
        return min(self.max_depth, source_depth if source_depth in (8, 10, 12, 16) else 16)

    def encoder_options(self, source_depth: int) -> dict[str, str]:
        """The encoder's options for a source of this depth."""
        deep = self.deep_options is not None and self.output_depth(source_depth) > 8
        return dict(self.deep_options if deep else self.options)


CODECS: dict[str, CodecSpec] = {
    spec.name: spec
    for spec in (
        CodecSpec(
            "h264",
            "libx264",
            (2, 2),
            (".mp4", ".mov", ".mkv"),
            # The quality of preset fast at CRF 16 for half the encoder's CPU time.
            {"crf": "14.5", "preset": "veryfast"},
            fixed_depth=8,
            description="H.264 4:2:0 8-bit, CRF 14.5: delivery and previews",
        ),
        CodecSpec(
            "prores",
            "prores_ks",
            (2, 1),
            (".mov", ".mkv"),
            # The finest quantiser: the encoder's default lets luma stray up to 7 codes (8-bit
            # scale) on fine grain, which a tone-preserving colouriser must not add.
            {"profile": "3", "vendor": "apl0", "bits_per_mb": "8192"},
            fixed_depth=10,
            # ProRes is video range by its specification, and editors read it so whatever the tag.
            full_range=False,
            description="ProRes 422 HQ 10-bit: editing",
        ),
        CodecSpec(
            "dnxhr",
            "dnxhd",
            (2, 1),
            (".mov", ".mxf", ".mkv"),
            {"profile": "dnxhr_hq"},
            # DNxHR, like ProRes, is video range by its specification; its decoders read every
            # frame as Rec. 709 whatever the container says.
            full_range=False,
            matrix="bt709",
            deep_options={"profile": "dnxhr_hqx"},
            max_depth=10,
            description="DNxHR HQ 8-bit, HQX 10-bit for deeper sources: editing (Avid)",
        ),
        CodecSpec(
            "ffv1",
            "ffv1",
            (1, 1),
            (".mkv", ".avi", ".nut"),
            {"level": "3", "g": "1", "slicecrc": "1"},
            description="FFV1 4:4:4, source depth, lossless: archive masters",
        ),
        CodecSpec("png", "image", (1, 1), (".png", ""), description="PNG sequence, RGB 8/16-bit"),
        CodecSpec(
            "tiff",
            "image",
            (1, 1),
            (".tif", ".tiff", ""),
            description="TIFF sequence, RGB 8/16-bit",
        ),
    )
}


def check_output(codec: str, path: Path, width: int, height: int) -> CodecSpec:
    """The codec's spec, after refusing a container or frame size it cannot take."""
    spec = CODECS[codec]
    if spec.is_image_sequence:
        return spec
    if path.suffix.lower() not in spec.extensions:
        raise OutputError(
            f"{path}: --codec {codec} is written to {'/'.join(spec.extensions)} files, "
            f"not {path.suffix or 'a name without extension'}"
        )
    sub_w, sub_h = spec.chroma_subsampling
    if width % sub_w or height % sub_h:
        raise UnsupportedFormatError(
            f"{width}x{height} cannot be stored as {spec.pix_fmt(8)} {codec} (needs "
            f"{'even width and height' if sub_h == 2 else 'an even width'}); use --codec ffv1, "
            "png or tiff, which take any size"
        )
    return spec
