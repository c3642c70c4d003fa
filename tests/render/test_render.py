import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from upscale2x.cli import app
from upscale2x.io.read import read_image
from upscale2x.io.write import write_image
from upscale2x.model.bundle import load_bundle
from upscale2x.render.stages import Stage

runner = CliRunner()
ICC = b"fake-icc-profile" * 4


@pytest.fixture
def models(tiny_bundles, monkeypatch):
    monkeypatch.setenv("UPSCALE2X_MODELS", str(tiny_bundles["sr8x"].parent))
    return tiny_bundles


def _img(tmp_path, name="in.png", size=(20, 27), alpha=False, **kw):
    rng = np.random.default_rng(5)
    return write_image(
        tmp_path / name,
        rng.random((*size, 3)).astype(np.float32),
        rng.random(size).astype(np.float32) if alpha else None,
        **kw,
    )


def _run(*args):
    return runner.invoke(app, ["render", *map(str, args), "--quiet"])


def test_default_8x_beside_the_input(tmp_path, models):
    src = _img(tmp_path)
    r = _run(src, "--scale", 8, "--tiles")
    assert r.exit_code == 0, r.output
    out = tmp_path / "in_x8.png"
    assert Image.open(out).size == (27 * 8, 20 * 8)


def test_64x_is_two_chained_stages(tmp_path, models):
    src = _img(tmp_path, size=(5, 6))
    assert _run(src, "--model", models["sr8x"], "--scale", 64).exit_code == 0
    assert Image.open(tmp_path / "in_x64.png").size == (6 * 64, 5 * 64)


def test_other_scales_finish_with_an_area_downscale(tmp_path, models):
    src = _img(tmp_path, size=(5, 6))
    r = _run(src, "--scale", 12, "-o", tmp_path / "o.png")
    assert r.exit_code == 0, r.output
    assert Image.open(tmp_path / "o.png").size == (72, 60)


def test_chain_see_then_sr8x(tmp_path, models):
    src = _img(tmp_path, size=(40, 30))
    r = _run(src, "--chain", f"{models['see']},{models['sr8x']}", "-o", tmp_path / "c.png")
    assert r.exit_code == 0, r.output
    assert Image.open(tmp_path / "c.png").size == (240, 320)


def test_no_tiles_gives_the_same_size(tmp_path, models):
    src = _img(tmp_path, size=(33, 40))
    assert _run(src, "--no-tiles", "-o", tmp_path / "n.png").exit_code == 0
    assert Image.open(tmp_path / "n.png").size == (320, 264)


def test_alpha_16bit_icc_and_dpi_are_kept(tmp_path, models):
    src = _img(tmp_path, alpha=True, bits=16, dpi=(72, 72), icc=ICC)
    assert _run(src, "-o", tmp_path / "a.png").exit_code == 0
    pic = read_image(tmp_path / "a.png")
    assert pic.alpha is not None and pic.info.bits == 16 and pic.info.icc == ICC
    assert pic.info.dpi == pytest.approx((72, 72), abs=0.01)
    # alpha is resampled, not generated: its mean survives the 8x resize
    assert abs(pic.alpha.mean() - read_image(src).alpha.mean()) < 0.02
    assert _run(src, "-o", tmp_path / "b.tiff", "--dpi", 300, "--bits", 8).exit_code == 0
    pic = read_image(tmp_path / "b.tiff")
    assert pic.info.dpi == (300, 300) and pic.info.bits == 8


def test_a_bundle_used_twice_shares_one_stage(tiny_bundles):
    from upscale2x.render.files import RenderOptions, build_chain, plan_render

    opts = RenderOptions(scale=64, model=str(tiny_bundles["sr8x"]))
    plan = plan_render(opts)
    chain = build_chain(plan, opts)
    assert plan.scale == 64 and len(chain.stages) == 2 and chain.stages[0] is chain.stages[1]


