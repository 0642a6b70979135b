"""The embedded demo news web: invented outlets, feeds and stories served on loopback.

Stands alone (never imports the ``newsingest`` library or Airflow). See ``server.DemoWeb``.
"""
