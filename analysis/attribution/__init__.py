"""Is a link the paper's own code? Paper dates, framework releases, titles, ports, plausibility."""
