"""The label set: GTZAN's ten genres in GTZAN's (alphabetical) order, shared by every stage."""

GTZAN_GENRES: tuple[str, ...] = (
    "blues",
    "classical",
    "country",
    "disco",
    "hiphop",
    "jazz",
    "metal",
    "pop",
    "reggae",
    "rock",
)
