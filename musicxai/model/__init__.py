"""From samples to genre probabilities: features, bundles, the model runner, the loaded models."""
