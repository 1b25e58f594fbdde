"""AI-platform policy pack: custom checkov checks, one per module (loaded with --external-checks-dir)."""
