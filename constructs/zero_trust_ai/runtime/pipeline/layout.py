"""Where each stage's artifacts and manifests live (object keys), and the identifiers that name them.

Identifiers never contain ``/``, so one dataset's or model's prefix can never be another's:
``raw/<dataset>/data/<name>`` with its manifest ``raw/<dataset>/manifest.json`` (and ``.sig``), the same under
``features/``; ``models/<model>/model.bin`` with ``models/<model>/manifest.json``; the release manifest under its
own prefix ``releases/<model>/manifest.json`` so the training role, granted ``models/*`` only, cannot pre-create
(squat) a release key in the create-only registry.
"""

from __future__ import annotations

import re

ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}", re.ASCII)
NAME_SEGMENT_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,254}", re.ASCII)
MANIFEST = "manifest.json"
SIGNATURE_SUFFIX = ".sig"
MODEL_ARTIFACT = "model.bin"


def validate_id(field: str, value: str) -> str:
    """A dataset or model id: 1-128 characters of ``A-Za-z0-9._-`` starting with a letter or digit."""
    if not isinstance(value, str) or not ID_RE.fullmatch(value):
        raise ValueError(f"{field} {value!r} is not an id (1-128 of A-Za-z0-9._-, starting with a letter or digit)")
    return value


def validate_name(name: str) -> str:
    """A relative artifact name: ``/``-separated segments of ``A-Za-z0-9._-`` (no empty, ``.`` or ``..`` segment)."""
    segments = name.split("/") if isinstance(name, str) else [""]
    if not all(NAME_SEGMENT_RE.fullmatch(s) and s not in (".", "..") for s in segments):
        raise ValueError(f"artifact name {name!r} is not a relative path of A-Za-z0-9._- segments")
    return name


def raw_prefix(dataset: str) -> str:
    return f"raw/{validate_id('dataset id', dataset)}/"


def raw_data_prefix(dataset: str) -> str:
    return f"{raw_prefix(dataset)}data/"


def raw_manifest_key(dataset: str) -> str:
    return f"{raw_prefix(dataset)}{MANIFEST}"


def features_prefix(dataset: str) -> str:
    return f"features/{validate_id('dataset id', dataset)}/"


def features_data_prefix(dataset: str) -> str:
    return f"{features_prefix(dataset)}data/"


def features_manifest_key(dataset: str) -> str:
    return f"{features_prefix(dataset)}{MANIFEST}"


def model_prefix(model: str) -> str:
    return f"models/{validate_id('model id', model)}/"


def model_artifact_key(model: str) -> str:
    return f"{model_prefix(model)}{MODEL_ARTIFACT}"


def model_manifest_key(model: str) -> str:
    return f"{model_prefix(model)}{MANIFEST}"


def release_manifest_key(model: str) -> str:
    return f"releases/{validate_id('model id', model)}/{MANIFEST}"


def signature_key(manifest_key: str) -> str:
    return f"{manifest_key}{SIGNATURE_SUFFIX}"
