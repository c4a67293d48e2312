"""The shell of papertrends: CLI, Prefect flows, HTTP, sources and the warehouse.

Importing this package is cheap on purpose: Prefect, pandas and matplotlib are
imported by the modules that need them, so ``papertrends classify`` starts fast.
"""
