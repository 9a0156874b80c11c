"""What the tests share that is not a fixture: clips, the tiny data set, processes, the app in
process, real services. Fixtures live in the ``conftest.py`` files, helpers here (pytest advises
against importing from ``conftest.py``)."""
