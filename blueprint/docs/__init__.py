"""Generated documentation: the attack-surface map and the control traceability matrix."""
