"""papertrends on the command line: parse, call the same functions the flows call, print.

When this process is ``papertrends`` itself (the console script, or ``python -m flows.cli``),
SIGINT and SIGTERM are taken over here, before the rest of the command is imported, so a
signal during start-up ends it with its exit code and one line like any other moment (the
window before this runs is Python's own start-up).
"""

import os
import sys

if os.path.basename(sys.argv[0]) == "papertrends" or sys.argv[:1] == ["-m"]:
    from flows.service.signals import take_over_signals

    take_over_signals()
