"""Write MODEL_CARD.md beside a shipped bundle from its card.json (and benchmark JSON, if given).

python models/write_card.py models/sr8x [--quality q.json] [--quality-heldout q2.json] [--description TEXT]
    [--command TEXT] [--notes NOTES.md]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

SOURCES = {
    "sr8x": """- 472 flower photos from the Oxford 102 Category Flower Dataset (70 of the 102 classes, `shared/data/
  flowers102-train`), published by the Visual Geometry Group, University of Oxford, **for research use**.
- 204 tiles of 512x512 pixels cut at native resolution from 16 photos in Debian's
  `plasma-workspace-wallpapers` (Autumn, BytheWater, ColdRipple, DarkestHour, EveningGlow, FallenLeaf, Kite,
  OneStandsOut, summer_1am; GPL-2+ per the package's Debian copyright file) and `mate-backgrounds`
  (nature: Blinds, Dune, LadyBird, RainDrops, Storm, TwoWings, Wood; GPL-2+ per its Debian copyright file).
- Held out entirely (never trained on): the wallpapers Path and ColorfulCups, and scikit-image's sample photos
  used by `benchmarks/quality.py`.""",
    "see-flowers": """- 472 flower photos from the Oxford 102 Category Flower Dataset (70 of the 102 classes,
  `shared/data/flowers102-train`), published by the Visual Geometry Group, University of Oxford, **for research use**: this
  model inherits that restriction.""",
    "see-abstracts": """- 278 tiles of 1024x1024 pixels cut from the abstract renders of Debian's
  `gnome-backgrounds` (adwaita, grid, licorice, pixels, symbolic, truchet, wood; CC-BY-SA-3.0) and `ukui-wallpapers` (2004default,
  firstgeneration, rhythm, string, the-mouse, calla, fluent-color, focal-ubuntukylin, goldfish; CC-BY-SA-3.0).""",
}
SOURCES["sr8x-detail"] = SOURCES["sr8x"]  # the same data: sr8x fine-tuned

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
        f"- SSIM {q['ssim_model']:.3f} vs {q['ssim_bicubic']:.3f}; sharpness {q['sharpness_ratio']:.2f}x bicubic "
        f"(the real photos: {q['sharpness_target'] / q['sharpness_bicubic']:.2f}x)",
    ]


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
        gan = p.get("gan_weight", 1.0)
        loss = (
            "L1 only (GAN weight 0, no discriminator)" if gan == 0 else f"GAN weight {gan}, L1 weight {p['l1_weight']}"
        )
        start = f"from the bundle of phase {i}, " if i else ""
        lines.append(
            f"  {i + 1}. {start}{p['epochs']} epochs, {p['steps']:,} steps, batch {p['batch']}, lr {p['lr']}, {loss}, "
            + ("" if gan == 0 else f"discriminator ndf {p['ndf']}, ")
            + f"seed {p['seed']}: {p['train_seconds'] / 3600:.2f} h"
        )
    total = sum(p["train_seconds"] for p in phases)
    head = f"- trained with `upscale2x train` in {len(phases)} phase{'s' if len(phases) > 1 else ''}:"
    return [
        head,
        *lines,
        f"- training time: {total / 3600:.1f} h in all on {t['hardware']}, shared with other jobs "
        "(spread over several sittings with `--resume`)",
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("bundle", type=Path)
    ap.add_argument("--quality", type=Path, help="JSON line printed by benchmarks/quality.py --json")
    ap.add_argument("--quality-heldout", type=Path, help="the same for benchmarks/quality.py data/heldout --json")
    ap.add_argument("--command", default="", help="the training command(s), for the record")
    ap.add_argument("--notes", type=Path, help="a Markdown file appended to the card (status, caveats)")
    ap.add_argument("--description", default="", help="one line for `upscale2x models` (written into card.json)")
    a = ap.parse_args()
    card = json.loads((a.bundle / "card.json").read_text())
    card["name"] = a.bundle.name  # the run folder's name at export; the shipped name is the folder's
    if a.description:
        card["description"] = a.description
    # The benchmark results go into card.json too: tests/test_models.py re-runs quality.py and compares.
    for key, path in ((QUALITY_KEYS[0], a.quality), (QUALITY_KEYS[1], a.quality_heldout)):
        if path:
            card["metrics"][key] = json.loads(path.read_text().strip().splitlines()[-1])
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
        f"- generator: preset `{card['preset']}` (base width {card['base_width']}), "
        f"{card['parameters']:,} parameters, stored in float32 ({(a.bundle / 'model.keras').stat().st_size / 1e6:.1f} MB)",
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
            f"- sharpness (mean Sobel gradient) {m['sharpness_ratio']:.2f}x bicubic "
            f"(the real photos: {m['sharpness_target'] / m['sharpness_bicubic']:.2f}x)",
        ]
    for key, what in zip(QUALITY_KEYS, QUALITY_WHAT, strict=True):
        if key in m:
            lines += ["", *_quality_lines(m[key], what)]
    if a.command:
        lines += ["", "## How to reproduce", "", "```bash", a.command, "```"]
    if a.notes:
        lines += ["", a.notes.read_text().strip()]
    (a.bundle / "MODEL_CARD.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
