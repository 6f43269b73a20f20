"""Build the native SM2/SM3 core.

Everything else is declared in pyproject.toml; this file only exists because a C
extension needs compile flags. There is deliberately no pure-Python fallback: if
the core does not compile, installation fails.
"""

import os
import sys

from setuptools import Extension, setup

NATIVE = "trustkit/_native"
SOURCES = [
    f"{NATIVE}/module.c",
    f"{NATIVE}/sm2_core.c",
    f"{NATIVE}/sm3.c",
]

if sys.platform == "win32":
    compile_args: list[str] = ["/O2"]
    link_args: list[str] = []
else:
    compile_args = [
        "-O2",
        # GCC's SLP vectoriser turns branch-free selects into store/vector-load
        # sequences that stall, and can undo constant-time masking (see
        # reference/sm2-performance.md section 4.1).
        "-fno-tree-slp-vectorize",
        "-fno-strict-aliasing",
        "-Wall",
        "-Wextra",
        "-Wno-unused-parameter",
        "-Wno-missing-field-initializers",
        "-pthread",
    ]
    if os.environ.get("TRUSTKIT_WERROR"):
        compile_args.append("-Werror")
    link_args = ["-pthread"]

setup(
    ext_modules=[
        Extension(
            "trustkit._native._tkcore",
            sources=SOURCES,
            depends=[f"{NATIVE}/{h}" for h in ("sm2_core.h", "sm2_field_impl.h", "sm3.h", "ct.h")],
            include_dirs=[NATIVE],
            extra_compile_args=compile_args,
            extra_link_args=link_args,
        )
    ]
)
