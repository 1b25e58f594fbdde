"""The ML pipeline stages as workloads: ingestion -> features -> training -> release -> serving.

Each stage verifies the signed manifest of what it receives *before* reading it and signs what it produces
(:mod:`.signed` adds ``kind``/``subject``/``inputs`` to the v2 manifests of :mod:`zero_trust_ai.runtime.manifests`).
One module per stage, each with ``run(s3, kms, settings, ...)`` and ``main()`` (the container command);
:mod:`.contract` holds the environment-variable names and per-stage contract the infrastructure uses, and
:mod:`.layout` the object keys. This package's ``__init__`` imports nothing, so ``contract`` stays boto3-free.
"""
