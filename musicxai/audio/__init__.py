"""From untrusted upload bytes to mono float32 samples: recognise, decode, isolate."""
