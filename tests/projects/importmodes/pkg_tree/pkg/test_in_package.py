import sys


def test_module_name():
    # The module's import name depends on the import mode and the package layout.
    assert __name__ in ("pkg_tree.pkg.test_in_package", "test_in_package")


def test_sys_path_mode():
    assert any("importmodes" in p for p in sys.path) or __name__.startswith("pkg_tree")
