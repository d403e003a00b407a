# Makes `bloomstream_models` and the test helpers importable however pytest is started
# (cd models && python3 -m pytest, or pytest models/tests from the repository root).
import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
for p in (_HERE, _HERE / "tests"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))
