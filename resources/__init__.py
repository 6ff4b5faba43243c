"""Data files shipped with the program (keymap, defect tags, theme, icons), read with importlib.resources."""
