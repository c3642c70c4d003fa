"""Write MODEL_CARD.md beside a shipped bundle from its card.json (and benchmark JSON, if given).

python models/write_card.py models/sr8x [--quality q.json] [--quality-heldout q2.json] [--quality-jpeg q75.json ...]
    [--artifacts a.json] [--description TEXT] [--command TEXT] [--notes NOTES.md]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

SOURCES = {
    "sr8x": """- 472 flower photos from the Oxford 102 Category Flower Dataset (70 of the 102 classes, `shared/data/
  flowers102-train`), published by the Visual Geometry Group, University of Oxford, **for research use**.
- 22 photos at native resolution (1280x1024 to 2560x1920; `--scale-range 0.25,1` crops them at 25-100 % of
  their pixels, each drawn once per epoch per 512x512 pixels it holds) from Debian's
  `plasma-workspace-wallpapers` (Autumn, BytheWater, ColdRipple, DarkestHour, EveningGlow, FallenLeaf, Grey,
  Kite, OneStandsOut, summer_1am; GPL-2+ per the package's Debian copyright file) and `mate-backgrounds`
  (nature: Aqua, Blinds, Dune, FreshFlower, Garden, GreenMeadow, LadyBird, RainDrops, Storm, TwoWings, Wood,
  YellowFlower; GPL-2+ per its Debian copyright file): every photograph among the wallpapers on hand.
- From the second phase on, 20 more photos at native resolution (1024x681 to 6028x3391): the photographs among
  Debian's `lomiri-wallpapers-16.04` and `lomiri-wallpapers-20.04` (Ubuntu Touch wallpapers: Bridge, Dragonfly,
  Kleiber, Picture_0B, Picture_1A, Wine, aitzgorri, analogpattern, free, friends, greentock, life,
  picosdeeuropa, seeding, sunset; CC-BY-4.0, CC-BY-SA-3.0, CC-BY-SA-4.0 or CC0-1.0 per file, authors named in
  the packages' Debian copyright files) and the puzzle photos of `palapeli-data` (castle-maintenon,
  cincinnati-bridge, citrus-fruits, european-honey-bee, panther-chameleon-female; GPL-2+): 514 images in all.
- Held out entirely (never trained on): the wallpapers Path and ColorfulCups, and scikit-image's sample photos
  used by `benchmarks/quality.py` and `benchmarks/artifacts.py`.""",
    "see-flowers": """- 472 flower photos from the Oxford 102 Category Flower Dataset (70 of the 102 classes,
  `shared/data/flowers102-train`), published by the Visual Geometry Group, University of Oxford, **for research use**: this
  model inherits that restriction.
- Held out: the run's own seeded 5 % split (24 photos; `benchmarks/imagine.py` finds them again from this card).
- Trained from scratch on a lent NVIDIA H200 under Keras 3's JAX backend (`models/train_jax.py`: the same
  generator and discriminator builders and loss as `upscale2x train`, the see input made by TensorFlow's own
  resize operators, measured and packed; crops at 4 fixed scales of 100-130 %, batch 16), then imported as a
  TensorFlow run (the generator checked against a probe: 6e-7 mean difference) and exported by `upscale2x
  train --export`. Phase 2 lowered the L1 weight to 5 and raised the texture term to 25 (models/TRAINING.md 5c).
- Phase 3 on a CPU (2 cores with AMX, bfloat16) with `upscale2x train --init-from` and a fresh discriminator: L1
  weight 2, texture term 50, the same 448 photos, 16 epochs of batch 4 (models/TRAINING.md 5k).""",
    "see-abstracts": """- 278 tiles of 1024x1024 pixels cut from the abstract renders of Debian's
  `gnome-backgrounds` (adwaita, grid, licorice, pixels, symbolic, truchet, wood; CC-BY-SA-3.0) and `ukui-wallpapers` (2004default,
  firstgeneration, rhythm, string, the-mouse, calla, fluent-color, focal-ubuntukylin, goldfish; CC-BY-SA-3.0).""",
}
SOURCES["sr8x-detail"] = SOURCES["sr8x"]  # the same data: sr8x fine-tuned
SOURCES["sr8x-dream"] = (
    SOURCES["sr8x"]
    + """
