"""A trained generator on disk: a folder holding ``model.keras`` and ``card.json``.

The card says what the weights are for (task, cells, channels, preset) and how they were made (data, settings,
metrics). Loading uses Keras safe mode (no pickled code runs) and checks the card against the weights.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ModelError
from ..fieldcheck import build
from ..io.atomic import private_folder, publish
from .nets import MAX_RES_BLOCKS, PADDINGS, UPSAMPLERS, check_blocks, check_lattice_window
from .tasks import TASKS, TaskSpec

CARD = "card.json"
WEIGHTS = "model.keras"
CARD_VERSION = 1
DERIVED = ("shapes", "preprocessing")  # keys to_json spells out for readers; from_json skips them


@dataclass(frozen=True)
class Card:
    """What a bundle's weights are and where they came from."""

    task: str  # a name in tasks.TASKS
    base_width: int  # generator base width w
    preset: str | None = None  # small / medium / large, or None for a custom width
    max_width: int = 512  # filter cap of the generator (512 in the paper)
    upsample: str = "transpose"  # decoder upsampling (nets.UPSAMPLERS): pix2pix's transposed conv, or resize
    res_blocks: int = 0  # residual blocks at 1/8 of the cell (nets.unet_generator; 0 = pix2pix's U-Net)
    block_width: int = 0  # inner width of the residual blocks (0 = their own width)
    attention: bool = False  # RCAN's channel attention in every residual block
    lattice_free: bool = False  # the generator ends in layers.LatticeFree (no 8-px periodic part in its output)
    lattice_free_window: int = 0  # px: that layer works round each pixel over this window (0 = the whole cell)
    padding: str = "zero"  # convolution borders (nets.PADDINGS): zeros, or mirrored pixels (layers.ReflectPad)
    parameters: int = 0  # generator parameter count (checked on load)
    name: str = ""  # short name shown by `upscale2x models`
    description: str = ""  # one line for humans
    training: dict[str, Any] = field(default_factory=dict)  # data folder, images, epochs, batch, time, hardware
    metrics: dict[str, Any] = field(default_factory=dict)  # held-out L1, PSNR/SSIM vs bicubic, ...
    exports: dict[str, Any] = field(default_factory=dict)  # engine -> file, quantisation, size, error (export.py)
    version: int = CARD_VERSION  # card format version

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"unknown task {self.task!r}; expected one of {', '.join(TASKS)}")
        if self.base_width < 1:
            raise ValueError(f"base_width must be >= 1, got {self.base_width}")
        if self.upsample not in UPSAMPLERS:
            raise ValueError(f"upsample must be one of {', '.join(UPSAMPLERS)}, got {self.upsample!r}")
        if not 0 <= self.res_blocks <= MAX_RES_BLOCKS:
            raise ValueError(f"res_blocks must be 0-{MAX_RES_BLOCKS}, got {self.res_blocks}")
        check_blocks(self.res_blocks, self.block_width, self.attention)
        check_lattice_window(self.lattice_free, self.lattice_free_window)
        if self.padding not in PADDINGS:
            raise ValueError(f"padding must be one of {', '.join(PADDINGS)}, got {self.padding!r}")

    @property
    def spec(self) -> TaskSpec:
        """The task's shapes and feeding."""
        return TASKS[self.task]

    def to_json(self) -> dict[str, Any]:
        """The card as written to disk, with the task's derived shapes spelled out for readers."""
        d = asdict(self)
        s = self.spec
        d["shapes"] = {
            "scale": s.scale,
            "in_cell": s.in_cell,
            "out_cell": s.out_cell,
            "in_channels": s.in_channels,
            "out_channels": s.out_channels,
        }
        d["preprocessing"] = {
            "image": s.image_prep or "none",
            "cell": s.cell_prep or "none",
            "range": "[-1, 1]",
            "residual": s.residual,
        }
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any], where: Path) -> Card:
        """Build a card from its JSON dict; :class:`ModelError` naming ``where`` if fields are wrong."""
        card = build(cls, d, where, ModelError, derived=DERIVED)
        if card.version > CARD_VERSION:
            raise ModelError(f"{where}: card version {card.version} is newer than this upscale2x ({CARD_VERSION})")
        return card


@dataclass
class Bundle:
    """A loaded bundle: the Keras generator (None when only its LiteRT export will run) and its card."""

    model: Any  # keras.Model: [N, H, W, in_channels] in [-1, 1] -> [N, H, W, out_channels] in [-1, 1]
    card: Card
    path: Path | None = None

    @property
    def spec(self) -> TaskSpec:
        return self.card.spec


