"""Print series: many seeded candidates, contact sheets to pick from, full-size renders of the picks.

Everything a candidate is (source, seed, jitter, chain) is in ``manifest.json``; the same seed gives the same
pixels. Runs are resumable (existing outputs are skipped, writes are atomic), a bad source is reported at the
end without stopping the others, and ``shard=(k, n)`` splits the work deterministically across machines.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from ..errors import SeriesError, Upscale2xError
from ..io.atomic import write_text
from ..io.read import read_image
from ..io.write import ImageWriter, write_image
from ..model.bundle import resolve_bundle
from ..model.engines import ENGINES
from ..render.bands import AreaSink, CropSink, PadSink
from ..render.scaleplan import UPSCALER, upscaler_stages
from ..render.stages import Chain, Stage, open_stage
from .sheet import contact_sheet
from .spec import MAX_CANDIDATES, SeriesSpec, extension, print_pixels, source_files
from .starts import generate, mix, mix_weights

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Candidate:
    """One candidate: a source and the seeded variation applied to it."""

    id: int
    source: str  # an image path, generated:KIND:N, or mix:N
    seed: int  # dropout masks and jitter
    shift: tuple[int, int]  # (dy, dx) pixels
    rotate: float  # degrees
    contrast: float  # factor around the mean
    mix: tuple[tuple[str, float], ...] = ()  # a mix: (image path, weight) of each blended image


@dataclass
class SeriesResult:
    rendered: list[Path] = field(default_factory=list)
    skipped: int = 0  # outputs that already existed
    failures: list[str] = field(default_factory=list)  # one line per bad source


def plan(spec: SeriesSpec, rounds: int = 1) -> list[Candidate]:
    """Every candidate of the series, in id order (independent of sharding).

    ``rounds`` > 1 adds ``candidates`` more per source per round ("generate more"): a round's ids follow all the
    earlier ones and its seeds continue each source's sequence, so adding one never changes an existing candidate.
    """
    files = [str(p) for p in source_files(spec)]
    n_mix = spec.sources.mix
    # With mix, the images are the pool: each mix start draws its own n_mix of them, each candidate its weights.
    sources = [f"mix:{i}" for i in range(spec.sources.mixes)] if n_mix else list(files)
    sources += [f"generated:{spec.sources.generator}:{i}" for i in range(spec.sources.generated)]
    v, out, per = spec.variation, [], spec.candidates
    pools = []
    for s_idx, source in enumerate(sources):
        pool = ()
        if source.startswith("mix:"):
            picks = np.random.default_rng([spec.seed, 11, s_idx]).choice(len(files), n_mix, replace=False)
            pool = tuple(files[int(j)] for j in picks)
        pools.append(pool)
    for r in range(rounds):
        for s_idx, source in enumerate(sources):
            for j in range(per):
                cid, k = (r * len(sources) + s_idx) * per + j, r * per + j  # k: the source's own sequence
                seed = int(np.random.default_rng([spec.seed, s_idx, k]).integers(0, 2**31 - 1))
                rng = np.random.default_rng(seed)
                shift = tuple(int(x) for x in rng.integers(-v.shift, v.shift + 1, 2))
                rot = round(float(rng.uniform(-v.rotate, v.rotate)), 3)
                con = round(float(rng.uniform(1 - v.contrast, 1 + v.contrast)), 4)
                pool = pools[s_idx]
                blend = tuple(zip(pool, mix_weights(n_mix, seed), strict=True)) if pool else ()
                out.append(Candidate(cid, source, seed, shift, rot, con, blend))
    return out


ROUNDS = "rounds.json"  # in the series folder: how many rounds of candidates ("generate more") it has


def load_rounds(out: Path) -> int:
    path = Path(out) / ROUNDS
    if not path.is_file():
        return 1
    try:
        rounds = json.loads(path.read_text())["rounds"]
        if not isinstance(rounds, int) or rounds < 1:
            raise ValueError("rounds must be a whole number >= 1")
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise SeriesError(f"{path}: not a rounds file ({e})") from None
    return rounds


def in_shard(cid: int, shard: tuple[int, int]) -> bool:
    k, n = shard
    return cid % n == k - 1


def source_image(spec: SeriesSpec, cand: Candidate) -> np.ndarray:
    """The candidate's source, float RGB (alpha dropped). Raises ImageReadError for a bad file."""
    if cand.source.startswith("generated:"):
        _, kind, n = cand.source.split(":")
        return generate(kind, spec.sources.size, int(np.random.default_rng([spec.seed, 7, int(n)]).integers(2**31)))
    if cand.mix:
        return mix([read_image(p).rgb for p, _ in cand.mix], tuple(w for _, w in cand.mix), spec.sources.size)
    return read_image(cand.source).rgb