def test_bad_options_are_found_from_the_cards_before_any_model_loads(tiny_bundles, monkeypatch):
    import upscale2x.render.files as render
    from upscale2x.errors import RenderError, TileError

    def no_loading(folder, *args, **kwargs):
        raise AssertionError(f"loaded {folder}")

    monkeypatch.setattr(render, "open_stage", no_loading)
    see, sr = str(tiny_bundles["see"]), str(tiny_bundles["sr8x"])
    with pytest.raises(TileError, match="overlap must be 0..16 px"):
        render.plan_render(render.RenderOptions(chain=(see, sr), overlap=64))
    with pytest.raises(RenderError, match="--scale 64 is more than the chain's x8"):
        render.plan_render(render.RenderOptions(chain=(see, sr), scale=64))
    with pytest.raises(RenderError, match="--scale needs an 8x"):
        render.plan_render(render.RenderOptions(model=see, scale=8))
    with pytest.raises(RenderError, match="a see model \\(x1\\) is not an upscaler; run it with --chain"):
        render.plan_render(render.RenderOptions(model=see))
    with pytest.raises(RenderError, match="--overlap must be pixels"):
        render.RenderOptions(overlap=2.5)


def test_a_fractional_overlap_fits_every_stage_of_a_mixed_chain(tiny_bundles):
    from upscale2x.render.files import RenderOptions, plan_render

    plan = plan_render(RenderOptions(chain=(str(tiny_bundles["see"]), str(tiny_bundles["sr8x"])), overlap=0.25))
    assert plan.overlaps == (64, 8) and plan.scale == 8
    assert plan_render(RenderOptions(model=str(tiny_bundles["sr8x"]), overlap=4)).overlaps == (4,)


def test_cells_do_not_depend_on_their_batch(tiny_bundles):
    # BatchNorm uses moving statistics: a cell renders the same whatever else is in its batch.
    stage1 = Stage(load_bundle(tiny_bundles["sr8x"]), overlap=8, batch=1)
    stage8 = Stage(load_bundle(tiny_bundles["sr8x"]), overlap=8, batch=8)
    x = np.random.default_rng(2).random((60, 70, 3)).astype(np.float32)
    np.testing.assert_allclose(stage1.run(x), stage8.run(x), atol=1e-5)


def test_seeded_variants_are_reproducible(tmp_path, models):
    src = _img(tmp_path, size=(8, 8))
    for name, seed in [("a", 1), ("b", 1), ("c", 2)]:
        assert _run(src, "--seed", seed, "-o", tmp_path / f"{name}.png").exit_code == 0
    a, b, c = (np.asarray(Image.open(tmp_path / f"{n}.png")) for n in "abc")
    np.testing.assert_array_equal(a, b)
    assert np.abs(a.astype(int) - c).max() > 0


def test_seed_without_dropout_is_one_error_line(tmp_path):
    from conftest import tiny_generator

    from upscale2x.model.bundle import Bundle, Card, save_bundle
    from upscale2x.model.nets import has_dropout, unet_generator

    assert has_dropout(tiny_generator("sr8x"))
    model = unet_generator(base_width=2, max_width=8, upsample="resize", dropout=False)
    assert not has_dropout(model)
    card = Card(task="sr8x", base_width=2, max_width=8, upsample="resize")
    folder = save_bundle(Bundle(model, card), tmp_path / "nd")
    src = _img(tmp_path, size=(8, 8))
    r = _run(src, "--model", folder, "--seed", 1)
    assert r.exit_code == 1 and "nd: has no dropout (trained with --no-dropout)" in r.output, r.output
    assert len(r.output.strip().splitlines()) == 1
    assert _run(src, "--model", folder).exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{tmp}/missing.png"], "missing.png: no such file"),
        (["{tmp}/text.png"], "text.png: not an image"),
        (["{src}", "--scale", "0"], "--scale must be 2..512, got 0"),
        (["{src}", "--scale", "4096"], "--scale must be 2..512, got 4096"),
        (["{src}", "--overlap", "20"], "overlap must be 0..16"),
        (["{src}", "--model", "{see}", "--scale", "8"], "a see model renders at x1; --scale needs an 8x (sr8x) model"),
        (["{src}", "--model", "{see}"], "a see model (x1) is not an upscaler; run it with --chain {see}"),
        (["{src}", "--model", "{tmp}/nomodel"], "nomodel: no such model folder"),
        (["{src}", "-o", "{tmp}/nodir/out.png"], "output folder {tmp}/nodir does not exist"),
        (["{src}", "-o", "{tmp}/out.gif"], "unknown extension '.gif'"),
        (["{src}", "--chain", "{see}", "--scale", "8"], "--scale 8 is more than the chain's x1"),
        (["{src}", "--chain", "{see}", "--model", "{see}"], "give --model or --chain, not both"),
        (["{src}", "--ensemble", "3"], "--ensemble must be one of 1, 2, 4, 8, got 3"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, models, args, message):
    src = _img(tmp_path)
    (tmp_path / "text.png").write_text("not an image")
    before = sorted(p.name for p in tmp_path.iterdir())
    fill = {"tmp": tmp_path, "src": src, "see": models["see"]}
    r = runner.invoke(app, ["render", *[a.format(**fill) for a in args], "--quiet"])
    assert r.exit_code == 1, r.output
    assert message.format(**fill) in r.output.replace("\n", "")
    assert r.output.startswith("error:")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_existing_output_is_not_overwritten(tmp_path, models):
    src = _img(tmp_path)
    assert _run(src).exit_code == 0
    out = tmp_path / "in_x8.png"
    stamp = out.read_bytes()
    r = _run(src)
    assert r.exit_code == 1 and "already exists (use --overwrite" in r.output
    assert out.read_bytes() == stamp
    assert _run(src, "--overwrite", "--seed", 3).exit_code == 0
    assert out.read_bytes() != stamp


