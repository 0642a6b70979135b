"""Fault injection for the crash tests: ``NEWS_FAULT`` names where to die.

``NEWS_FAULT="kill@publish.committed"`` makes the process SIGKILL itself when it
reaches that point; ``enospc@write-mid:*copies*`` raises "No space left on device"
there instead (a full disk). The part after ``@`` is a glob over point names, so one
setting can hit e.g. every staged table write. Unset (production) it costs one
dictionary look-up per point.

Points: ``stage.<name>.start`` / ``stage.<name>.end`` around every stage,
``write-mid:<relpath>`` halfway through writing a file, ``write-done:<relpath>``
after it is in place, and the publish steps ``publish.staged``, ``publish.committed``,
``publish.applied`` and ``apply.moved:<relpath>`` (see :mod:`newsingest.commit`).
"""

from __future__ import annotations

import errno
import fnmatch
import os
import signal

ENV = "NEWS_FAULT"


def point(name: str) -> None:
    """Die here (as the fault spec says) if ``NEWS_FAULT`` names this point."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    for item in spec.split(","):
        action, _, pattern = item.strip().partition("@")
        if not pattern or not fnmatch.fnmatchcase(name, pattern):
            continue
        if action == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        elif action == "enospc":
            raise OSError(errno.ENOSPC, f"No space left on device (injected at {name})")
        else:
            raise ValueError(f"{ENV}: unknown action {action!r} in {item!r} (kill, enospc)")