def jitter(img: np.ndarray, cand: Candidate) -> np.ndarray:
    """Shift, rotate (about the centre, reflecting at the border) and change contrast, deterministically."""
    from skimage.transform import AffineTransform, warp

    h, w = img.shape[:2]
    centre = np.array([w / 2, h / 2])
    t = AffineTransform(translation=-centre)
    t = t + AffineTransform(rotation=math.radians(cand.rotate)) + AffineTransform(translation=centre)
    t = t + AffineTransform(translation=(cand.shift[1], cand.shift[0]))
    out = warp(img, t.inverse, mode="reflect", order=3, preserve_range=True).astype(np.float32)
    mean = out.mean()
    return np.clip((out - mean) * cand.contrast + mean, 0, 1).astype(np.float32)


class Series:
    """Runs one spec into ``out``."""

    def __init__(
        self,
        spec: SeriesSpec,
        out: Path,
        shard: tuple[int, int] = (1, 1),
        engine: str = "auto",
        spec_file: Path | None = None,  # recorded in the manifest, so `upscale2x studio OUT` finds the spec
    ):
        k, n = shard
        if not (n >= 1 and 1 <= k <= n):
            raise SeriesError(f"--shard must be K/N with 1 <= K <= N, got {k}/{n}")
        if engine not in ENGINES:
            raise SeriesError(f"--engine must be one of {', '.join(ENGINES)}, got {engine!r}")
        self.spec, self.out, self.shard, self.engine = spec, Path(out), shard, engine
        self.spec_file = Path(spec_file).resolve() if spec_file else None
        self.rounds = load_rounds(self.out)
        self.candidates = plan(spec, self.rounds)
        self._stages: dict[str, Stage] = {}
        self.notes: list[str] = []  # engine fallbacks (engines.choose_engine), for the CLI to show
        self._last_source: tuple[tuple, np.ndarray] | None = None

    def add_round(self) -> list[Candidate]:
        """One more round of candidates (``candidates`` more per source), saved with the series; the new ones."""
        if len(self.candidates) + len(self.candidates) // self.rounds > MAX_CANDIDATES:
            raise SeriesError(f"more candidates would pass {MAX_CANDIDATES:,}")
        self.out.mkdir(parents=True, exist_ok=True)
        try:
            write_text(self.out / ROUNDS, json.dumps({"rounds": self.rounds + 1}) + "\n")
        except OSError as e:
            raise SeriesError(f"{self.out / ROUNDS}: cannot save ({e.strerror or e})") from None
        self.rounds += 1
        before = len(self.candidates)
        self.candidates = plan(self.spec, self.rounds)
        return self.candidates[before:]

    def reprinted(self, spec: SeriesSpec) -> Series:
        """This series with ``spec``'s print settings (its candidates the same), sharing the models already loaded."""
        other = Series(replace(self.spec, print=spec.print), self.out, self.shard, self.engine, self.spec_file)
        other._stages, other.notes = self._stages, self.notes
        return other

    def source(self, cand: Candidate) -> np.ndarray:
        """The candidate's source image, decoded once for all the candidates of a source (they come in order)."""
        key = (cand.source, cand.mix)  # a mix's candidates share its images, not their weights
        if self._last_source is None or self._last_source[0] != key:
            self._last_source = (key, source_image(self.spec, cand))
        return self._last_source[1]

    def stage(self, name: str, cand: Candidate | None) -> Stage:
        """The stage of bundle ``name``, set to this candidate's dropout noise (when the spec keeps dropout on).

        One stage per model for the whole series: the noise seed is a variable, so nothing is re-traced.
        """
        if name not in self._stages:
            noisy = self.spec.variation.dropout and name == self.spec.model  # the first stage (Stage's policy)
            try:
                self._stages[name], note = open_stage(
                    resolve_bundle(name), self.engine, (cand.seed if cand else 0) if noisy else None
                )
            except Upscale2xError as e:
                raise SeriesError(f"model {name!r}: {e}") from None
            self.notes += [note] if note else []
        st = self._stages[name]
        if st.noise_seed is not None:
            st.set_noise_seed(cand.seed if cand else 0)
        return st

    def write_manifest(self) -> Path:
        s = self.spec
        data = {
            **({"spec": str(self.spec_file)} if self.spec_file else {}),
            "name": s.name,
            "model": s.model,
            "upscaler": s.upscaler,
            "seed": s.seed,
            "variation": asdict(s.variation),
            "print": asdict(s.print),
            "candidates": [asdict(c) for c in self.candidates],
        }
        path = self.out / "manifest.json"
        try:
            return write_text(path, json.dumps(data, indent=1) + "\n")
        except OSError as e:  # a folder in its place, a full disk: one line, the previews already written stay
            raise SeriesError(f"{path}: cannot write the manifest ({e.strerror or e})") from None

    def candidate_path(self, cid: int) -> Path:
        return self.out / "candidates" / f"{self.spec.name}_{cid:04d}.png"

    def render_candidates(self, on_progress: Progress | None = None) -> SeriesResult:
        """Render this shard's missing previews (the chain's first stage), then the manifest and contact sheets."""
        self.stage(self.spec.model, None)  # a missing model is an error before any work
        (self.out / "candidates").mkdir(parents=True, exist_ok=True)
        mine = [c for c in self.candidates if in_shard(c.id, self.shard)]
        result, bad_sources = SeriesResult(), {}
        for i, cand in enumerate(mine):
            path = self.candidate_path(cand.id)
            if path.exists():
                result.skipped += 1
            elif cand.source in bad_sources:
                pass
            else:
                try:
                    img = jitter(self.source(cand), cand)
                except Upscale2xError as e:
                    bad_sources[cand.source] = str(e)
                    continue
                write_image(path, self.stage(self.spec.model, cand).run(img), overwrite=True)
                result.rendered.append(path)
            if on_progress:
                on_progress(i + 1, len(mine), f"candidate {cand.id}")
        result.failures = [f"{msg} (skipped its candidates)" for msg in bad_sources.values()]
        self.write_manifest()
        self.write_sheets()
        return result

    def write_sheets(self) -> list[Path]:
        """Contact sheets of every candidate rendered so far (by any shard)."""
        sh = self.spec.sheet
        done = [(c.id, self.candidate_path(c.id)) for c in self.candidates if self.candidate_path(c.id).exists()]
        (self.out / "sheets").mkdir(parents=True, exist_ok=True)
        paths = []
        for n in range(0, len(done), sh.per_sheet):
            items = [(cid, read_image(p).rgb) for cid, p in done[n : n + sh.per_sheet]]
            path = self.out / "sheets" / f"{self.spec.name}_sheet_{n // sh.per_sheet + 1:03d}.png"
            paths.append(write_image(path, contact_sheet(items, sh.columns, sh.thumb), overwrite=True))
        return paths

    def pick_path(self, cid: int, size: tuple[int, int]) -> Path:
        return self.out / "picks" / f"{self.spec.name}_{cid:04d}_{size[0]}x{size[1]}{extension(self.spec)}"

    def render_picks(self, ids: list[int], on_progress: Progress | None = None) -> SeriesResult:
        """Full-size renders of the picked candidates at the spec's print size and DPI."""
        by_id = {c.id: c for c in self.candidates}
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            raise SeriesError(f"--pick: no candidate {unknown[0]} (ids are 0..{len(self.candidates) - 1})")
        p = self.spec.print
        size = print_pixels(p.size, p.dpi)
        (self.out / "picks").mkdir(parents=True, exist_ok=True)
        result = SeriesResult()
        mine = [by_id[i] for i in ids if in_shard(i, self.shard)]
        for n, cand in enumerate(mine):
            path = self.pick_path(cand.id, size)
            if path.exists():
                result.skipped += 1
                continue
            try:
                img = jitter(self.source(cand), cand)
            except Upscale2xError as e:
                result.failures.append(str(e))
                continue
            first = self.stage(self.spec.model, cand).run(img)
            note = f"pick {cand.id}: cells"
            self._render_to_size(first, size, path, lambda d, t, note=note: on_progress and on_progress(d, t, note))
            result.rendered.append(path)
            if on_progress:
                on_progress(n + 1, len(mine), f"pick {cand.id} done")
        return result

    def _render_to_size(self, image: np.ndarray, size: tuple[int, int], path: Path, progress) -> None:
        """Render ``image`` to exactly ``size`` = (w, h) and stream it to ``path``: cover-cropped (``fit = crop``)
        or whole on white margins (``fit = pad``).

        The same planner as `upscale2x render --scale` (pipeline.ChainPlan): every stage streams, and the leftover
        downscale happens band by band, so the print is never held whole, as PNG or TIFF.
        """
        w, h = size
        p = self.spec.print
        with ImageWriter(path, h, w, 3, bits=p.bits, fmt=p.format, dpi=(p.dpi, p.dpi)) as writer:
            if p.fit == "pad":  # the whole candidate, centred on white margins: rendered at the contained size
                f = min(w / image.shape[1], h / image.shape[0])
                inner = (max(1, round(image.shape[0] * f)), max(1, round(image.shape[1] * f)))
                self._cover(image, inner, PadSink(writer.write, *inner, h, w), progress)
            else:
                self._cover(image, (h, w), writer.write, progress)

    def _cover(self, image: np.ndarray, size: tuple[int, int], sink, progress) -> None:
        """Stream ``image`` scaled to cover ``size`` = (h, w) and centre-cropped to it exactly into ``sink``: as many
        8x upscaler stages as that needs, or none (an area downscale) when the candidate is already big enough."""
        h, w = size
        f = max(w / image.shape[1], h / image.shape[0])
        stages = upscaler_stages(f)
        if stages:
            up = self.stage(self.spec.upscaler, None)
            if up.scale != UPSCALER:
                raise SeriesError(
                    f"upscaler {self.spec.upscaler!r} is a x{up.scale} model; it must be an 8x (sr8x) model"
                )
            Chain([up] * stages).run_to(image, h, w, sink, progress)
        else:
            cover = (max(h, math.ceil(image.shape[0] * f - 1e-6)), max(w, math.ceil(image.shape[1] * f - 1e-6)))
            crop = CropSink(sink, (cover[0] - h) // 2, (cover[1] - w) // 2, h, w)
            AreaSink(crop, *image.shape[:2], *cover)(image)
