"""The mutation harness (issue 22): semantic breakages of the synthesized controls, each of which a non-snapshot test
must catch. ``catalogue`` lists them, ``harness`` runs the suite against each (``python -m tests.mutations.harness``).
"""
