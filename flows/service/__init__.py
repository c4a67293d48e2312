"""Running papertrends as a process and a service: the terminal runner, signals, serve, Dask."""