def test_residual_sr8x_starts_as_tiled_bicubic(tmp_path):
    # A residual generator whose last layer is zero adds nothing: the render is the cubic lift, tiled.
    from upscale2x.model import preprocess
    from upscale2x.model._tf import keras
    from upscale2x.model.bundle import Bundle, Card, save_bundle
    from upscale2x.model.nets import unet_generator

    keras.utils.set_random_seed(0)
    model = unet_generator(base_width=2, max_width=8, zero_output=True)
    folder = save_bundle(Bundle(model, Card(task="sr8x", base_width=2, max_width=8)), tmp_path / "z")
    yy, xx = np.mgrid[0:40, 0:50]
    x = np.stack([np.sin(xx / 5), np.cos(yy / 7), np.sin((xx + yy) / 9)], axis=2).astype(np.float32) * 0.4 + 0.5
    y = Stage(load_bundle(folder)).run(x)
    ref = np.asarray(preprocess.sr8x_lift(x[None]))[0]
    assert y.shape == ref.shape == (320, 400, 3)
    assert np.abs(y - ref).mean() < 2e-3


@pytest.mark.parametrize(
    ("factor", "at_least_one", "stages"),
    [(8, False, 1), (12, False, 2), (64, False, 2), (65, False, 3), (1, False, 0), (0.5, True, 1), (7.99, False, 1)],
)
def test_one_scale_planner_for_render_and_series(factor, at_least_one, stages):
    from upscale2x.render.scaleplan import upscaler_stages

    assert upscaler_stages(factor, at_least_one) == stages


def test_a_bilinear_generator_renders_tiled_and_untiled_at_any_size(tmp_path):
    from upscale2x.model.bundle import Bundle, Card, save_bundle
    from upscale2x.model.nets import unet_generator

    model = unet_generator(base_width=2, max_width=8, upsample="bilinear")
    folder = save_bundle(Bundle(model, Card(task="sr8x", base_width=2, max_width=8, upsample="bilinear")), tmp_path)
    b = load_bundle(folder)
    rng = np.random.default_rng(0)
    for tiles in (True, False):
        stage = Stage(b, tiles=tiles)
        for size in ((20, 27), (40, 33)):  # two image sizes through one stage: an untiled run traces each
            y = stage.run(rng.random((*size, 3)).astype(np.float32))
            assert y.shape == (size[0] * 8, size[1] * 8, 3) and np.isfinite(y).all()


def test_a_bad_output_is_refused_before_any_model_loads(tmp_path, tiny_bundles, monkeypatch):
    import upscale2x.render.files as render
    from upscale2x.errors import ImageWriteError

    def no_loading(folder, *args, **kwargs):
        raise AssertionError(f"loaded {folder}")

    monkeypatch.setattr(render, "open_stage", no_loading)
    src = _img(tmp_path)
    opts = render.RenderOptions(model=str(tiny_bundles["sr8x"]), fmt="jpg", bits=16)
    with pytest.raises(ImageWriteError, match="JPEG holds 8-bit RGB only"):
        render.render_file(src, tmp_path / "o.jpg", opts)
    (tmp_path / "taken.png").write_bytes(b"x")
    with pytest.raises(ImageWriteError, match="taken.png: already exists"):
        render.render_file(src, tmp_path / "taken.png", render.RenderOptions(model=str(tiny_bundles["sr8x"])))


