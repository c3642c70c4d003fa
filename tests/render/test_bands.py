"""Row-band sinks, the chain's size planner, streamed TIFF and format limits: any scale, never the whole image."""

import numpy as np
import pytest

from upscale2x.errors import ImageWriteError, RenderError
from upscale2x.io.read import read_image
from upscale2x.io.write import ImageWriter
from upscale2x.model.resample import area_resize
from upscale2x.render.bands import AreaSink, Collect, CropSink
from upscale2x.render.stages import Chain, ChainPlan, Stage


@pytest.mark.parametrize(
    "size,to,band", [((512, 768), (96, 144), 64), ((100, 70), (33, 20), 7), ((300, 200), (299, 199), 5)]
)
def test_area_sink_equals_the_whole_image_resize(size, to, band):
    x = np.random.default_rng(0).random((*size, 3), dtype=np.float32)
    out = Collect()
    sink = AreaSink(out, *size, *to)
    for i in range(0, size[0], band):
        sink(x[i : i + band])
    np.testing.assert_allclose(out.image, area_resize(x, *to), atol=1e-6)


def test_crop_sink_keeps_the_window():
    x = np.arange(20 * 9 * 1, dtype=np.float32).reshape(20, 9, 1)
    out = Collect()
    crop = CropSink(out, 3, 2, 11, 5)
    for i in range(0, 20, 4):
        crop(x[i : i + 4])
    np.testing.assert_array_equal(out.image, x[3:14, 2:7])


@pytest.mark.parametrize(
    "scales,size,out,inputs,cover",
    [
        ([8, 8], (10, 20), (120, 240), ((10, 20), (15, 30)), (120, 240)),  # x12: the last stage's input shrinks
        ([8], (10, 20), (40, 80), ((10, 20),), (40, 80)),  # x4: one stage, then the output shrinks
        ([8, 8], (10, 20), (640, 1280), ((10, 20), (80, 160)), (640, 1280)),  # x64: nothing to shrink
        ([1, 8], (30, 40), (180, 240), ((30, 40), (30, 40)), (180, 240)),  # see -> sr8x at x6: output shrinks
        ([8, 8], (7, 9), (40, 100), ((7, 9), (10, 13)), (80, 104)),  # a print aspect: cover, then crop
    ],
)
def test_chain_plan(scales, size, out, inputs, cover):
    plan = ChainPlan.make(scales, *size, *out)
    assert plan.inputs == inputs and plan.cover == cover
    assert cover[0] >= out[0] and cover[1] >= out[1]


def test_chain_plan_refuses_more_than_the_chain_makes():
    with pytest.raises(RenderError, match="a x8 chain cannot make"):
        ChainPlan.make([8], 10, 10, 81, 80)


def test_scale_12_streams_and_equals_the_planned_steps(tiny_bundles):
    from upscale2x.model.bundle import load_bundle

    st = Stage(load_bundle(tiny_bundles["sr8x"]), batch=4)
    x = np.random.default_rng(2).random((30, 22, 3), dtype=np.float32)
    bands = []
    Chain([st, st]).run_to(x, 360, 264, bands.append)
    got = np.concatenate(bands)
    assert got.shape == (360, 264, 3)
    assert max(len(b) for b in bands) <= 256  # streamed in bands, never the whole output at once
    want = st.run(area_resize(st.run(x), 360 // 8, 264 // 8))  # stage, shrink to 1.5x the input, stage
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_tiff_is_written_band_by_band_and_big_ones_are_bigtiff(tmp_path, monkeypatch):
    import tifffile

    import upscale2x.io.tiffstream as ts

    x = np.random.default_rng(1).random((600, 333, 3), dtype=np.float32)
    with ImageWriter(tmp_path / "a.tiff", 600, 333, 3, bits=16) as w:
        for i in range(0, 600, 37):
            w.write(x[i : i + 37])
    np.testing.assert_allclose(read_image(tmp_path / "a.tiff").rgb, x, atol=0.6 / 65535)
    with tifffile.TiffFile(tmp_path / "a.tiff") as t:
        page = t.pages[0]
        assert not t.is_bigtiff and page.is_tiled and page.predictor == 2 and page.compression == 8
    monkeypatch.setattr(ts, "CLASSIC_LIMIT", 1000)
    with ImageWriter(tmp_path / "b.tif", 600, 333, 3, bits=8) as w:
        w.write(x)
    with tifffile.TiffFile(tmp_path / "b.tif") as t:
        assert t.is_bigtiff
    np.testing.assert_allclose(read_image(tmp_path / "b.tif").rgb, x, atol=0.6 / 255)


def test_an_interrupted_tiff_leaves_nothing(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with ImageWriter(tmp_path / "a.tiff", 600, 300, 3) as w:
            w.write(np.zeros((300, 300, 3), np.float32))
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_a_jpeg_past_65535_px_is_refused_before_any_cell_runs(tmp_path, tiny_bundles, monkeypatch):
    import upscale2x.render.files as render
    from upscale2x.io.write import write_image

    def no_loading(folder, *a, **k):
        raise AssertionError("a model was loaded")

    monkeypatch.setattr(render, "open_stage", no_loading)
    src = write_image(tmp_path / "in.png", np.zeros((10, 300, 3), np.float32))
    opts = render.RenderOptions(model=str(tiny_bundles["sr8x"]), scale=256)
    with pytest.raises(ImageWriteError, match=r"a 76800x2560 image is past the JPEG limit of 65535 px"):
        render.render_file(src, tmp_path / "o.jpg", opts)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png"]
