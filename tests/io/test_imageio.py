import struct
import time
import zlib

import numpy as np
import pytest
import tifffile
from PIL import Image, ImageOps

from upscale2x.errors import ImageReadError, ImageWriteError
from upscale2x.io.read import read_image
from upscale2x.io.write import ImageWriter, write_image

RNG = np.random.default_rng(7)
RGB8 = RNG.integers(0, 256, (9, 13, 3), dtype=np.uint8)
_yy, _xx = np.mgrid[0:9, 0:13]
SMOOTH = np.stack([_yy * 20, _xx * 15, (_yy + _xx) * 9], axis=2).astype(np.uint8)
ICC = b"not-a-real-profile-but-carried-as-bytes" * 3


def _save(tmp_path, img, name, **kw):
    p = tmp_path / name
    img.save(p, **kw)
    return p


@pytest.mark.parametrize("fmt", ["png", "jpeg", "tiff", "webp", "bmp"])
def test_every_format_reads_as_float_rgb(tmp_path, fmt):
    src = SMOOTH if fmt == "jpeg" else RGB8  # JPEG is lossy: compare on a smooth image
    p = _save(tmp_path, Image.fromarray(src), f"x.{fmt}", **({"lossless": True} if fmt == "webp" else {}))
    pic = read_image(p)
    assert pic.rgb.dtype == np.float32 and pic.rgb.shape == (9, 13, 3)
    assert pic.alpha is None and pic.info.bits == 8
    tol = 24 if fmt == "jpeg" else 0.5  # the others are exact
    assert np.abs(pic.rgb * 255 - src).max() <= tol


def test_mode_1_and_L_become_gray_rgb(tmp_path):
    gray = (RGB8[..., 0] > 127).astype(np.uint8) * 255
    pic = read_image(_save(tmp_path, Image.fromarray(gray).convert("1"), "b.png"))
    assert pic.info.mode == "1"
    np.testing.assert_array_equal(pic.rgb[..., 0] * 255, gray)
    np.testing.assert_array_equal(pic.rgb[..., 0], pic.rgb[..., 2])
    pic = read_image(_save(tmp_path, Image.fromarray(RGB8[..., 1]), "l.png"))
    np.testing.assert_allclose(pic.rgb[..., 1] * 255, RGB8[..., 1], atol=1e-3)


def test_LA_and_RGBA_split_alpha(tmp_path):
    la = np.stack([RGB8[..., 0], RGB8[..., 1]], axis=2)
    pic = read_image(_save(tmp_path, Image.fromarray(la, "LA"), "la.png"))
    np.testing.assert_allclose(pic.alpha * 255, RGB8[..., 1], atol=1e-3)
    rgba = np.concatenate([RGB8, RGB8[..., :1]], axis=2)
    pic = read_image(_save(tmp_path, Image.fromarray(rgba, "RGBA"), "rgba.png"))
    np.testing.assert_allclose(pic.rgb * 255, RGB8, atol=1e-3)
    np.testing.assert_allclose(pic.alpha * 255, RGB8[..., 0], atol=1e-3)


def test_palette_with_and_without_transparency(tmp_path):
    pal = Image.fromarray(RGB8).quantize(8)
    pic = read_image(_save(tmp_path, pal, "p.png"))
    assert pic.info.mode == "P" and pic.alpha is None
    np.testing.assert_allclose(pic.rgb * 255, np.asarray(pal.convert("RGB")), atol=1e-3)
    pic = read_image(_save(tmp_path, pal, "pt.png", transparency=0))
    assert pic.alpha is not None and set(np.unique(pic.alpha)) <= {0.0, 1.0}


def test_cmyk_converts_and_drops_its_profile(tmp_path):
    cmyk = Image.fromarray(RGB8).convert("CMYK")
    pic = read_image(_save(tmp_path, cmyk, "c.tiff", icc_profile=ICC))
    assert pic.info.mode == "CMYK" and pic.info.icc is None
    np.testing.assert_allclose(pic.rgb * 255, np.asarray(cmyk.convert("RGB")), atol=1e-3)


def test_16bit_gray_png_keeps_16_bits(tmp_path):
    g16 = RNG.integers(0, 65536, (6, 5), dtype=np.uint16)
    p = tmp_path / "g16.png"
    Image.fromarray(g16).save(p)
    pic = read_image(p)
    assert pic.info.bits == 16
    np.testing.assert_allclose(pic.rgb[..., 0] * 65535, g16, atol=0.02)


