"""The test suite. A package, so that tests/orm/, tests/backends/, ... are
imported as tests.orm, tests.backends, ... and never shadow the real packages."""
