"""The examination report as HTML: every UCP 600 check the engine makes, with its article, its result
and the discrepancies found against it.

One rendering for both readers: the API's ``…/presentations/{id}/report.html`` page (``report_page``)
and the web UI's presentation page, which embeds ``report_section`` in its layout.
"""

from __future__ import annotations

from html import escape

from api.credit.examination import RULES, Discrepancy, ExaminationReport

PAGE_STYLE = (
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
    "td,th{border:1px solid #999;padding:.3em .6em;text-align:left;vertical-align:top}"
    ".discrepant{background:#fdecec}"
)


def _findings(found: list[Discrepancy]) -> str:
    if not found:
        return "—"
    items = "".join(f"<li>{escape(d.document.replace('_', ' '))}: {escape(d.detail)}</li>" for d in found)
    return f"<ul>{items}</ul>"


def report_section(report: ExaminationReport) -> str:
    """The verdict and a table of every check (one row per rule of the engine), discrepant rows first
    marked ``class="discrepant"``; no heading, so it fits any page."""
    rows = []
    for code, rule in RULES.items():
        found = [d for d in report.discrepancies if d.code == code]
        result = "Discrepant" if found else "No discrepancy"
        rows.append(
            f'<tr class="{"discrepant" if found else "passed"}" data-code="{escape(code)}">'
            f'<th scope="row">{escape(rule.rule)} <code class="check-code">{escape(code)}</code></th>'
            f"<td>{escape(rule.reference)}</td><td><strong>{result}</strong></td>"
            f"<td>{_findings(found)}</td></tr>"
        )
    count, status = len(report.discrepancies), escape(report.status)
    verdict = (
        f'<p class="verdict verdict-{status}">Result: <strong>{status}</strong> '
        f"({count} discrepanc{'y' if count == 1 else 'ies'})</p>"
    )
    table = (
        '<div class="table-wrap" role="region" aria-label="UCP 600 checks" tabindex="0">'
        '<table class="checks"><caption>UCP 600 checks</caption><thead><tr>'
        '<th scope="col">Check</th><th scope="col">Article</th><th scope="col">Result</th>'
        '<th scope="col">Discrepancy</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )
    hashes = (
        f'<p class="engine">Engine {escape(report.engine)}; result hash '
        f'<code class="hex">{escape(report.result_hash)}</code></p>'
    )
    return verdict + table + hashes


def report_page(number: str, presentation_id: str, report: ExaminationReport) -> str:
    """A small standalone page: the credit, the presentation and ``report_section``."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Examination of credit {escape(number)}</title><style>{PAGE_STYLE}</style></head><body>"
        f"<h1>Examination of credit {escape(number)}</h1>"
        f"<p>Presentation <code>{escape(presentation_id.lower())}</code></p>"
        f"{report_section(report)}</body></html>"
    )
