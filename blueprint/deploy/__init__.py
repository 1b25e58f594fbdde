"""Deployment: the local emulator, terraform runs with progress, and the organization stacks."""
