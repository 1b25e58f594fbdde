"""The toolkit: synthesizes the app, gates it (checkov + the policy pack), deploys ``local`` to the emulator,
verifies it, attacks it (the drill) and writes the docs. It reads synthesized JSON or deployed state and imports
the app (``stacks``) and the library (``zero_trust_ai``); neither imports it.

Sub-packages, by what they do: ``cli`` (the ``ztai`` command and its progress display), ``gate``, ``deploy``
(emulator, terraform, organization), ``verify``, ``drill``, ``docs`` (attack-surface map, traceability) and
``bench``.
"""
