"""The policy gate: checkov and the project's policy pack over the synthesized JSON and its plan rendering."""
