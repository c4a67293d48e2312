"""The report: series, charts and the self-contained report.html, with the index of reports."""
