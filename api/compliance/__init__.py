"""The compliance report (issue 7): findings for a period from the index, as JSON and as a page."""
