# Imported by conftest.py: preparing a session imports it.
EXPECTED = 3
