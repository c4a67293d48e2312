"""The pure core of papertrends: text, rows and relations in; the same out.

Nothing in this package opens a network connection, writes a file or imports
Prefect; the shell in ``flows`` does that and hands the results in here.
"""
