"""Packaging hook (the project is configured in pyproject.toml): a built wheel carries the shipped models.

`pip install .` and wheels copy models/*/ (every bundle: card, weights, LiteRT export, model card) into
upscale2x/models/, and the browser runtime (web/runtime/) into upscale2x/web_runtime/. Editable installs
(`pip install -e .`) read both in place instead. Either way the install builds the browser runtime first when it
is missing and npm is there (web/build.py: `npm ci` of the pinned LiteRT.js and OpenSeadragon), so `upscale2x
web` and `upscale2x studio` work after the README's install; without npm it says so and the commands tell how to
build it later.
"""

import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


def build_web_runtime() -> None:
    """Run web/build.py when web/runtime is missing and npm is installed; a failure only warns."""
    runtime = ROOT / "web" / "runtime"
    if (runtime / "litert" / "index.js").is_file() and (runtime / "openseadragon" / "openseadragon.min.js").is_file():
        return
    if shutil.which("npm") is None:
        print("upscale2x: npm not found; `upscale2x web` needs `python web/build.py` once npm is installed")
        return
    done = subprocess.run([sys.executable, str(ROOT / "web" / "build.py")], check=False)
    if done.returncode:
        print("upscale2x: web/build.py failed; `upscale2x web` needs it (run it again by hand)")


class BuildWithModels(build_py):
    def run(self):
        build_web_runtime()
        super().run()
        if getattr(self, "editable_mode", False):
            return
        package = Path(self.build_lib) / "upscale2x"
        for bundle in sorted((ROOT / "models").iterdir()):
            if (bundle / "card.json").is_file():
                (package / "models" / bundle.name).mkdir(parents=True, exist_ok=True)
                for f in bundle.iterdir():
                    if f.is_file():
                        shutil.copyfile(f, package / "models" / bundle.name / f.name)
        runtime = ROOT / "web" / "runtime"
        if (runtime / "litert" / "index.js").is_file():
            shutil.copytree(runtime, package / "web_runtime", dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithModels})
