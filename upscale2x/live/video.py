"""`upscale2x see --video`: a video file (PyAV / FFmpeg) or a folder of frames through a `see` model.

Each frame goes through :class:`~upscale2x.live.loop.SeeLoop` at its own size, tiled exactly as
`upscale2x render --chain MODEL` does; the output keeps the input's frame rate, and its audio is copied packet by
packet. The file is written under a temporary name beside the target and renamed only when complete, so Ctrl-C or
SIGTERM leaves nothing at the output name (and no temporary file).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import ImageReadError, ImageWriteError, RenderError
from ..io.atomic import atomic_folder, atomic_path
from .loop import SeeLoop

Progress = Callable[[int, int], None]
# extension -> (container format, default codec)
CONTAINERS = {
    ".mp4": ("mp4", "libx264"),
    ".mov": ("mov", "libx264"),
    ".mkv": ("matroska", "libx264"),
    ".avi": ("avi", "mpeg4"),
    ".webm": ("webm", "libvpx-vp9"),
}


def require_av():
    try:
        import av
    except ImportError:
        raise RenderError("video needs PyAV: pip install 'upscale2x[live]'") from None
    return av


def _side_by_side(frame: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.concatenate([frame[..., :3], out[..., :3]], axis=1)


def see_frames(src: Path, dst: Path, loop: SeeLoop, side_by_side: bool = False, on_progress: Progress | None = None):
    """A folder of images in, a folder of PNGs out (same stems), all or nothing at ``dst``."""
    from ..io.read import image_files, read_image
    from ..io.write import write_image

    files = image_files(src)
    if not files:
        raise ImageReadError(f"{src}: no images in this folder")
    if dst.exists():
        raise ImageWriteError(f"{dst}: already exists")
    if not dst.parent.is_dir():
        raise ImageWriteError(f"{dst}: output folder {dst.parent} does not exist")
    try:
        with atomic_folder(dst) as tmp:
            for i, f in enumerate(files):
                frame = read_image(f).rgb
                _, out = loop.step(frame)
                try:
                    write_image(tmp / f"{f.stem}.png", _side_by_side(frame, out) if side_by_side else out)
                except ImageWriteError as e:  # it names the temporary folder; the user knows the output's name
                    raise ImageWriteError(f"{dst}: cannot write {f.stem}.png ({_reason(e)})") from None
                if on_progress:
                    on_progress(i + 1, len(files))
    except OSError as e:  # publishing the folder (a full disk, a folder that appeared): one line
        raise ImageWriteError(f"{dst}: cannot write the frames ({e.strerror or e})") from None
    return dst


def _reason(e: Exception) -> str:
    """The part of an error line after its ``path: `` prefix."""
    text = str(e)
    return text.split(": ", 1)[1] if ": " in text else text


def probe(src: Path) -> tuple[int, int, Fraction, int]:
    """(width, height, frame rate, frame count or 0) of ``src``'s first video stream; ImageReadError if none."""
    av = require_av()
    try:
        with av.open(str(src)) as c:
            if not c.streams.video:
                raise ImageReadError(f"{src}: has no video stream")
            v = c.streams.video[0]
            rate = v.average_rate or v.guessed_rate or Fraction(25)
            return v.codec_context.width, v.codec_context.height, Fraction(rate), int(v.frames or 0)
    except (av.error.FFmpegError, UnicodeDecodeError) as e:
        raise ImageReadError(f"{src}: not a readable video ({e})") from None


