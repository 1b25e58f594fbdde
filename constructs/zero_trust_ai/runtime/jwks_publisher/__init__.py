"""The JWKS publisher Lambda function (packaged as a single file, handler.py): copies the token issuer's public
keys into an SSM parameter for serving targets that have no route to the issuer."""