- The phase that made it an imagining upscaler (`--dream`) trained on the 472 flower photos above and 1,093
  everyday photographs of `shared/data/photos/`: the BSDS500 train and test splits (400, Berkeley Segmentation
  Data Set, Arbelaez et al.; research use, its third split B100 deliberately left out) and 693 ImageNet-1k
  samples (one per class; ImageNet terms: **non-commercial research use**), at native resolution. Held out
  entirely: `photos/kodak24/`, and 78 of these images by the run's own seeded split."""
)

SOURCES[
    "see-faces"
] = """- 1,492 portraits of 190 people from `shared/data/faces/celeba/` (a subset of CelebA's aligned images, Liu et
  al., 178x218 head and shoulders; every fourth image by CelebA number of the people numbered 0-189). CelebA's
  terms: **non-commercial research use only**: this model inherits that restriction.
- Held out entirely: the 10 people numbered 190-199 (299 photos; `benchmarks/imagine.py --photos` measures on
  an even sample of 43), and the run's own seeded 5 % split.
- Trained from scratch on a lent NVIDIA H200 under Keras 3's JAX backend, as `see-flowers` was
  (`models/train_jax.py`; models/TRAINING.md 5c): the portraits enlarged to 100-130 % of the 256 cell, batch 16."""


def _all_photos(phase: str, inputs: str) -> str:
    """The data of a phase on the 1,607 images (flowers, everyday photographs, wallpapers)."""
    return f"""
- {phase}: the 472 flower photos, 1,093 everyday photographs of `shared/data/photos/` (BSDS500 train and test
  splits, research use, its third split B100 deliberately left out; 693 ImageNet-1k samples, **non-commercial
  research use**) and the 42 wallpapers above, 1,607 images at native resolution, {inputs}. Held out entirely:
  `photos/kodak24/` and scikit-image's photos."""


SOURCES["sr8x-real"] = SOURCES["sr8x"] + _all_photos(
    "The phase that made it robust to photos as they arrive (`--degrade full`)",
    "each input put through blur, a down-and-up resize, noise and JPEG (quality 35-95) in a random order",
)
SOURCES["sr8x-jpeg"] = SOURCES["sr8x"] + _all_photos(
    "The phase that made it read through JPEG (`--degrade jpeg`)",
    "each input saved as a JPEG at quality 30-95 on a shifted block grid, a fifth left clean",
)
# The shipped sr8x went on from the 514 images above (where sr8x-detail, -dream, -real and -jpeg branched off).
SOURCES["sr8x"] += _all_photos("The last phase (everyday photographs, clean inputs)", "the inputs clean")

QUALITY_KEYS = ("quality_skimage", "quality_heldout_wallpapers")
QUALITY_WHAT = (
    "`python benchmarks/quality.py` (scikit-image's colour photos, whole images, tiled)",
    "`python benchmarks/quality.py data/heldout` (the wallpapers Path and ColorfulCups, 2560x1600, never trained on)",
)


def _quality_lines(q: dict, what: str) -> list[str]:
    return [
        f"{what}, {q['images']} images:",
        "",
        f"- PSNR {q['psnr_model']:.2f} dB vs bicubic {q['psnr_bicubic']:.2f} dB ({q['psnr_gain_db']:+.2f} dB); "
        f"untiled {q.get('psnr_untiled', float('nan')):.2f} dB",
        f"- SSIM {q['ssim_model']:.3f} vs {q['ssim_bicubic']:.3f}",
        f"- sharpness {q['sharpness_vs_target']:.2f} of the real photos' (bicubic "
        f"{q['sharpness_bicubic'] / q['sharpness_target']:.2f})",
        f"- lattice ratio {q['lattice_model']:.2f} (bicubic {q['lattice_bicubic']:.2f}; 1.0 = as much period-2/4/8 px "
        "grid as the real photos)",
    ]


