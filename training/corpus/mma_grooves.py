"""Grooves mma's library lacks, written here in mma's own language: reggae's one-drop and steppers
(mma has no full-band reggae groove), plus one extra hip-hop and one extra metal groove for variety.
Each string defines the grooves named in :data:`training.corpus.grooves.GENRE_GROOVES`.
"""

# One-drop: kick and rim click together on beat 3 only, guitar skank on 2 and 4, organ "bubble",
# a round bass line that leaves holes; the Plus variant doubles the skank on piano and adds a shaker.
REGGAE_ONE_DROP = """
SeqClear
Time 4
TimeSig 4 4
SeqSize 2
Begin Drum-Kick
    Tone KickDrum1
    Sequence {3 0 115} {3 0 115; 4.75 0 55}
    Rtime 4
    Rvolume 10
End
Begin Drum-Rim
    Tone SideKick
    Sequence {3 0 105} {3 0 105}
    Rtime 4
    Rvolume 15
End
Begin Drum-HH
    Tone ClosedHiHat
    Sequence {1 0 70; 1.5 0 45; 2 0 70; 2.5 0 45; 3 0 70; 3.5 0 45; 4 0 70; 4.5 0 45}
    Rtime 6
    Rvolume 20
    Rskip 5
End
Begin Drum-OpenHH
    Tone OpenHiHat
    Sequence z {4.5 0 55}
End
Begin Bass
    Voice FingeredBass
    Octave 3
    Articulate 85
    Sequence {1 4. 1 110; 2.5 8 1 90; 3.5 8 5 100; 4 4 8 95} {1 4 1 110; 2 8 3 90; 2.5 8 5 95; 3.5 4 1 100}
    Rtime 5
    Rvolume 10
End
Begin Chord-Skank
    Voice CleanGuitar
    Octave 5
    Articulate 35
    Voicing Mode=Optimal
    Sequence {2 8 100; 4 8 100}
    Strum 5
    Rtime 4
    Rvolume 10
End
Begin Chord-Bubble
    Voice Organ2
    Octave 5
    Articulate 50
    Volume p
    Sequence {1.5 16 55; 2 16 80; 3.5 16 55; 4 16 80}
    Rtime 4
    Rvolume 15
End
DefGroove ReggaeOneDrop
Groove ReggaeOneDrop
Begin Chord-Piano
    Voice Piano1
    Octave 5
    Articulate 40
    Volume mp
    Sequence {2 8 80; 4 8 80}
    Rtime 4
End
Begin Drum-Shaker
    Tone Shaker
    Sequence {1 0 50 * 8}
    Rvolume 20
End
DefGroove ReggaeOneDropPlus
"""

# Rockers / steppers: kick on every beat, rim on 3, eighth-note bass, muted-guitar and piano skank; the
# Horns variant adds a brass stab every other bar.
REGGAE_STEPPERS = """
SeqClear
Time 4
TimeSig 4 4
SeqSize 2
Begin Drum-Kick
    Tone KickDrum1
    Sequence {1 0 110; 2 0 100; 3 0 110; 4 0 100}
    Rtime 4
    Rvolume 10
End
Begin Drum-Rim
    Tone SideKick
    Sequence {3 0 100} {3 0 100; 4.5 0 70}
    Rtime 4
    Rvolume 15
End
Begin Drum-HH
    Tone ClosedHiHat
    Sequence {1.5 0 70; 2.5 0 70; 3.5 0 70; 4.5 0 70}
    Rtime 6
    Rvolume 20
End
Begin Bass
    Voice FingeredBass
    Octave 3
    Articulate 80
    Sequence {1 8 1 110; 1.5 8 1 85; 2 8 5 100; 2.5 8 1 85; 3 8 1 110; 3.5 8 8 85; 4 8 5 100; 4.5 8 3 85}
    Rtime 5
    Rvolume 10
End
Begin Chord-Skank
    Voice MutedGuitar
    Octave 5
    Articulate 40
    Voicing Mode=Optimal
    Sequence {2 8 100; 4 8 100}
    Rtime 4
    Rvolume 10
End
Begin Chord-Piano
    Voice Piano1
    Octave 5
    Articulate 40
    Volume mp
    Sequence {2 8 85; 4 8 85}
    Rtime 4
    Rvolume 10
End
DefGroove ReggaeSteppers
Groove ReggaeSteppers
Begin Chord-Horns
    Voice BrassSection
    Octave 5
    Articulate 90
    Volume mp
    Voicing Mode=Optimal
    Sequence {1 2 70} z
End
DefGroove ReggaeSteppersHorns
"""

# Boom-bap: syncopated kick, hard snare on 2 and 4, busy hats, sub bass and electric-piano chords.
HIPHOP_BOOM_BAP = """
SeqClear
Time 4
TimeSig 4 4
SeqSize 2
Begin Drum-Kick
    Tone KickDrum1
    Sequence {1 0 120; 2.75 0 95; 3.5 0 105} {1 0 120; 1.75 0 85; 3.5 0 105; 3.75 0 90}
    Rtime 3
    Rvolume 8
End
Begin Drum-Snare
    Tone SnareDrum1
    Sequence {2 0 120; 4 0 120}
    Rtime 3
    Rvolume 8
End
Begin Drum-HH
    Tone ClosedHiHat
    Sequence {1 0 80; 1.5 0 50; 2 0 80; 2.5 0 50; 2.75 0 40; 3 0 80; 3.5 0 50; 4 0 80; 4.5 0 50}
    Rtime 5
    Rvolume 20
    Rskip 5
End
Begin Bass
    Voice SynthBass2
    Octave 2
    Articulate 95
    Sequence {1 4. 1 115; 2.75 8 1 95; 3.5 4 5 100} {1 2 1 115; 3.5 8 8 95; 3.75 8 1 95}
    Rtime 3
End
Begin Chord-Keys
    Voice RhodesPiano
    Octave 5
    Articulate 90
    Voicing Mode=Optimal
    Volume mp
    Sequence {1 2. 75} {1 4 75; 2.5 2 65}
    Rtime 5
    Rvolume 10
End
DefGroove BoomBap
"""

# Double-kick metal: sixteenth-note kick, backbeat snare, chugging palm-muted power chords.
METAL_DOUBLE_KICK = """
SeqClear
Time 4
TimeSig 4 4
SeqSize 2
Begin Drum-Kick
    Tone KickDrum1
    Sequence {1 0 115 * 16}
    Rtime 2
    Rvolume 8
End
Begin Drum-Snare
    Tone SnareDrum1
    Sequence {2 0 120; 4 0 120}
    Rtime 2
End
Begin Drum-Crash
    Tone CrashCymbal1
    Sequence {1 0 100} z
End
Begin Drum-Ride
    Tone RideBell
    Sequence {1 0 80 * 4} {1 0 80 * 4}
    Rvolume 10
End
Begin Chord-Guitar
    Voice DistortionGuitar
    Octave 4
    Articulate 60
    Sequence {1 8 110 * 8}
    Rtime 3
    Rvolume 8
End
Begin Chord-Lead
    Voice OverDriveGuitar
    Octave 5
    Articulate 95
    Volume mp
    Sequence {1 1 90} {1 2 90; 3 2 90}
End
Begin Bass
    Voice PickedBass
    Octave 3
    Articulate 70
    Sequence {1 8 1 110 * 8}
    Rtime 3
End
DefGroove MetalDoubleKick
"""