@pytest.mark.parametrize("name", ["holiday [final].png", "x[/]y.png"])
def test_square_brackets_in_paths_are_printed_as_they_are(tmp_path, models, name):
    (tmp_path / name).parent.mkdir(exist_ok=True)  # "x[/]y.png" is y.png in a folder called "x["
    src = _img(tmp_path, name=name, size=(8, 8))
    r = runner.invoke(app, ["render", str(src)])
    stem = name.removesuffix(".png")
    assert r.exit_code == 0, r.output
    assert f"{stem}_x8.png" in r.output.replace("\n", ""), r.output
    r = runner.invoke(app, ["render", str(src)])  # the output exists now: the error names it exactly
    assert r.exit_code == 1 and f"{stem}_x8.png: already exists" in r.output.replace("\n", ""), r.output


def test_control_characters_in_a_card_are_not_printed(tmp_path, monkeypatch):
    import json

    from conftest import make_bundle

    card = make_bundle(tmp_path / "evil", "sr8x") / "card.json"
    card.write_text(json.dumps({**json.loads(card.read_text()), "description": "\x1b]0;pwned\x07\x1b[2Jnice model"}))
    monkeypatch.setenv("UPSCALE2X_MODELS", str(tmp_path))
    r = runner.invoke(app, ["models"])
    assert r.exit_code == 0 and "nice model" in r.output
    assert "\x1b" not in r.output and "\x07" not in r.output


def test_a_batch_loads_the_models_once_skips_what_exists_and_reports_failures(tmp_path, tiny_bundles, monkeypatch):
    import upscale2x.render.files as render

    (tmp_path / "in").mkdir()
    a = _img(tmp_path, "a.png", size=(9, 7))
    _img(tmp_path / "in", "b.png", size=(5, 6))
    _img(tmp_path / "in", "c.png", size=(6, 5))
    (tmp_path / "in" / "bad.png").write_text("not an image")
    loads = []
    real = render.build_chain
    monkeypatch.setattr(render, "build_chain", lambda *args: loads.append(1) or real(*args))
    args = [str(a), str(tmp_path / "in"), "--model", str(tiny_bundles["sr8x"]), "-o", str(tmp_path / "out")]
    r = runner.invoke(app, ["render", *args])
    assert r.exit_code == 1 and len(loads) == 1
    assert "3 written, 0 already there, 1 failed" in r.output and "bad.png: not an image" in r.output
    assert "1 of 4 inputs failed" in r.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a_x8.png", "b_x8.png", "c_x8.png"]
    assert Image.open(tmp_path / "out" / "b_x8.png").size == (6 * 8, 5 * 8)
    (tmp_path / "in" / "bad.png").unlink()
    r = runner.invoke(app, ["render", *args])
    assert r.exit_code == 0 and "0 written, 3 already there" in r.output


def test_a_jpeg_left_to_the_default_upscaler_gets_one_hint_for_sr8x_jpeg(tmp_path, tiny_bundles, monkeypatch):
    shipped = tmp_path / "models"
    shipped.mkdir()
    (shipped / "sr8x").symlink_to(tiny_bundles["sr8x"])
    monkeypatch.setenv("UPSCALE2X_MODELS", str(shipped))
    (tmp_path / "in").mkdir()
    for name in ("a.jpg", "b.jpg", "c.png"):
        _img(tmp_path / "in", name, size=(9, 7))

    def hints(*args):
        r = runner.invoke(app, ["render", *map(str, args), "--overwrite"])
        assert r.exit_code == 0, r.output
        return r.output.replace("\n", "").count("is a JPEG: the default sr8x enlarges its 8x8 blocks")

    assert hints(tmp_path / "in" / "a.jpg") == 0  # no JPEG bundle shipped: nothing to point to
    (shipped / "sr8x-jpeg").symlink_to(tiny_bundles["sr8x"])
    assert hints(tmp_path / "in" / "a.jpg") == 1
    assert "--model sr8x-jpeg reads through them" in runner.invoke(
        app, ["render", str(tmp_path / "in" / "a.jpg"), "--overwrite"]
    ).output.replace("\n", "")
    assert hints(tmp_path / "in" / "c.png") == 0
    assert hints(tmp_path / "in" / "a.jpg", "--model", "sr8x") == 0  # chosen on purpose
    assert hints(tmp_path / "in", "-o", tmp_path / "out") == 1  # a folder of JPEGs: said once
