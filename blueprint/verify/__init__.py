"""Live verification of a deployed environment against its synthesized configuration."""
