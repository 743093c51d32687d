"""Reading data back, from every source, into one aggregate: sites, timings, processes.

:mod:`.read` reads local files and the Collector's layout; :mod:`.coverage` tells what the data
covers. A new source produces the same :class:`.read.Aggregate`, so every command reads it.
:mod:`.timeline` puts the use points the reader hands it into hour, day or week buckets.
"""
