"""The human personas of the platform: one name list for the library, the app's configuration and the tests."""

from __future__ import annotations

import typing
from typing import Literal

PersonaName = Literal["data_engineer", "model_trainer", "model_deployer", "security_auditor", "break_glass"]
"""A persona key (``PlatformIdentities.personas``, ``identity.personas`` of an environment file)."""

PERSONA_NAMES: tuple[PersonaName, ...] = typing.get_args(PersonaName)
"""Every persona, in the order the platform creates their roles."""
