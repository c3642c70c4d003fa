"""Packaging hook (the project is configured in pyproject.toml): a built wheel carries the shipped models.

`pip install .` and wheels copy models/*/ (every bundle: card, weights, LiteRT export, model card) into
upscale2x/models/, and the browser runtime (web/runtime/, when web/build.py has built it) into
upscale2x/web_runtime/. Editable installs (`pip install -e .`) read both in place instead.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithModels(build_py):
    def run(self):
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