def _artifact_lines(a: dict) -> list[str]:
    if "lattice_natural" in a:
        return [
            f"`python benchmarks/artifacts.py --model MODEL` (examples/sketch.png and {a['images'] - 1} photos it never "
            "saw): lattice ratio against natural photos",
            "",
            f"- mean {a['lattice_natural']:.2f}, worst {a['lattice_natural_max']:.2f} (1.0 = as much period-2/4/8 px "
            "grid as natural photos; the target is at most 3)",
        ]
    return [
        f"`python benchmarks/artifacts.py --model MODEL` ({a['images']} scikit-image photos): lattice ratio against "
        f"the real photos {a['lattice_model']:.2f} (bicubic {a['lattice_bicubic']:.2f})",
    ]


def _recipe(p: dict) -> str:
    """The adversarial recipe of one phase, in words."""
    if p.get("gan_weight", 1.0) == 0:
        lattice = f" + lattice penalty {p['lattice']}" if p.get("lattice") else ""
        texture = f" + texture term {p['texture']}" if p.get("texture") else ""
        pixel = "squared error (MSE)" if p.get("pixel_loss") == "mse" else "L1"
        return f"{pixel} only{lattice}{texture} (GAN weight 0, no discriminator)"
    pixel = "MSE" if p.get("pixel_loss") == "mse" else "L1"
    parts = [f"GAN weight {p['gan_weight']} ({p.get('gan_loss', 'bce')})", f"{pixel} weight {p['l1_weight']}"]
    if p.get("feature_matching"):
        parts.append(f"feature matching {p['feature_matching']}")
    if p.get("r1"):
        parts.append(f"R1 {p['r1']}")
    if p.get("lattice"):
        window = f" per {p['lattice_window']} px window" if p.get("lattice_window") else ""
        parts.append(f"lattice penalty {p['lattice']}{window}")
    if p.get("texture"):
        parts.append(f"texture term {p['texture']} (`--texture`)")
    scales = p.get("disc_scales", 1)
    parts.append(
        f"discriminator ndf {p['ndf']}"
        + (" with spectral norm" if p.get("spectral_norm") else "")
        + (f" at {scales} scales (`--disc-scales {scales}`)" if scales > 1 else "")
    )
    if p.get("d_lr") and p["d_lr"] != p["lr"]:
        parts.append(f"discriminator lr {p['d_lr']}")
    return ", ".join(parts)


def _phases(t: dict) -> list[dict]:
    """The run's training record and those of the bundles it was fine-tuned from, oldest first."""
    chain = [t]
    while "init_from" in chain[-1]:
        chain.append(chain[-1]["init_from"])
    return chain[::-1]


