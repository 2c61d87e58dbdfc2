"""The project's AWS emulator: moto's server with the Studio extension loaded.

    .venv/bin/python emulator/serve.py -H 127.0.0.1 -p PORT

Same arguments and output as `moto_server` (werkzeug's "Running on
http://HOST:PORT" line included; `-p 0` binds a free port and that line names
it). Before serving it adds SageMaker Studio to moto (emulator/studio.py,
emulator/home_efs.py; see emulator/README.md).

Environment:
  SAGEMAKER_STUDIO_PENDING_SECONDS      how long a Studio domain, user profile,
                                        space or app stays Pending, Updating or
                                        Deleting (default 0: the next call sees
                                        the end state)
  SAGEMAKER_STUDIO_APP_PENDING_SECONDS  the same for apps only (default: the above)
"""

import math
import os
import sys

import studio
from moto.server import main


def seconds(name: str, default: float | None) -> float | None:
    value = os.environ.get(name, "")
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = float("nan")
    if not math.isfinite(seconds):
        sys.exit(f"serve.py: {name} must be a number of seconds, not {value!r}")
    return max(0.0, seconds)


if __name__ == "__main__":
    studio.install(
        pending_seconds=seconds("SAGEMAKER_STUDIO_PENDING_SECONDS", 0.0),
        app_pending_seconds=seconds("SAGEMAKER_STUDIO_APP_PENDING_SECONDS", None),
    )
    main(sys.argv[1:])
