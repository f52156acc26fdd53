"""`pip install .`: the `handoff` package with the app's own files copied into it.

The app (app.py, pages/), its queries, its Streamlit settings and the shipped agreement live at
the top of the repository, where a checkout runs them; an installed copy finds them in
`handoff/_app` (handoff.paths decides, and lists them in APP_FILES). Everything else about the
package is in pyproject.toml.
"""

import ast
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


def app_files() -> tuple[str, ...]:
    """handoff.paths.APP_FILES, read from its source: the build runs before the package can be
    imported."""
    tree = ast.parse((HERE / "handoff" / "paths.py").read_text(encoding="utf-8"))
    return next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "APP_FILES"
    )


class BuildWithApp(build_py):
    """The package as usual, then the app's files into handoff/_app."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "handoff" / "_app"
        for pattern in app_files():
            for path in sorted(HERE.glob(pattern)):
                out = target / path.relative_to(HERE)
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, out)


setup(cmdclass={"build_py": BuildWithApp})
