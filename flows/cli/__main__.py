"""``python -m flows.cli``: the same entry point as the ``papertrends`` script."""

from flows.cli.main import entrypoint

entrypoint()
