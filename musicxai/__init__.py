"""Core library shared by training, the API and the workers: audio, features, bundles, explainers."""
