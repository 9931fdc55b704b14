"""The assessment layer: a packet's pages read by `extraction/`, judged by a policy of `rules/`,
its confidences calibrated by `quality/`. The only package that knows all three; the service
(`intake/`, `worker.py`, `api.py`) builds on it, and none of the three imports it."""
