"""A labelled demo corpus in GTZAN's layout, synthesised offline: mma band grooves and music21 scores
rendered with FluidSynth. It sounds like MIDI; models trained on it say little about real recordings."""

from training.corpus.generate import generate_corpus
from training.corpus.tools import CorpusError

__all__ = ["CorpusError", "generate_corpus"]
