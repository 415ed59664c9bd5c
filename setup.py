"""Builds the optional C reader of HTML table rows, :mod:`parsers._cells`.

Everything else about the package is declared in pyproject.toml. The extension reads lxml's
element structs, so it is compiled against the lxml headers of the build environment; where
it cannot be built (no C compiler, no Cython) the package installs without it and reads tables
in Python, giving the same records more slowly.
"""

from setuptools import Extension, setup


def _extensions() -> list[Extension]:
    try:
        import lxml
        from Cython.Build import cythonize
    except ImportError:  # a build without Cython or lxml: pure Python
        return []
    extension = Extension("parsers._cells", ["parsers/_cells.pyx"], include_dirs=lxml.get_include())
    built = cythonize([extension], language_level=3, quiet=True)
    for ext in built:  # (cythonize makes new Extension objects, without the flag)
        ext.optional = True  # a failed compile is a warning: the package installs without it
    return built


setup(ext_modules=_extensions())
