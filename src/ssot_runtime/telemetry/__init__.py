"""Leaving the process: OpenTelemetry providers, exporters, the OTLP/JSON files, exit and signal flushes.

:class:`.providers.Telemetry` reads the hook's recorder as an observer (it is made by
:class:`ssot_runtime.Hook` at the first use); a new exporter goes in :mod:`.exporters`.
"""
