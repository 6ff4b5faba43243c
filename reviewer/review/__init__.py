"""Qt-free review logic: decisions as events, derived take state, undo, the funnel rules."""
