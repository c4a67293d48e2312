"""Figures and the report page's chart data; returns matplotlib Figures and JSON-able lists, never saves."""
