"""The workshop-kit test (a package, so its conftest is not the shared ``conftest``)."""
