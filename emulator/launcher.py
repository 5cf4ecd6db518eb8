"""Starts moto's server with EFS Guard's emulator patches applied.

Usage: launcher.py PORT

Each module in patches/ fills one gap between moto and the AWS behaviour EFS Guard depends on. A patch is a
module with an ``apply()`` function and a docstring saying what AWS does and what moto lacks; each has its own
test under test/emulator/. Patches change moto's models only, never EFS Guard's code.
"""

import importlib
import os
import pkgutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def apply_patches() -> list[str]:
    import patches

    applied = []
    for info in sorted(pkgutil.iter_modules(patches.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"patches.{info.name}")
        module.apply()
        applied.append(info.name)
    return applied


def main() -> None:
    port = sys.argv[1]
    applied = apply_patches()
    print(f"efs-guard emulator: patches {', '.join(applied) or 'none'}", flush=True)
    from moto.server import main as moto_main

    moto_main(["-H", "127.0.0.1", "-p", port])


if __name__ == "__main__":
    main()