def _training_lines(t: dict) -> list[str]:
    phases = _phases(t)
    lines = []
    for i, p in enumerate(phases):
        start = f"from the bundle of phase {i}, " if i else ""
        data = f", crops at {p['scale_range'][0]}-{p['scale_range'][1]} of native size" if p.get("scale_range") else ""
        dropout = "" if p.get("dropout", True) else ", no dropout"
        if p.get("dream"):
            data += f", inputs at {p['dream'][0]}-{p['dream'][1]}x the 8x downscale (`--dream`)"
        if p.get("degrade") in (True, "full"):
            data += ", inputs blurred, resized, noised and JPEG-compressed in a random order (`--degrade full`)"
        elif p.get("degrade") == "jpeg":
            data += ", inputs JPEG-compressed at quality 30-95 on a shifted grid, a fifth clean (`--degrade jpeg`)"
        dropout += ", bfloat16 arithmetic (`--precision bf16`)" if p.get("precision") == "bf16" else ""
        blocks, before = p.get("res_blocks", 0), phases[i - 1].get("res_blocks", 0) if i else 0
        start += f"grown to {blocks} residual blocks, " if blocks != before else ""
        width, was = p.get("block_width", 0), phases[i - 1].get("block_width", 0) if i else 0
        start += f"blocks widened to {width} inside (`--block-width {width}`), " if width != was else ""
        ca, had = p.get("attention", False), phases[i - 1].get("attention", False) if i else False
        start += "given channel attention (`--attention`), " if ca and not had else ""
        free, was_free = p.get("lattice_free", False), phases[i - 1].get("lattice_free", False) if i else False
        start += "made lattice-free (`--lattice-free`), " if free and not was_free else ""
        mirrored = p.get("padding") == "reflect" and (not i or phases[i - 1].get("padding") != "reflect")
        start += "with mirrored borders (`--padding reflect`), " if mirrored else ""
        lines.append(
            f"  {i + 1}. {start}{p['epochs']} epochs, {p['steps']:,} steps on {p['images']} images, batch {p['batch']}, "
            f"lr {p['lr']}, "
            f"{_recipe(p)}{data}{dropout}, seed {p['seed']}: {p['train_seconds'] / 3600:.2f} h{_where(p)}"
        )
    total = sum(p["train_seconds"] for p in phases)
    gpu = [p for p in phases if "JAX" in p.get("hardware", "")]
    head = f"- trained with `upscale2x train` in {len(phases)} phase{'s' if len(phases) > 1 else ''}:"
    if len(gpu) == len(phases):
        head = f"- trained with `models/train_jax.py` in {len(phases)} phase{'s' if len(phases) > 1 else ''}:"
        when = f"- training time: {total / 60:.0f} min in all on {gpu[0]['hardware']}"
    elif gpu:  # GPU phases first, then CPU fine-tunes (or the other way): each tool and machine with its own time
        cpu = [p for p in phases if p not in gpu]
        head = (
            f"- trained in {len(phases)} phases: {len(gpu)} with `models/train_jax.py` on a GPU, {len(cpu)} with "
            "`upscale2x train` on a CPU:"
        )
        gpu_s, cpu_s = sum(p["train_seconds"] for p in gpu), sum(p["train_seconds"] for p in cpu)
        when = (
            f"- training time: {gpu_s / 60:.0f} min on {gpu[0]['hardware']}, then {cpu_s / 3600:.2f} h on "
            f"{cpu[-1]['hardware']}"
        )
    else:
        when = (
            f"- training time: {total / 3600:.1f} h in all on {t['hardware']}, shared with other jobs "
            "(spread over several sittings with `--resume`)"
        )
    out = [head, *lines, when]
    mix = t.get("interpolation")
    if mix:
        out.append(
            f"- the weights: a network interpolation (`models/interpolate.py`), {1 - mix['alpha']:g} x "
            f"{mix['faithful']} + {mix['alpha']:g} x {mix['sharp']} (the last phase's record is the latter's)"
        )
    return out


def _where(p: dict) -> str:
    """Where a phase trained, when that was a GPU under JAX (models/train_jax.py) rather than this CPU trainer."""
    return f" on {p['hardware']}" if "JAX" in p.get("hardware", "") else ""


