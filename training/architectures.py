"""Model builders: a small CNN from scratch and a VGG16 transfer model, both on log-mel windows."""

from __future__ import annotations

import logging

import keras
import numpy as np
from keras import layers

from training.pretrained import FEATURE_LAYER

log = logging.getLogger(__name__)

ARCHITECTURES = ("cnn", "vgg16", "music-vgg", "music-tags", "cnn-student")


def conv_block(x, filters: int, name: str):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    return layers.MaxPooling2D(2, name=f"{name}_pool")(x)


def build_cnn(input_shape: tuple[int, int, int], num_classes: int, *, widths=(16, 32, 64, 128)) -> keras.Model:
    """Four conv blocks and global average pooling: ~100 k parameters, fast on two CPU cores."""
    inputs = keras.Input(shape=input_shape, name="log_mel")
    x = inputs
    for i, filters in enumerate(widths):
        x = conv_block(x, filters, name=f"block{i + 1}")
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(0.3, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="genre")(x)
    return keras.Model(inputs, outputs, name="genre_cnn")


def build_vgg16_transfer(
    input_shape: tuple[int, int, int], num_classes: int, *, weights: str | None = "imagenet"
) -> tuple[keras.Model, str | None]:
    """VGG16 convolutional base + a small head; the base is frozen when pretrained weights load.

    ImageNet weights are downloaded by Keras on first use. Where they cannot be fetched, the model
    is built with random weights and the whole network is trained instead; the second return value
    says which weights were actually used, for the bundle.
    """
    used = weights
    try:
        base = keras.applications.VGG16(include_top=False, weights=weights, input_shape=(*input_shape[:2], 3))
    except Exception as exc:  # Keras raises a bare Exception for a failed download
        log.warning(
            "VGG16 weights %r could not be loaded (%s); building VGG16 with random weights and training all of it.",
            weights,
            exc,
        )
        used = None
        base = keras.applications.VGG16(include_top=False, weights=None, input_shape=(*input_shape[:2], 3))
    base.trainable = used is None
    inputs = keras.Input(shape=input_shape, name="log_mel")
    rgb = layers.Concatenate(name="to_rgb")([inputs, inputs, inputs])
    x = base(rgb, training=False)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dense(256, activation="relu", name="head_dense")(x)
    x = layers.Dropout(0.5, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="genre")(x)
    return keras.Model(inputs, outputs, name="genre_vgg16"), used


def build_music_transfer(
    input_shape: tuple[int, int, int], num_classes: int, *, backbone: keras.Model
) -> tuple[keras.Model, keras.Model, keras.Model]:
    """A frozen music-tagging backbone (cut at its ``flatten`` layer) + a small genre head.

    The backbone keeps the input batch normalisation statistics it learned on a million songs.
    Returns the full model plus its two halves: the embedder (windows -> backbone features), run
    once over the data, and the head, trained on those features (the full model shares its layers).
    """
    embedder = build_music_embedder(input_shape, backbone)
    embedded = embedder.output
    head_input = keras.Input(shape=embedded.shape[1:], name="embedding")
    x = layers.Dense(128, activation="relu", name="head_dense")(head_input)
    x = layers.Dropout(0.3, name="dropout")(x)
    head = keras.Model(head_input, layers.Dense(num_classes, activation="softmax", name="genre")(x), name="head")
    model = keras.Model(embedder.input, head(embedded), name="genre_music_transfer")
    return model, embedder, head


def build_music_embedder(
    input_shape: tuple[int, int, int], backbone: keras.Model, *, name: str = "embedder"
) -> keras.Model:
    """Windows (n_mels, frames, 1) -> a musicnn backbone's frozen 256-d embedding (its ``flatten``).

    Our windows are (n_mels, frames, 1); the backbone reads (frames, n_mels, 1), hence the permute.
    """
    cut = keras.Model(backbone.input, backbone.get_layer(FEATURE_LAYER).output, name="music_backbone")
    cut.trainable = False
    inputs = keras.Input(shape=input_shape, name="log_mel")
    return keras.Model(inputs, cut(layers.Permute((2, 1, 3), name="time_major")(inputs), training=False), name=name)


def fit_early_stopping(
    model: keras.Model,
    train: tuple[np.ndarray, np.ndarray],
    valid: tuple[np.ndarray, np.ndarray],
    *,
    epochs: int,
    batch_size: int,
    patience: int,
    verbose: int,
) -> dict[str, list[float]]:
    """Fit on shuffled batches until the validation loss stops falling; keep the best weights."""
    return model.fit(
        *train,
        validation_data=valid,
        epochs=epochs,
        batch_size=batch_size,
        shuffle=True,
        callbacks=[keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True)],
        verbose=verbose,
    ).history
