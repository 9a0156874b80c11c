"""Core library shared by training, the API and the workers.

``audio`` turns uploads into samples, ``model`` turns samples into genre probabilities, ``explain``
turns a clip and a model into attributions, pictures and sound, and ``service`` keeps the jobs,
blobs and queue that the API and the workers share. ``config`` and ``errors`` serve them all.
"""
