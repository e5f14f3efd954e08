"""Frozen entry point shared by both executables of the bundle.

The bundle holds two executables built from this one script: ``ersoko-desktop`` (windowed, the
GUI) and ``ersoko`` (console, the CLI). They share every library in the folder; which one runs is
decided by the executable's own name, so there is one analysis, one set of DLLs, and the CLI keeps
a real console on Windows (a windowed program has no stdout).
"""

import sys
from pathlib import Path


def main() -> int:
    name = Path(sys.executable).stem.lower()
    if name.startswith("ersoko-desktop"):
        from ersoko_desktop.__main__ import main as gui_main

        return gui_main()
    from ersoko_desktop.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
