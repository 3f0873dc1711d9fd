"""Golden outputs of the ``seal`` command (see ``harness.py``)."""
