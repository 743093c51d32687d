"""What the commands compute from an aggregate and the source: report, plan, check, scan, fix.

A new report format goes in :mod:`.report`; source rewriting is :mod:`.rewrite` (libcst).
Over time: :mod:`.series` lays out ``report --by``, :mod:`.html` writes the burn-down page.
"""
