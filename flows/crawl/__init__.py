"""The one crawl driver: which repositories, which files, through the API or git, and their outcomes."""
