"""Venues and repository URLs: the names papers and links arrive with, made canonical."""
