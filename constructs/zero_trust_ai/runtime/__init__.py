"""Code that runs *inside* the platform: the serving token validator, artifact manifests and the Lambda handlers.

It ships with the construct library so the constructs and the code they deploy move together. None of it imports
cdktf; install the ``runtime`` extra for its third-party needs (``boto3``, ``cryptography``).
"""
