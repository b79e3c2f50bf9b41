"""The survey pages that read scoring's publication state: the overview, a unit's detail, the
trend and the export (reports sit above surveys and scoring; the answers upload stays in surveys)."""
