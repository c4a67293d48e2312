"""The refresh flow's steps that store what sources yield: ingest, classify, attribute, export."""
