"""Offline training: GTZAN-layout loading, track-level splits, models, evaluation, bundles."""
