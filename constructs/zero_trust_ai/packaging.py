"""Deterministic deployment packages for the platform's Lambda functions.

The zip is byte-identical for identical sources (fixed timestamps and permissions, sorted entries), so
the synthesized plan, its snapshot and the code-signing job only change when the code does.
"""

from __future__ import annotations

import base64
import hashlib
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

# The handlers ship inside this package (package data), so an installed wheel builds the same zips as a checkout.
RUNTIME_DIR = Path(__file__).resolve().parent / "runtime"
# Where zips are written unless the caller says otherwise. cdktf copies each into cdktf.out/assets (TerraformAsset),
# so this is only a build cache.
BUILD_DIR = Path(tempfile.gettempdir()) / "zero-trust-ai-functions"
_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class FunctionPackage:
    """A built zip: where it is and its SHA-256 (hex, and base64 as Lambda reports it)."""

    name: str
    path: Path
    sha256_hex: str

    @property
    def sha256_base64(self) -> str:
        return base64.b64encode(bytes.fromhex(self.sha256_hex)).decode()


def build_zip(name: str, files: dict[str, Path], out_dir: Path = BUILD_DIR) -> FunctionPackage:
    """Zip ``files`` (archive name -> source file) reproducibly into ``out_dir/<name>-<sha>.zip``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    # a private staging name: two synths (or test workers) building the same package never share a half-written zip
    handle, staging_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".zip.tmp", dir=out_dir)
    staging = Path(staging_name)
    with open(handle, "wb") as raw, zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED,
                                                   compresslevel=9) as archive:
        for arcname in sorted(files):
            info = zipfile.ZipInfo(arcname, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[arcname].read_bytes())
    digest = hashlib.sha256(staging.read_bytes()).hexdigest()
    final = out_dir / f"{name}-{digest[:16]}.zip"
    staging.replace(final)
    return FunctionPackage(name=name, path=final, sha256_hex=digest)


def quarantine_package(out_dir: Path = BUILD_DIR) -> FunctionPackage:
    """The quarantine function: one file, ``handler.py`` (handler ``handler.handle``)."""
    return build_zip("quarantine", {"handler.py": RUNTIME_DIR / "quarantine" / "handler.py"}, out_dir)


def jwks_publisher_package(out_dir: Path = BUILD_DIR) -> FunctionPackage:
    """The JWKS publisher: one file, ``handler.py`` (handler ``handler.handle``)."""
    return build_zip("jwks-publisher", {"handler.py": RUNTIME_DIR / "jwks_publisher" / "handler.py"}, out_dir)


def run_recorder_package(out_dir: Path = BUILD_DIR) -> FunctionPackage:
    """The run recorder: one file, ``handler.py`` (handler ``handler.handle``)."""
    return build_zip("run-recorder", {"handler.py": RUNTIME_DIR / "run_recorder" / "handler.py"}, out_dir)


def function_packages(out_dir: Path = BUILD_DIR) -> dict[str, FunctionPackage]:
    """Every function of the platform, by name."""
    return {"quarantine": quarantine_package(out_dir), "jwks-publisher": jwks_publisher_package(out_dir),
            "run-recorder": run_recorder_package(out_dir)}