def save_bundle(bundle: Bundle, folder: str | Path) -> Path:
    """Write ``bundle`` to ``folder`` (created if needed) atomically, file by file. Returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    card = bundle.card
    if not card.parameters:
        from dataclasses import replace

        card = replace(card, parameters=int(bundle.model.count_params()))
    with private_folder(folder) as tmp:  # Keras writes by path: into a folder of our own, then published
        bundle.model.save(tmp / WEIGHTS)
        (tmp / CARD).write_text(json.dumps(card.to_json(), indent=2) + "\n")
        publish(tmp / WEIGHTS, folder / WEIGHTS, replace=True)
        publish(tmp / CARD, folder / CARD, replace=True)
    return folder


def read_card(folder: str | Path) -> Card:
    """Read only the card of the bundle in ``folder`` (cheap: no TensorFlow)."""
    folder = Path(folder)
    path = folder / CARD
    if not folder.is_dir():
        raise ModelError(f"{folder}: no such model folder" if not folder.exists() else f"{folder}: not a folder")
    if not path.is_file():
        raise ModelError(f"{folder}: not a model bundle (no {CARD})")
    try:
        data = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelError(f"{path}: not valid JSON ({e})") from None
    except RecursionError:
        raise ModelError(f"{path}: nested too deeply to be a card") from None
    except ValueError as e:  # e.g. an integer of more than 4300 digits
        raise ModelError(f"{path}: not a card ({str(e).split(';')[0]})") from None
    except OSError as e:
        raise ModelError(f"{path}: cannot read ({e.strerror})") from None
    if not isinstance(data, dict):
        raise ModelError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return Card.from_json(data, path)


def load_bundle(folder: str | Path) -> Bundle:
    """Load the bundle in ``folder``: card, then weights with Keras safe mode, then check they agree.

    Raises :class:`ModelError` for a missing folder or file, a corrupt/truncated/foreign weights file, or a card
    whose task shapes or parameter count do not match the weights.
    """
    folder = Path(folder)
    card = read_card(folder)
    weights = folder / WEIGHTS
    if not weights.is_file():
        raise ModelError(f"{folder}: no {WEIGHTS} beside the card")
    if not zipfile.is_zipfile(weights):
        raise ModelError(f"{weights}: not a Keras .keras archive (corrupt, truncated or foreign file)")
    from . import layers  # noqa: F401 - registers the generator's own layers for safe-mode loading
    from ._tf import keras

    try:
        model = keras.saving.load_model(weights, compile=False, safe_mode=True)
    except Exception as e:  # Keras raises many types for bad archives; all mean the same to the user
        raise ModelError(f"{weights}: cannot load ({type(e).__name__}: {str(e).splitlines()[0][:200]})") from None
    check_card(model, card, weights)
    return Bundle(model, card, folder)


def check_card(model, card: Card, where: Path) -> None:
    """Raise :class:`ModelError` if ``model`` does not have the channels and parameter count ``card`` says."""
    s = card.spec
    try:
        in_ch = model.inputs[0].shape[-1]
        out_ch = model.outputs[0].shape[-1]
    except (AttributeError, IndexError, TypeError):
        raise ModelError(f"{where}: expected a functional generator with one input and one output") from None
    if (in_ch, out_ch) != (s.in_channels, s.out_channels):
        raise ModelError(
            f"{where}: card says task {card.task} ({s.in_channels}->{s.out_channels} channels), "
            f"weights are {in_ch}->{out_ch}"
        )
    from .layers import LatticeFree, ReflectPad

    free = [layer for layer in model.layers if isinstance(layer, LatticeFree)]
    if bool(free) != card.lattice_free:
        raise ModelError(
            f"{where}: card says lattice_free {str(card.lattice_free).lower()}, the weights "
            f"{'end' if free else 'do not end'} in a LatticeFree layer"
        )
    if free and free[0].window != card.lattice_free_window:
        raise ModelError(
            f"{where}: card says lattice_free_window {card.lattice_free_window}, the weights' LatticeFree layer "
            f"has window {free[0].window}"
        )
    mirrored = any(isinstance(layer, ReflectPad) for layer in model.layers)
    if mirrored != (card.padding == "reflect"):
        raise ModelError(
            f"{where}: card says padding {card.padding}, the weights {'have' if mirrored else 'have no'} "
            "ReflectPad layers"
        )
    n = int(model.count_params())
    if card.parameters and n != card.parameters:
        raise ModelError(f"{where}: card says {card.parameters:,} parameters, weights have {n:,}")


def models_dir() -> Path:
    """Where shipped bundles live: ``$UPSCALE2X_MODELS``, the ``models/`` folder beside the package (a checkout,
    an editable install), or the copy inside the package (a wheel; setup.py puts it there)."""
    env = os.environ.get("UPSCALE2X_MODELS")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parents[1]  # the upscale2x package (this module is in upscale2x/model/)
    beside = here.parent / "models"
    return beside if (beside / "sr8x" / CARD).is_file() or not (here / "models").is_dir() else here / "models"


def list_bundles(on_skip=None) -> list[tuple[str, Card]]:
    """(name, card) of every bundle in :func:`models_dir`, sorted by name; a bad or unreadable one is skipped,
    with its one-line reason passed to ``on_skip`` (the CLI prints it as a warning)."""
    root = models_dir()
    try:
        folders = sorted(root.iterdir()) if root.is_dir() else []
    except OSError as e:
        if on_skip:
            on_skip(f"{root}: cannot list the models folder ({e.strerror})")
        return []
    found = []
    for folder in folders:
        try:
            if not (folder / CARD).is_file():
                continue
            found.append((folder.name, read_card(folder)))
        except (ModelError, OSError) as e:
            if on_skip:
                on_skip(f"{e}; skipped")
    return found


def resolve_bundle(name_or_path: str | Path) -> Path:
    """A bundle folder from a path, or a name in :func:`models_dir`. :class:`ModelError` if neither exists."""
    p = Path(name_or_path)
    if p.is_dir() or p.exists():
        return p
    shipped = models_dir() / str(name_or_path)
    if shipped.is_dir():
        return shipped
    names = ", ".join(n for n, _ in list_bundles()) or "none installed"
    raise ModelError(f"{name_or_path}: no such model folder or shipped model (shipped: {names})")


def default_bundle(task: str) -> Path:
    """The shipped bundle for ``task``: the one named after the task (``models/sr8x``), else the first of its task."""
    candidates = [n for n, c in list_bundles() if c.task == task]
    if not candidates:
        raise ModelError(f"{models_dir()}: no shipped model for task {task}; pass --model PATH")
    return models_dir() / (task if task in candidates else candidates[0])