def _generator(card: dict) -> str:
    """The generator's widths and upsampling, in words."""
    widths = f"base width {card['base_width']}, cap {card['max_width']}"
    name = f"preset `{card['preset']}` ({widths})" if card.get("preset") else f"custom widths ({widths})"
    up = card.get("upsample", "transpose")
    how = {"resize": "nearest x2 + 3x3 conv decoder", "bilinear": "bilinear x2 + 3x3 conv decoder"}.get(
        up, "pix2pix's transposed-conv decoder"
    )
    blocks = card.get("res_blocks", 0)
    extra = f", {blocks} residual blocks at 1/8 of the cell (`--res-blocks {blocks}`)" if blocks else ""
    if card.get("block_width"):
        extra += f" of inner width {card['block_width']} (`--block-width`)"
    if card.get("attention"):
        extra += " with channel attention (`--attention`)"
    if card.get("lattice_free_window"):
        w = card["lattice_free_window"]
        extra += (
            f", ending in a windowed lattice-free layer (`--lattice-free --lattice-free-window {w}`: no 8-px periodic "
            f"part round any pixel, read over about {w} px)"
        )
    elif card.get("lattice_free"):
        extra += ", ending in a lattice-free layer (`--lattice-free`: no 8-px periodic part in its output)"
    if card.get("padding") == "reflect":
        extra += ", mirrored convolution borders (`--padding reflect`: no frame)"
    return f"{name}, upsample `{up}` ({how}){extra}"


def _imagine_lines(r: dict) -> list[str]:
    if "photos_from" in r:
        how = f"--photos '{r['photos_from']}'` ({r['images']} photos the run never saw"
    else:
        how = f"--held-out {r['held_out_from']}` ({r['images']} photos the run held out"
    lines = [
        f"`python benchmarks/imagine.py --model MODEL {how}, 256x256, through the model's own preprocessing; each "
        "1.0 = as the photo):",
        "",
        f"- fine detail (mean abs. Laplacian of the luma) {r['detail']:.2f}, colourfulness {r['colourfulness']:.2f}, "
        f"axis share (streaks) {r['axis']:.2f}, lattice {r['lattice']:.2f}",
        f"- frame: outer 4-px ring's step to the inside, less the photo's, {r['frame']:.2f} grey levels on average "
        f"({r['frame_max']:.2f} at worst)",
    ]
    if "median" in r:
        m = r["median"]
        lines.append(
            f"- medians over the photos (a ratio to a nearly flat photo is mostly noise): detail {m['detail']:.2f}, "
            f"colourfulness {m['colourfulness']:.2f}, axis share {m['axis']:.2f}, lattice {m['lattice']:.2f}"
        )
    if "print" in r:
        p = r["print"]
        lines.append(
            f"- print detail (against natural photos at native resolution, through `{p['upscaler']}` twice): "
            f"the see output {p['see']:.3f}, its 8x octave {p['x8']:.3f}, a window of the 64x print at 100 % "
            f"{p['x64']:.3f} (lattice {p['lattice_x64']:.2f})"
        )
    return lines


