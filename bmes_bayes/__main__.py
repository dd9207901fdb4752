"""``python -m bmes_bayes`` and the ``bmes-bayes`` script.

:func:`run` is entered with nothing imported yet (``bmes_bayes/__init__`` imports lazily), so Ctrl-C at any moment,
even while numpy and pandas are being imported, ends with a one-line message and exit code 130, never a traceback.
"""

import gc
import signal
import sys


def run() -> int:
    """Import the command line and run it; returns the exit code."""
    try:
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not when started with SIGINT ignored
            from ._io import on_interrupt

            signal.signal(signal.SIGINT, on_interrupt)
        from .cli import main

        code = main()
        gc.freeze()  # the process ends next: its final collection need not walk every object left (0.1-0.15 s)
        return code
    except KeyboardInterrupt:  # before (or after) `main` handles it itself
        sys.stderr.write("bmes-bayes: interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(run())
