"""Which mma grooves (drums + bass + chords) stand for each band genre, and at what tempi.

Library grooves are named as ``library/file:Groove`` so that mma loads exactly that file (names such as
``Swing`` exist in several libraries). Reggae has no full-band groove in mma's library, so it gets grooves
written in mma's own language (:mod:`training.corpus.mma_grooves`); hip-hop and metal get one extra each.
"""

from __future__ import annotations

from dataclasses import dataclass

from training.corpus.mma_grooves import HIPHOP_BOOM_BAP, METAL_DOUBLE_KICK, REGGAE_ONE_DROP, REGGAE_STEPPERS


@dataclass(frozen=True)
class Groove:
    """A groove family: the main groove plus variants of the same style used for later sections."""

    sections: tuple[str, ...]
    tempo: tuple[int, int]
    definition: str = ""

    @property
    def name(self) -> str:
        return self.sections[0]


GENRE_GROOVES: dict[str, tuple[Groove, ...]] = {
    "blues": (
        Groove(("stdlib/blues:Blues", "stdlib/blues:Blues1", "stdlib/blues:BluesTriple"), (80, 120)),
        Groove(("stdlib/slowblues:SlowBlues", "stdlib/slowblues:SlowBluesWalk4"), (56, 78)),
        Groove(("stdlib/shuffleboggie:ShuffleBoggie", "stdlib/shuffleboggie:ShuffleBoggie1"), (110, 150)),
        Groove(("stdlib/fastblues:FastBlues", "stdlib/fastblues:FastBluesWalk"), (130, 170)),
        Groove(("stdlib/countryblues:CountryBlues", "stdlib/countryblues:CountryBluesWalk"), (90, 130)),
        Groove(("casio/blues:Blues",), (80, 120)),
        Groove(("stdlib/blues128:Blues128",), (50, 72)),
    ),
    "country": (
        Groove(("stdlib/countryswing:CountrySwing", "stdlib/countryswing:CountrySwing1"), (120, 170)),
        Groove(("stdlib/bluegrass:BlueGrass", "stdlib/bluegrass:BlueGrassClap"), (140, 190)),
        Groove(("stdlib/westernswing:WesternSwing", "stdlib/westernswing:WesternSwingPlus"), (120, 170)),
        Groove(("stdlib/slowcountry:SlowCountry", "stdlib/slowcountry:SlowCountryWalk"), (66, 96)),
        Groove(("stdlib/hillcountry:HillCountry", "stdlib/hillcountry:HillCountryPlus"), (100, 140)),
        Groove(("yamaha/western:WesternMainA", "yamaha/western:WesternMainB"), (100, 140)),
    ),
    "disco": (
        Groove(("casio/discosoul:DiscoSoul",), (112, 128)),
        Groove(("casio/dance1:Dance1",), (116, 130)),
        Groove(("casio/dance2:Dance2",), (116, 130)),
        Groove(("casio/funk1:Funk1",), (100, 118)),
        Groove(("kara/8beatmotown:8beatmotownA", "kara/8beatmotown:8beatmotownB"), (110, 128)),
        Groove(("stdlib/boneym:BoneyM", "stdlib/boneym:BoneyMPlus"), (112, 128)),
        Groove(("stdlib/dsoul:DSoul", "stdlib/dsoul:DSoulPlus"), (108, 124)),
    ),
    "hiphop": (
        Groove(("casio/hip-hop:Hip-Hop",), (84, 100)),
        Groove(("alexis/hiphop:HipHop",), (84, 100)),
        Groove(("casio/triphop:TripHop",), (72, 92)),
        Groove(("casio/modernrb:ModernR&B",), (80, 98)),
        Groove(("stdlib/rb:R&B", "stdlib/rb:R&BPlus"), (80, 98)),
        Groove(("BoomBap",), (82, 98), HIPHOP_BOOM_BAP),
    ),
    "jazz": (
        Groove(("stdlib/swing:Swing", "stdlib/swing:SwingWalk", "stdlib/swing:Swing1Walk"), (110, 200)),
        Groove(("stdlib/bebop:Bebop", "stdlib/bebop:BebopPlus"), (180, 250)),
        Groove(("stdlib/jazzcombo:JazzCombo", "stdlib/jazzcombo:JazzCombo1"), (100, 170)),
        Groove(("stdlib/bigband:BigBand", "stdlib/bigband:BigBand1"), (120, 190)),
        Groove(("stdlib/dixie:Dixie", "stdlib/dixie:Dixie1"), (150, 210)),
        Groove(("stdlib/modernjazz:ModernJazz", "stdlib/modernjazz:ModernJazz1"), (100, 170)),
        Groove(("stdlib/easyswing:EasySwing",), (90, 140)),
    ),
    "metal": (
        Groove(("casio/heavymetal:HeavyMetal",), (100, 150)),
        Groove(("pflib/metal1:metal1A", "pflib/metal1:metal1B"), (100, 160)),
        Groove(("pflib/metal2:metal2A", "pflib/metal2:metal2B"), (100, 160)),
        Groove(("MetalDoubleKick",), (90, 130), METAL_DOUBLE_KICK),
    ),
    "pop": (
        Groove(("casio/pop:Pop",), (100, 126)),
        Groove(("casio/80spop:80sPop",), (110, 130)),
        Groove(("casio/8beatpop1:8BeatPop1",), (96, 124)),
        Groove(("casio/8beatpop3:8BeatPop3",), (96, 124)),
        Groove(("casio/electricpop:ElectricPop",), (110, 128)),
        Groove(("casio/poprock1:PopRock1", "casio/poprock2:PopRock2"), (104, 130)),
        Groove(("casio/soulpop:SoulPop",), (90, 116)),
        Groove(("casio/dancepop2:DancePop2",), (112, 128)),
    ),
    "reggae": (
        Groove(("ReggaeOneDrop", "ReggaeOneDropPlus"), (64, 84), REGGAE_ONE_DROP),
        Groove(("ReggaeSteppers", "ReggaeSteppersHorns"), (68, 88), REGGAE_STEPPERS),
    ),
    "rock": (
        Groove(("casio/rock1:Rock1", "casio/rock2:Rock2"), (100, 140)),
        Groove(("stdlib/50srock:50sRock", "stdlib/50srock:50sRock1"), (140, 180)),
        Groove(("stdlib/60srock:60sRock", "stdlib/60srock:60sRock1"), (110, 150)),
        Groove(("stdlib/basicrock:BasicRock", "stdlib/basicrock:BasicRock4"), (100, 140)),
        Groove(("stdlib/softrock:SoftRock", "stdlib/softrock:SoftRock1"), (80, 112)),
        Groove(("stdlib/folkrock:FolkRock",), (100, 136)),
        Groove(("pflib/rock1:rock1A", "pflib/rock1:rock1B"), (100, 140)),
        Groove(("casio/digitalrock:DigitalRock",), (104, 136)),
        Groove(("casio/shufflerock:ShuffleRock",), (100, 130)),
    ),
}
