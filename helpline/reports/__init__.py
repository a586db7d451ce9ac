"""The analytics dashboard's figures (``/reports`` in the staff console), counts only.

- :mod:`helpline.reports.facts`: what a tracker event says about its conversation (plain Python);
- :mod:`helpline.reports.rollup`: the every-minute job that reads new tracker events into
  ``conversation_stats`` and ``faq_topic_days`` (no PHI; kept after the retention purge);
- :mod:`helpline.reports.queries`: the figures for a range of days, from those tables and the lead queues;
- :mod:`helpline.reports.charts`: the server-drawn SVG charts;
- :mod:`helpline.reports.export`: the same figures as CSV.

The page itself is :mod:`helpline.web.reports_page`.
"""