def _export_lines(card: dict) -> list[str]:
    rec = card.get("exports", {}).get("litert")
    if not rec:
        return []
    return [
        "## LiteRT export",
        "",
        f"`model.tflite` ({rec['bytes'] / 1e6:.1f} MB): the cell function in LiteRT, {rec['quantize']} "
        f"(`upscale2x export --quantize {rec['quantize']}`, batch {rec['batch']}); `render --engine auto` uses it. "
        f"Against Keras on {rec['probe']}: max {rec['max_error'] * 255:.2f}/255, mean {rec['mean_error'] * 255:.3f}/255.",
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("bundle", type=Path)
    ap.add_argument("--quality", type=Path, help="JSON line printed by benchmarks/quality.py --json")
    ap.add_argument("--quality-heldout", type=Path, help="the same for benchmarks/quality.py data/heldout --json")
    ap.add_argument(
        "--quality-jpeg",
        type=Path,
        action="append",
        default=[],
        help="JSON line of benchmarks/quality.py --jpeg Q --json (repeatable: one per quality)",
    )
    ap.add_argument("--artifacts", type=Path, help="JSON line printed by benchmarks/artifacts.py --model M --json")
    ap.add_argument("--imagine", type=Path, help="JSON line printed by benchmarks/imagine.py --model M --json")
    ap.add_argument("--command", default="", help="the training command(s), for the record")
    ap.add_argument("--notes", type=Path, help="a Markdown file appended to the card (status, caveats)")
    ap.add_argument("--description", default="", help="one line for `upscale2x models` (written into card.json)")
    a = ap.parse_args()
    card = json.loads((a.bundle / "card.json").read_text())
    card["name"] = a.bundle.name  # the run folder's name at export; the shipped name is the folder's
    if a.description:
        card["description"] = a.description
    # The benchmark results go into card.json too: tests/test_models.py re-runs quality.py and compares.
    for key, path in (
        (QUALITY_KEYS[0], a.quality),
        (QUALITY_KEYS[1], a.quality_heldout),
        ("artifacts", a.artifacts),
        ("imagine", a.imagine),
    ):
        if path:
            card["metrics"][key] = json.loads(path.read_text().strip().splitlines()[-1])
    for path in a.quality_jpeg:
        q = json.loads(path.read_text().strip().splitlines()[-1])
        if not q.get("jpeg"):
            ap.error(f"{path}: not a quality.py --jpeg Q result (no 'jpeg' quality in it)")
        card["metrics"][f"{QUALITY_KEYS[0]}_jpeg{q['jpeg']}"] = q
    (a.bundle / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    t, m = card["training"], card["metrics"]
    name = a.bundle.name
    lines = [
        f"# {name}",
        "",
        f"{card['description']}",
        "",
        f"- task: `{card['task']}` (x{card['shapes']['scale']}, {card['shapes']['in_cell']} px cells in, "
        f"{card['shapes']['out_cell']} px out, {card['shapes']['in_channels']} -> {card['shapes']['out_channels']} "
        "channels)",
        f"- generator: {_generator(card)}, {card['parameters']:,} parameters, stored in float32 "
        f"({(a.bundle / 'model.keras').stat().st_size / 1e6:.1f} MB)",
        *_training_lines(t),
        f"- images: {t['images']} ({t['train_images']} trained on, {t['held_out']} held out)",
        "",
        "## Data and licences",
        "",
        SOURCES.get(name, "(see card.json)"),
        "",
        "## Held-out metrics",
        "",
        f"On the {m['held_out']} held-out images (256x256 centre crops): L1 {m['l1']:.4f} (pixel values in [0, 1]).",
    ]
    if "psnr_model" in m:
        lines += [
            "",
            f"- PSNR {m['psnr_model']:.2f} dB vs bicubic {m['psnr_bicubic']:.2f} dB ({m['psnr_gain_db']:+.2f} dB)",
            f"- SSIM {m['ssim_model']:.3f} vs bicubic {m['ssim_bicubic']:.3f}",
            f"- sharpness (mean |Laplacian|) {m['sharpness_vs_target']:.2f} of the real photos' "
            f"(bicubic {m['sharpness_bicubic'] / m['sharpness_target']:.2f})",
        ]
    for key, what in zip(QUALITY_KEYS, QUALITY_WHAT, strict=True):
        if key in m:
            lines += ["", *_quality_lines(m[key], what)]
    for key in sorted((k for k in m if k.startswith(f"{QUALITY_KEYS[0]}_jpeg")), key=lambda k: -m[k]["jpeg"]):
        what = f"`python benchmarks/quality.py --jpeg {m[key]['jpeg']}` (the same photos, each input saved as a JPEG first)"
        lines += ["", *_quality_lines(m[key], what)]
    if "artifacts" in m:
        lines += ["", *_artifact_lines(m["artifacts"])]
    if "imagine" in m:
        lines += ["", *_imagine_lines(m["imagine"])]
    if card.get("exports"):
        lines += ["", *_export_lines(card)]
    if a.command:
        lines += ["", "## How to reproduce", "", "```bash", a.command, "```"]
    if a.notes:
        lines += ["", a.notes.read_text().strip()]
    (a.bundle / "MODEL_CARD.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
