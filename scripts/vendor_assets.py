"""Copy the pinned front-end files from node_modules/ into assets/vendor/.

`npm ci` fetches them (versions pinned in package.json and package-lock.json);
this script keeps only what the built book serves, under stable paths that
_config.yml points at. assets/vendor/ is generated: never edit or commit it.

Chapter 13's form runs the book's checker in the reader's browser: Pyodide's core (npm)
and the pure-Python wheels of sympy and mpmath at the versions requirements.txt pins
(fetched from PyPI with pip), listed with their sizes in vendor/checker.json, which the
form's Web Worker (assets/convgrad-checker.js) reads first.
"""

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "assets" / "vendor"

# (package, file or folder inside the package, destination inside assets/vendor)
COPIES = [
    # MathJax 3, the version Sphinx 7's mathjax3 support is written for. The whole es5
    # tree: the TeX component loads fonts and extensions from beside itself on demand.
    ("mathjax", "es5", "mathjax"),
    ("requirejs", "require.js", "requirejs/require.js"),
    # The ipywidgets 8 embed script, plus the icon fonts its stylesheet asks for.
    ("@jupyter-widgets/html-manager", "dist/embed-amd.js", "html-manager/embed-amd.js"),
    # anywidget's front end; the widget state names it "anywidget", which the
    # page's require.js configuration maps to this file.
    ("anywidget", "dist/index.js", "anywidget/index.js"),
    # Pyodide's core, loaded by chapter 13's checker only when a reader uses the form;
    # its packages (numpy...) are not on npm and not needed: the checker is pure Python.
    *(
        ("pyodide", name, f"pyodide/{name}")
        for name in (
            "pyodide.mjs",
            "pyodide.asm.mjs",
            "pyodide.asm.wasm",
            "python_stdlib.zip",
            "pyodide-lock.json",
        )
    ),
]
# the pure-Python wheels the checker imports, at requirements.txt's versions
WHEELS = ["sympy", "mpmath"]
# SVG fonts are for browsers from before WOFF; every browser the book targets picks woff2.
FONT_SUFFIXES = {".woff2", ".woff", ".ttf", ".eot"}
# MathJax's other ready-made combinations (the pages load tex-mml-chtml.js only) and its
# Node.js entry point: 12 MB the site never requests. Everything they load on demand
# (extensions, fonts, the menu's renderers and accessibility tools) stays.
MATHJAX_UNUSED = [
    "tex-chtml.js",
    "tex-chtml-full.js",
    "tex-chtml-full-speech.js",
    "tex-svg.js",
    "tex-svg-full.js",
    "tex-mml-svg.js",
    "mml-chtml.js",
    "mml-svg.js",
    "node-main.js",
]


def package_version(package: str) -> str:
    manifest = NODE_MODULES / package / "package.json"
    if not manifest.exists():
        sys.exit(f"{manifest} is missing: run `npm ci` first (make assets does both).")
    return json.loads(manifest.read_text())["version"]


def expected_versions() -> dict[str, str]:
    return json.loads((ROOT / "package.json").read_text())["dependencies"]


def pinned_wheels() -> list[str]:
    """``name==version`` of each package of WHEELS, as requirements.txt pins it."""
    from site_extras import pinned  # a sibling script: python puts scripts/ on the path

    return pinned(WHEELS)


def download_wheels(dest: Path) -> list[Path]:
    """The pinned pure-Python wheels from PyPI (pip's cache serves them again)."""
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        command += ["--only-binary=:all:", "--dest", scratch, *pinned_wheels()]
        subprocess.run(command, check=True)
        wheels = sorted(Path(scratch).glob("*.whl"))
        if len(wheels) != len(WHEELS) or not all(
            w.name.endswith("-py3-none-any.whl") for w in wheels
        ):
            sys.exit(f"expected {len(WHEELS)} pure-Python wheels, pip gave {wheels}")
        return [Path(shutil.copy2(wheel, dest / wheel.name)) for wheel in wheels]


def write_checker_manifest(wheels: list[Path]) -> None:
    """vendor/checker.json: where the checker's files are and how many bytes it loads."""
    core = VENDOR / "pyodide"
    manifest = {
        "pyodide": {
            "version": package_version("pyodide"),
            "bytes": sum(f.stat().st_size for f in core.iterdir()),
        },
        "wheels": [{"file": f"wheels/{w.name}", "bytes": w.stat().st_size} for w in wheels],
    }
    (VENDOR / "checker.json").write_text(json.dumps(manifest, indent=2) + "\n")


def main() -> None:
    pinned = expected_versions()
    for package, wanted in pinned.items():
        found = package_version(package)
        if found != wanted:
            sys.exit(f"node_modules has {package} {found}, package.json pins {wanted}: run npm ci")
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    for package, source, destination in COPIES:
        src = NODE_MODULES / package / source
        dst = VENDOR / destination
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            shutil.copy2(src, dst)
    for name in MATHJAX_UNUSED:
        (VENDOR / "mathjax" / name).unlink()
    fonts = NODE_MODULES / "@jupyter-widgets/html-manager/dist"
    for font in sorted(fonts.iterdir()):
        if font.suffix in FONT_SUFFIXES:
            shutil.copy2(font, VENDOR / "html-manager" / font.name)
    write_checker_manifest(download_wheels(VENDOR / "wheels"))
    (VENDOR / "VERSIONS.json").write_text(json.dumps(pinned, indent=2, sort_keys=True) + "\n")
    total = sum(f.stat().st_size for f in VENDOR.rglob("*") if f.is_file())
    print(f"vendored {len(pinned)} packages into {VENDOR.relative_to(ROOT)} ({total / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
