"""Registers the ``kit`` marker: the slow workshop-kit test (``-m "not kit"`` leaves it out)."""


def pytest_configure(config):
    config.addinivalue_line("markers", "kit: builds the offline workshop kit and installs from it")
