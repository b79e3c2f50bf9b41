"""The scoring pages, one module per family: the assessment list and gap report (lists), the sheet
and its workflow moves (sheet), a criterion's page (criterion), deductions, explanations, evidence,
reopen requests, the Excel/CSV round trip (transfer), publication (publish) and the recompute status
(recompute). Thin views: access first (core.permissions, scoring.permissions), then one service or
selector call, then render. scoring/urls.py points at the modules."""
