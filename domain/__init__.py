"""Pure shared rules: no Store, no Viewer, no Dash."""
