"""Media through PyAV: probing, colour-correct frame conversion, posters and filmstrips."""
