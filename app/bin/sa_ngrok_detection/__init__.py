"""SA-ngrok-detection: scoring and enrichment for the "Linux Ngrok Reverse Proxy Usage" detection.

Everything in this package except ``command`` is pure Python and imports nothing from splunklib, so it can be
tested and reused without Splunk.
"""
