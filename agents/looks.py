"""The policies that ship with the package, by look: where their files are and what they record.

- ``fusion`` (the default, ``weights/``): learned the taste of the Mertens fusions of bracketed
  sequences (``sice_sequences/train``); it lifts dark photos as an exposure fusion does, and its env
  rolls highlights off above a knee of 0.1 instead of clipping them (``shoulder``, in its ``env_kwargs``).
- ``people`` (``weights/people/``): learned, through an unpaired critic (the packaged ``people``
  critic), the taste of photos people made (``photos_by_people/natural`` and
  ``fivek_unpaired/expert``); its lightness follows a professional's from scene to scene (a
  low-key scene stays darker than a bright one), and it is closer to a professional's retouch
  (``docs/results/human_taste``). Research, non-commercial terms.

This module loads no torch, so that command-line tools can offer the looks in ``--help``;
:func:`agents.packaged.load_packaged_policy` loads one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
#: the looks that ship: name -> the folder of its ``policy.pt`` and ``policy_provenance.json``
LOOKS = {"fusion": WEIGHTS_DIR, "people": WEIGHTS_DIR / "people"}
#: the look of ``exposure-retouch`` without ``--look``
DEFAULT_LOOK = "fusion"
POLICY_FILE = "policy.pt"
PROVENANCE_FILE = "policy_provenance.json"


def policy_files(look: str = DEFAULT_LOOK) -> tuple[Path, Path]:
    """The weights and provenance files of a shipped look.

    Raises:
        ValueError: ``look`` is not one of :data:`LOOKS`.
    """
    if look not in LOOKS:
        raise ValueError(f"look {look!r}: no such packaged look; the package ships {', '.join(LOOKS)}")
    return LOOKS[look] / POLICY_FILE, LOOKS[look] / PROVENANCE_FILE


def packaged_provenance(look: str = DEFAULT_LOOK) -> dict[str, Any]:
    """The provenance record of a shipped look (the training command, data and its terms, seed, results).

    Raises:
        ValueError: an unknown ``look``.
        FileNotFoundError: its provenance file is missing.
    """
    _, provenance = policy_files(look)
    if not provenance.is_file():
        raise FileNotFoundError(f"packaged look {look!r}: {provenance} is missing; rebuild it with "
                                f"`python -m train.package_policy --look {look}`")
    return json.loads(provenance.read_text())
