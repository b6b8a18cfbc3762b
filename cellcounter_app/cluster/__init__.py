"""Count a batch on a Dask cluster: ``cellcounter count ... --dask ADDRESS``.

`count_batch_on_cluster` yields the same events as
`cellcounter_app.pipeline.count_batch`, so the CLI drains it with the same
progress bar and writes the same workbook, CSV tables, ROI sets and GeoJSON.
Each image is one Dask task running `cellcounter_app.pipeline.count_file` on
a worker (which loads the model once and writes the image's label TIFF and
overlay PNG); the results come back in input order.

``dask.distributed`` is an optional dependency (the ``cluster`` extra) and is
imported only when a batch starts; importing this package does not need it,
and the counting core never imports it. See docs/cluster.md.
"""

from __future__ import annotations

from .address import DaskAddress, parse_address
from .batch import count_batch_on_cluster
from .client import ClusterError

__all__ = ["ClusterError", "DaskAddress", "count_batch_on_cluster", "parse_address"]
