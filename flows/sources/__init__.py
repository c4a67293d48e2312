"""One module per outside source of papers, links or code."""
