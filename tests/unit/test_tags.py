"""The runtime's tag set (harness.provision.tags): pure computation from a distribution's facts.

The expected lists are micropip's own ``sys_tags()`` as measured inside each runtime (micropip
0.9.0 in Pyodide 0.27.7, 0.11.1 in 0.29.5 and 314.0.7); tests/test_packages.py checks the same
equality against a booted runtime.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from packaging.tags import Tag

from harness.provision.tags import pyemscripten_version, runtime_tags

V0277 = runtime_tags("3.12", "2024_0", "emscripten_3_1_58", "wasm32", None)
V0295 = runtime_tags("3.13", "2025_0", "emscripten_4_0_9", "wasm32", "2025_0")
V314 = runtime_tags("3.14", "2026_0", "emscripten_5_0_3", "wasm32", "2026_0")


def names(tags: tuple[Tag, ...]) -> list[str]:
    return [str(t) for t in tags]


def test_0_27_knows_only_the_pyodide_spelling() -> None:
    assert V0277.platforms == ("pyodide_2024_0_wasm32", "emscripten_3_1_58_wasm32")
    assert len(V0277.tags) == 69
    assert names(V0277.tags)[:3] == [
        "cp312-cp312-pyodide_2024_0_wasm32",
        "cp312-cp312-emscripten_3_1_58_wasm32",
        "cp312-abi3-pyodide_2024_0_wasm32",
    ]
    assert not any("pyemscripten" in t for t in names(V0277.tags))


def test_0_29_and_314_accept_pep_783_first() -> None:
    assert V0295.platforms == ("pyemscripten_2025_0_wasm32", "pyodide_2025_0_wasm32", "emscripten_4_0_9_wasm32")
    assert len(V0295.tags) == 103 and len(V314.tags) == 110
    assert names(V314.tags)[:3] == [
        "cp314-cp314-pyemscripten_2026_0_wasm32",
        "cp314-cp314-pyodide_2026_0_wasm32",
        "cp314-cp314-emscripten_5_0_3_wasm32",
    ]
    assert names(V314.tags)[-3:] == ["py32-none-any", "py31-none-any", "py30-none-any"]


def test_accepts_and_rank() -> None:
    pep783 = {Tag("cp314", "cp314", "pyemscripten_2026_0_wasm32")}
    old_spelling = {Tag("cp314", "cp314", "pyodide_2026_0_wasm32")}
    pure = {Tag("py3", "none", "any")}
    assert V314.accepts(pep783) and V314.accepts(old_spelling) and V314.accepts(pure)
    rank = V314.rank
    assert rank(pep783) == 0 and rank(old_spelling) == 1 and (rank(pure) or 0) > 50
    assert not V0295.accepts(pep783) and V0295.rank(pep783) is None
    assert not V0277.accepts({Tag("cp312", "cp312", "pyemscripten_2024_0_wasm32")})
    assert V0277.accepts({Tag("cp312", "abi3", "emscripten_3_1_58_wasm32")})


def test_pip_args_name_every_platform() -> None:
    args = V314.pip_args()
    platforms = [args[i + 1] for i, a in enumerate(args) if a == "--platform"]
    assert platforms == [*V314.platforms, "any"]
    assert [args[i + 1] for i, a in enumerate(args) if a == "--abi"] == ["cp314", "abi3", "none"]
    assert "--only-binary=:all:" in args and args[args.index("--python-version") + 1] == "3.14"
    assert V314.describe().startswith("cp314-cp314/abi3 on pyemscripten_2026_0_wasm32 or ")


def test_pyemscripten_version_from_sysconfig(tmp_path: Path) -> None:
    with_it, without = tmp_path / "a.zip", tmp_path / "b.zip"
    with zipfile.ZipFile(with_it, "w") as zf:
        zf.writestr(
            "_sysconfigdata__emscripten_wasm32-emscripten.py",
            "build_time_vars = {'PYEMSCRIPTEN_PLATFORM_VERSION': '2026_0', 'PYODIDE_ABI_VERSION': '2026_0'}",
        )
    with zipfile.ZipFile(without, "w") as zf:
        zf.writestr(
            "_sysconfigdata__emscripten_wasm32-emscripten.py", "build_time_vars = {'PYODIDE_ABI_VERSION': '2024_0'}"
        )
    assert pyemscripten_version(with_it) == "2026_0"
    assert pyemscripten_version(without) is None