def see_video(
    src: Path,
    dst: Path,
    loop: SeeLoop,
    side_by_side: bool = False,
    codec: str | None = None,
    overwrite: bool = False,
    on_progress: Progress | None = None,
) -> Path:
    """Run every frame of ``src`` through ``loop`` into the video ``dst`` at ``src``'s frame rate, audio copied."""
    av = require_av()
    if not src.is_file():
        raise ImageReadError(f"{src}: no such file")
    if not dst.parent.is_dir():
        raise ImageWriteError(f"{dst}: output folder {dst.parent} does not exist")
    if dst.exists() and not overwrite:
        raise ImageWriteError(f"{dst}: already exists (use --overwrite to replace it)")
    if dst.suffix.lower() not in CONTAINERS:
        raise ImageWriteError(f"{dst}: unknown video extension {dst.suffix!r}; expected {', '.join(CONTAINERS)}")
    fmt, default_codec = CONTAINERS[dst.suffix.lower()]
    codec = codec or default_codec
    if codec not in av.codecs_available:
        raise ImageWriteError(f"{dst}: this FFmpeg has no {codec} encoder")
    _, _, rate, count = probe(src)
    try:
        with atomic_path(dst, replace=overwrite) as tmp:
            _encode(av, src, tmp, fmt, loop, side_by_side, codec, rate, count, on_progress)
    except FileExistsError:
        raise ImageWriteError(f"{dst}: already exists (written meanwhile; use --overwrite)") from None
    except av.error.FFmpegError as e:  # a stream that breaks off halfway (a truncated file): one line, no output
        raise ImageReadError(f"{src}: the video could not be read to its end ({e})") from None
    except OSError as e:  # a full disk while encoding
        raise ImageWriteError(f"{dst}: cannot write the video ({e.strerror or e})") from None
    return dst


def _encode(av, src, tmp, fmt, loop, side_by_side, codec, rate, count, on_progress) -> None:
    with av.open(str(src)) as inp, av.open(str(tmp), "w", format=fmt) as out:
        vin = inp.streams.video[0]
        ain = inp.streams.audio[0] if inp.streams.audio else None
        vout = None
        aout = out.add_stream_from_template(ain) if ain is not None else None
        done = 0
        streams = [s for s in (vin, ain) if s is not None]
        for packet in inp.demux(*streams):
            if packet.stream is ain:
                if packet.dts is not None:
                    packet.stream = aout
                    out.mux(packet)
                continue
            for frame in packet.decode():
                rgb = frame.to_ndarray(format="rgb24").astype(np.float32) / 255.0
                _, y = loop.step(rgb)
                picture = _side_by_side(rgb, y) if side_by_side else y
                if vout is None:
                    vout = _video_stream(out, codec, rate, picture.shape)
                _mux(out, vout, picture, done, rate)
                done += 1
                if on_progress:
                    on_progress(done, max(count, done))
        if vout is None:
            raise ImageReadError(f"{src}: no frames could be decoded")
        for p in vout.encode():
            out.mux(p)


def _video_stream(out, codec: str, rate: Fraction, shape):
    s = out.add_stream(codec, rate=rate)
    h, w = shape[:2]
    rgb = codec in ("png", "libx264rgb", "ffv1")  # lossless RGB codecs
    s.width, s.height = (w, h) if rgb else (w + w % 2, h + h % 2)  # 4:2:0 needs even sides
    s.pix_fmt = {"png": "rgb24", "libx264rgb": "rgb24", "ffv1": "bgr0"}.get(codec, "yuv420p")
    if codec in ("libx264", "libx264rgb"):
        s.options = {"crf": "0" if codec == "libx264rgb" else "18", "preset": "medium"}
    return s


def _mux(out, stream, picture: np.ndarray, index: int, rate: Fraction) -> None:
    import av

    u8 = (np.clip(picture[..., :3], 0, 1) * 255 + 0.5).astype(np.uint8)
    h, w = u8.shape[:2]
    if (stream.height, stream.width) != (h, w):  # pad odd sides by repeating the edge (4:2:0)
        u8 = np.pad(u8, ((0, stream.height - h), (0, stream.width - w), (0, 0)), mode="edge")
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(u8), format="rgb24")
    frame.pts, frame.time_base = index, 1 / rate
    for p in stream.encode(frame):
        out.mux(p)
