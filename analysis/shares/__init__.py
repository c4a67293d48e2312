"""Framework shares: which link counts, periods, weights, intervals, crossovers, published numbers."""
