"""The golden inputs are data, not tests: a golden repository may hold files named ``test_*.py``."""

collect_ignore_glob = ["repos/*", "files/*"]