@pytest.mark.parametrize("ext", ["png", "tiff"])
@pytest.mark.parametrize("channels", [3, 4])
def test_16bit_rgb_round_trip_is_exact(tmp_path, ext, channels):
    x = RNG.integers(0, 65536, (7, 11, channels), dtype=np.uint16).astype(np.float32) / 65535
    p = write_image(tmp_path / f"x.{ext}", x[..., :3], x[..., 3] if channels == 4 else None, bits=16)
    pic = read_image(p)
    assert pic.info.bits == 16
    np.testing.assert_allclose(pic.rgb, x[..., :3], atol=0.5 / 65535)
    if channels == 4:
        np.testing.assert_allclose(pic.alpha, x[..., 3], atol=0.5 / 65535)


def test_16bit_rgb_tiff_from_another_writer(tmp_path):
    x = RNG.integers(0, 65536, (5, 4, 3), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "t.tif", x, photometric="rgb")
    np.testing.assert_allclose(read_image(tmp_path / "t.tif").rgb * 65535, x, atol=0.02)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied(tmp_path, orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    img = Image.fromarray(RGB8)
    p = _save(tmp_path, img, "o.png", exif=exif)
    expected = np.asarray(ImageOps.exif_transpose(Image.open(p)).convert("RGB"))
    got = read_image(p).rgb
    assert got.shape == expected.shape
    np.testing.assert_allclose(got * 255, expected, atol=1e-3)


@pytest.mark.parametrize("ext", ["png", "tiff", "jpg"])
def test_icc_and_dpi_are_carried_over(tmp_path, ext):
    p = write_image(tmp_path / f"m.{ext}", RGB8 / 255.0, dpi=(300, 240), icc=ICC)
    info = read_image(p).info
    assert info.icc == ICC
    assert info.dpi == pytest.approx((300, 240), abs=0.01)


def test_text_named_png(tmp_path):
    p = tmp_path / "fake.png"
    p.write_text("hello, not an image")
    with pytest.raises(ImageReadError, match=r"fake\.png: not an image"):
        read_image(p)


def test_truncated_png(tmp_path):
    p = _save(tmp_path, Image.fromarray(RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8)), "t.png")
    p.write_bytes(p.read_bytes()[:300])
    with pytest.raises(ImageReadError, match=r"t\.png: (truncated or corrupt|cannot open)"):
        read_image(p)


def test_empty_and_missing_files(tmp_path):
    (tmp_path / "e.png").write_bytes(b"")
    with pytest.raises(ImageReadError, match=r"e\.png: empty file"):
        read_image(tmp_path / "e.png")
    with pytest.raises(ImageReadError, match=r"nope\.png: no such file"):
        read_image(tmp_path / "nope.png")
    with pytest.raises(ImageReadError, match="not a file"):
        read_image(tmp_path)


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def test_decompression_bomb_is_refused_from_the_header(tmp_path):
    # 100000 x 100000 pixels claimed by a file of a few bytes: refused before any decoding.
    p = tmp_path / "bomb.png"
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\0" * 64)))
    with pytest.raises(ImageReadError, match=r"bomb\.png: 100000x100000 is 10,000,000,000 pixels, over the limit"):
        read_image(p)


def test_pixel_limit_can_be_raised(tmp_path):
    p = _save(tmp_path, Image.fromarray(RGB8), "s.png")
    with pytest.raises(ImageReadError, match="over the limit of 100"):
        read_image(p, max_pixels=100)
    assert read_image(p, max_pixels=117).size == (9, 13)


def test_failed_write_leaves_no_file(tmp_path):
    target = tmp_path / "out.png"
    with pytest.raises(RuntimeError):
        with ImageWriter(target, 10, 4) as w:
            w.write(np.zeros((5, 4, 3), np.float32))
            raise RuntimeError("interrupted mid-render")
    assert list(tmp_path.iterdir()) == []


def test_short_write_leaves_no_file(tmp_path):
    with pytest.raises(ImageWriteError, match="only 5 of 10 rows"):
        with ImageWriter(tmp_path / "out.tiff", 10, 4) as w:
            w.write(np.zeros((5, 4, 3), np.float32))
    assert list(tmp_path.iterdir()) == []


def test_existing_output_needs_overwrite(tmp_path):
    p = write_image(tmp_path / "a.png", RGB8 / 255.0)
    before = p.read_bytes()
    with pytest.raises(ImageWriteError, match="already exists"):
        write_image(p, np.zeros((2, 2, 3), np.float32))
    assert p.read_bytes() == before
    write_image(p, np.zeros((2, 2, 3), np.float32), overwrite=True)
    assert read_image(p).size == (2, 2)


def test_bad_targets(tmp_path):
    with pytest.raises(ImageWriteError, match="does not exist"):
        write_image(tmp_path / "no" / "a.png", RGB8 / 255.0)
    with pytest.raises(ImageWriteError, match="unknown extension '.gif'"):
        write_image(tmp_path / "a.gif", RGB8 / 255.0)
    with pytest.raises(ImageWriteError, match="JPEG holds 8-bit RGB only"):
        write_image(tmp_path / "a.jpg", RGB8 / 255.0, bits=16)


