"""A genre head on the musicnn taggers' own tag outputs, kept close to a written tag-to-genre prior.

Why: the head on the taggers' 256-d embedding (``music-vgg``), fitted on MIDI renders alone, learned
the renders and lost what the taggers know of real recordings. Here each window is described by the
100 tags the two taggers were trained to say on real music (50 Last.fm tags of the Million Song
Dataset, 50 MagnaTagATune tags), and the only learned layer is 100 -> 10, pulled towards
:data:`TAG_PRIOR`: what the synthetic corpus teaches is a correction to the prior, not a replacement.
"""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
from keras import layers

from musicxai.errors import ParameterError
from training.genres import GTZAN_GENRES
from training.pretrained import FEATURE_LAYER

TAGGERS = ("MSD_vgg", "MTT_vgg")
# Which tags speak for which genre, with a weight; written from the tag names alone, before any
# model output was looked at. Neither tag set has reggae, so its row is empty and it is learned from
# the synthetic corpus only; disco leans on dance/70s/funk, classical on MagnaTagATune's instruments.
TAG_PRIOR: dict[str, dict[str, float]] = {
    "blues": {"MSD_vgg:blues": 1.0, "MSD_vgg:soul": 0.3, "MSD_vgg:oldies": 0.3},
    "classical": {
        "MTT_vgg:classical": 1.0,
        "MTT_vgg:classic": 0.5,
        "MTT_vgg:strings": 0.7,
        "MTT_vgg:violin": 0.7,
        "MTT_vgg:cello": 0.7,
        "MTT_vgg:harpsichord": 0.7,
        "MTT_vgg:opera": 0.7,
        "MTT_vgg:choir": 0.5,
        "MTT_vgg:choral": 0.5,
        "MTT_vgg:harp": 0.5,
        "MTT_vgg:flute": 0.3,
        "MTT_vgg:piano": 0.3,
    },
    "country": {"MSD_vgg:country": 1.0, "MTT_vgg:country": 1.0, "MSD_vgg:folk": 0.3, "MSD_vgg:acoustic": 0.2},
    "disco": {
        "MSD_vgg:dance": 0.7,
        "MTT_vgg:dance": 0.7,
        "MSD_vgg:70s": 0.5,
        "MSD_vgg:funk": 0.5,
        "MSD_vgg:House": 0.3,
        "MSD_vgg:party": 0.3,
    },
    "hiphop": {"MSD_vgg:Hip-Hop": 1.0, "MSD_vgg:rnb": 0.5, "MTT_vgg:beats": 0.3},
    "jazz": {"MSD_vgg:jazz": 1.0, "MSD_vgg:easy listening": 0.2},
    "metal": {
        "MSD_vgg:metal": 1.0,
        "MSD_vgg:heavy metal": 1.0,
        "MTT_vgg:metal": 1.0,
        "MSD_vgg:hard rock": 0.5,
        "MTT_vgg:loud": 0.2,
    },
    "pop": {"MSD_vgg:pop": 1.0, "MTT_vgg:pop": 1.0, "MSD_vgg:indie pop": 0.5, "MSD_vgg:catchy": 0.3},
    "reggae": {},
    "rock": {
        "MSD_vgg:rock": 1.0,
        "MTT_vgg:rock": 1.0,
        "MSD_vgg:classic rock": 0.7,
        "MSD_vgg:alternative rock": 0.7,
        "MSD_vgg:indie rock": 0.5,
        "MSD_vgg:hard rock": 0.5,
        "MSD_vgg:punk": 0.5,
        "MSD_vgg:Progressive rock": 0.5,
    },
}


def tag_names(pretrained_dir: Path) -> list[str]:
    """``tagger:tag`` for the 100 outputs, in the order the tag model concatenates them."""
    return [f"{t}:{tag}" for t in TAGGERS for tag in json.loads((Path(pretrained_dir) / t / "tags.json").read_text())]


def prior_matrix(names: list[str], genres: tuple[str, ...] = GTZAN_GENRES) -> np.ndarray:
    """[shape=(n_tags, n_genres)] the prior's weights; refuses a tag name no tagger has."""
    unknown = sorted({tag for row in TAG_PRIOR.values() for tag in row} - set(names))
    if unknown:
        raise ParameterError(f"the tag prior names tags the taggers do not have: {unknown}")
    prior = np.zeros((len(names), len(genres)))
    for j, genre in enumerate(genres):
        for tag, weight in TAG_PRIOR[genre].items():
            prior[names.index(tag), j] = weight
    return prior


def load_taggers(pretrained_dir: Path) -> list[keras.Model]:
    return [keras.saving.load_model(Path(pretrained_dir) / t / "backbone.keras", compile=False) for t in TAGGERS]


def build_tag_extractor(input_shape: tuple[int, int, int], taggers: list[keras.Model]) -> keras.Model:
    """Windows (n_mels, frames, 1) -> [tags (100), embeddings (2 x 256)]: the tag head's features,
    both from one pass."""
    inputs = keras.Input(shape=input_shape, name="log_mel")
    x = layers.Permute((2, 1, 3), name="time_major")(inputs)
    tags, embeddings = [], []
    for tagger in taggers:
        both = keras.Model(tagger.input, [tagger.output, tagger.get_layer(FEATURE_LAYER).output], name=tagger.name)
        t, e = both(x, training=False)
        tags.append(t)
        embeddings.append(e)
    return keras.Model(
        inputs,
        [layers.Concatenate(name="tags")(tags), layers.Concatenate(name="embeddings")(embeddings)],
        name="tag_extractor",
    )


def build_tag_genre_model(
    input_shape: tuple[int, int, int],
    taggers: list[keras.Model],
    weights: np.ndarray,
    bias: np.ndarray,
    *,
    embeddings: bool = False,
) -> keras.Model:
    """The served model: both taggers (frozen, as converted) -> 100 tags (then, with ``embeddings``,
    their 2 x 256 embeddings) -> one dense softmax over genres."""
    extractor = build_tag_extractor(input_shape, taggers)
    tags, embedded = extractor.outputs
    inputs = extractor.input
    head = layers.Dense(weights.shape[1], activation="softmax", name="genre")
    outputs = head(layers.Concatenate(name="features")([tags, embedded]) if embeddings else tags)
    head.set_weights([weights.astype("float32"), bias.astype("float32")])
    model = keras.Model(inputs, outputs, name="genre_music_tags")
    model.trainable = False
    return model
