"""papertrends on the command line: parse, call the same functions the flows call, print."""
