"""The red-team drill: attack attempts against the deployed environment, decided by AWS's evaluation logic."""
