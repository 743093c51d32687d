"""Inside the user's process, on the import path: the finder, bindings, module proxies, frames, the recorder.

The data path starts here: :mod:`.finder` finds legacy names, :mod:`.binding` (with
:mod:`.serving` and :mod:`.uses`) stands for a legacy module, :mod:`.proxy` and :mod:`.live`
count reads at their sites, :mod:`.recorder` keeps the counts. Nothing here imports telemetry:
an exporter is handed in through :class:`.ports.Exporter`. Loaded at interpreter start-up: no
third-party import, no thread.
"""