def test_multi_frame_inputs_read_their_first_frame_and_say_so(tmp_path, tiny_bundles):
    """A 16-bit multi-page TIFF used to decode as a 5-D array (a traceback and a 0-byte .part on render)."""
    import tifffile
    from PIL import Image
    from typer.testing import CliRunner

    from upscale2x.cli import app

    pages = (np.random.default_rng(0).random((3, 20, 30, 3)) * 65535).astype(np.uint16)
    tifffile.imwrite(tmp_path / "pages.tif", pages, photometric="rgb")
    pic = read_image(tmp_path / "pages.tif")
    assert pic.rgb.shape == (20, 30, 3) and pic.info.bits == 16 and pic.info.frames == 3
    np.testing.assert_allclose(pic.rgb, pages[0] / 65535, atol=1e-6)
    frames = [Image.new("RGB", (16, 12), c) for c in ("red", "green", "blue")]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    assert read_image(tmp_path / "anim.gif").info.frames == 3
    r = CliRunner().invoke(
        app,
        ["render", str(tmp_path / "pages.tif"), "--model", str(tiny_bundles["sr8x"]), "-o", str(tmp_path / "o.tif")],
    )
    assert r.exit_code == 0, r.output
    assert "pages.tif: has 3 frames or pages; rendering the first" in r.output.replace("\n", "")
    assert read_image(tmp_path / "o.tif").size == (160, 240)


def test_a_non_srgb_profile_is_converted_to_srgb_and_the_output_tagged_srgb(tmp_path, tiny_bundles):
    """Adobe RGB pixels used to be taken as sRGB, and the Adobe profile copied onto different pixels."""
    import io

    from iccprofile import ADOBE
    from PIL import ImageCms
    from typer.testing import CliRunner

    from upscale2x.cli import app

    raw = np.zeros((8, 8, 3), np.uint8)
    raw[..., 0], raw[..., 1], raw[..., 2] = 60, 150, 200
    Image.fromarray(raw).save(tmp_path / "adobe.png", icc_profile=ADOBE)
    pic = read_image(tmp_path / "adobe.png")
    want = ImageCms.profileToProfile(
        Image.fromarray(raw), ImageCms.ImageCmsProfile(io.BytesIO(ADOBE)), ImageCms.createProfile("sRGB")
    )
    np.testing.assert_allclose(pic.rgb * 255, np.asarray(want, np.float32), atol=0.51)
    assert np.abs(pic.rgb * 255 - raw).max() > 5  # really converted
    desc = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(pic.info.icc)))
    assert "sRGB" in desc
    r = CliRunner().invoke(app, ["render", str(tmp_path / "adobe.png"), "--model", str(tiny_bundles["sr8x"]), "-q"])
    assert r.exit_code == 0, r.output
    assert Image.open(tmp_path / "adobe_x8.png").info["icc_profile"] == pic.info.icc


@pytest.mark.parametrize("fmt", ["png", "tiff"])
def test_a_full_disk_is_one_error_and_leaves_nothing(tmp_path, monkeypatch, fmt):
    """ENOSPC while the encoder writes used to surface as an OSError traceback."""
    import errno

    import upscale2x.io.pngstream as pngstream
    import upscale2x.io.tiffstream as tiffstream

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pngstream.PngStream, "_flush", full)
    monkeypatch.setattr(tiffstream.TiffStream, "_flush_band", full)
    with pytest.raises(ImageWriteError, match=r"o\.(png|tiff): cannot write \(No space left on device\)"):
        with ImageWriter(tmp_path / f"o.{fmt}", 300, 300, 3) as w:
            w.write(np.random.default_rng(0).random((300, 300, 3), dtype=np.float32))
    assert list(tmp_path.iterdir()) == []


def test_the_srgb_tag_of_a_converted_image_is_the_same_bytes_every_time(tmp_path):
    """LittleCMS stamps the time into a profile it makes: reads a second apart tagged their images (and so the
    renders' outputs) with different bytes, and the Adobe RGB test above failed when its render crossed a second."""
    import subprocess
    import sys

    from iccprofile import ADOBE

    Image.fromarray(np.full((4, 4, 3), 90, np.uint8)).save(tmp_path / "adobe.png", icc_profile=ADOBE)
    code = (
        "import sys; from upscale2x.io.read import read_image; sys.stdout.write(read_image(sys.argv[1]).info.icc.hex())"
    )
    first = read_image(tmp_path / "adobe.png").info.icc
    time.sleep(1.05)
    other = subprocess.run([sys.executable, "-c", code, str(tmp_path / "adobe.png")], capture_output=True, text=True)
    assert bytes.fromhex(other.stdout) == first  # another process, another second: the same bytes
